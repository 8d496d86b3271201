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
