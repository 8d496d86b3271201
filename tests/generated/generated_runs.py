"""What the generated layer runs in each project: which combinations, which nox sessions, in which
environment (conftest.py starts the runs; test_generated_project.py checks them)."""

from __future__ import annotations

import os
import shutil

import pytest

COMBOS = ["default", "custom-domain"]
SESSIONS = ["tests", "lint", "typing"]
# The architecture diagram is drawn with graphviz; .ci/run installs it and sets REQUIRE_GRAPHVIZ=1.
HAS_DOT = shutil.which("dot") is not None


# The default project's tests run on PostgreSQL; this one's on the embedded SQLite that a newcomer's
# first `pytest` uses (no TEST_DATABASE_URL), so every run proves both database paths.
ON_SQLITE = "custom-domain"


def database_env(combo: str) -> dict[str, str]:
    if combo == ON_SQLITE:
        print(f"{combo}: its tests run on SQLite, as on a machine without TEST_DATABASE_URL")
        return {}
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the generated tests must run on PostgreSQL")
    if not url:
        print("TEST_DATABASE_URL is not set: the generated projects' tests run on SQLite only")
    return {"TEST_DATABASE_URL": url} if url else {}


def project_env(combo: str) -> dict[str, str]:
    """This environment less the venv variables nox set for the template's session (uv would follow
    them) and, for the SQLite project, less the database variables."""
    dropped = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT")
    if combo == ON_SQLITE:
        dropped += ("TEST_DATABASE_URL", "REQUIRE_POSTGRES")
    return {name: value for name, value in os.environ.items() if name not in dropped} | database_env(combo)


def sessions() -> list[str]:
    if HAS_DOT:
        return [*SESSIONS, "docs"]
    if os.environ.get("REQUIRE_GRAPHVIZ") == "1":
        pytest.fail("REQUIRE_GRAPHVIZ=1 but graphviz's `dot` is not on PATH: the docs sessions cannot run")
    print("graphviz's `dot` is not on PATH: the projects' docs sessions do not run (apt-get install graphviz)")
    return SESSIONS
