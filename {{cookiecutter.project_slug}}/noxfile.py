"""Development sessions: `nox` runs tests, lint and typing; `nox -s docs` builds the site; CI calls the same sessions.

Every session installs exactly what uv.lock pins, hash-checked (`uv sync --locked`, which also fails
when the lock no longer matches pyproject.toml). Sessions run on the Python version of the classifier
in pyproject.toml, the one in .python-version: pyenv and uv read that file, so `python{{ cookiecutter.python_version }}` is found
in this folder even when it is not your global version. Without that version, run
`nox --force-python 3.X` (or an interpreter's path) with another supported one.

Tests run on PostgreSQL when TEST_DATABASE_URL is set (for example
postgresql://postgres@127.0.0.1:5432/test) and on SQLite otherwise; REQUIRE_POSTGRES=1 makes the
SQLite fallback an error.
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "lint", "typing"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
# The Python version comes from pyproject.toml's classifiers (the same as .python-version's).
PYTHON = nox.project.python_versions(PYPROJECT)


def sync(session: nox.Session, *extras: str, project: bool = True) -> None:
    """Install uv.lock's pins of the project's dependencies and these extras into the session's venv."""
    args = [f"--extra={extra}" for extra in extras] + ([] if project else ["--no-install-project"])
    # --python keeps the session's interpreter (uv would otherwise pick .python-version's version).
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--quiet",
        f"--python={session.bin}/python",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


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
    sync(session, "dev", "ops")
    # One worker per CPU (pytest-xdist): each makes its own test database.
    session.run("pytest", *(session.posargs or ["-n", "auto", "--cov", "--cov-report=term"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    sync(session, "dev", project=False)
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", *(session.posargs or ["."]))


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """Type-check with mypy (strict on the app package)."""
    sync(session, "dev")
    session.run("mypy", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with mkdocs --strict (the diagram needs graphviz's `dot`)."""
    sync(session, "docs", project=False)
    # NO_MKDOCS_2_WARNING: Material prints a notice about its successor on every build otherwise.
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


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
