"""Development sessions: `nox` runs tests, lint and typing; CI calls the same sessions.

Tests run on PostgreSQL when TEST_DATABASE_URL is set (for example
postgresql://postgres@127.0.0.1:5432/test) and on SQLite otherwise; REQUIRE_POSTGRES=1 makes the
SQLite fallback an error.
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typing"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
# The Python version comes from pyproject.toml's classifiers, so it is written down once.
PYTHON = nox.project.python_versions(PYPROJECT)


def pinned(name: str) -> str:
    """The requirement for `name` exactly as pinned in the `dev` extra."""
    for requirement in PYPROJECT["project"]["optional-dependencies"]["dev"]:
        if requirement.split("==")[0].split("[")[0] == name:
            return str(requirement)
    raise ValueError(f"{name} is not pinned in the dev extra of pyproject.toml")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite with coverage (PostgreSQL if TEST_DATABASE_URL is set, else SQLite)."""
    if os.environ.get("TEST_DATABASE_URL"):
        session.log("database: PostgreSQL from TEST_DATABASE_URL")
    elif os.environ.get("REQUIRE_POSTGRES") == "1":
        session.error(
            "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set; "
            "set it to a PostgreSQL URL such as postgresql://postgres@127.0.0.1:5432/test."
        )
    else:
        session.log("database: SQLite (set TEST_DATABASE_URL to run on PostgreSQL)")
    session.install("-e", ".[dev,ops]")
    session.run("pytest", *(session.posargs or ["--cov", "--cov-report=term"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install(pinned("ruff"))
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", *(session.posargs or ["."]))


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """Type-check with mypy (strict on the app package)."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)


# --- Infrastructure sessions --------------------------------------------------------------------
# The `iac` session (Terraform fmt/validate and policy checks) is added below this line.

TERRAFORM_ROOTS = ("terraform/bootstrap", "terraform/environments/staging", "terraform/environments/production")
# checkov pins an old `packaging`, so it only ever goes into this session's own venv.
CHECKOV = "checkov==3.3.30"
# What `terraform init` prints when it cannot reach the provider registry.
OFFLINE_HINTS = ("Failed to query available provider packages", "registry.terraform.io", "dial tcp", "no such host")


@nox.session(python=PYTHON)
def iac(session: nox.Session) -> None:
    """Terraform fmt and validate for every root, then checkov; says so and goes on when a tool is missing."""
    import shutil  # imported here so this infrastructure block stays self-contained
    import subprocess

    import nox.command

    terraform = shutil.which("terraform")
    if terraform is None:
        session.warn("terraform is not on PATH: fmt and validate skipped (install Terraform >= 1.10).")
    else:
        env = {"CHECKPOINT_DISABLE": "1"}
        session.run(terraform, "fmt", "-check", "-recursive", "terraform", external=True, env=env)
        for root in TERRAFORM_ROOTS:
            init = subprocess.run(
                [terraform, f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"],
                capture_output=True,
                text=True,
                env={**os.environ, **env},
                check=False,
            )
            if init.returncode != 0 and any(hint in init.stderr for hint in OFFLINE_HINTS):
                session.warn(f"{root}: terraform init cannot reach the provider registry: validate skipped.")
                continue
            if init.returncode != 0:
                session.error(f"{root}: terraform init failed:\n{init.stderr}")
            session.run(terraform, f"-chdir={root}", "validate", "-no-color", external=True, env=env)
    try:
        session.install(CHECKOV)
    except nox.command.CommandFailed:
        session.warn(f"{CHECKOV} could not be installed (no package index?): policy scan skipped.")
        return
    scan = ("--skip-download", "--quiet", "--compact", "--framework", "terraform", "secrets")
    session.run("checkov", *scan, "--directory", "terraform")
