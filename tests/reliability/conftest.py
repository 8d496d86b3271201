"""Fixtures that run the default bake for real: installed in its own venv, migrated into a fresh
PostgreSQL database `rel_<random>`, served by its own gunicorn config on a loopback port.

Without PostgreSQL the layer skips with the reason; with REQUIRE_POSTGRES=1 that is a failure.
The figures each test measures are printed at the end of the run (and written as JSON to
$RELIABILITY_FIGURES when set), because docs/reliability.md quotes them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import bakery
import harness
import psycopg2
import pytest

FIGURES: dict[str, object] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, object]:
    """Numbers a test measured, printed in the terminal summary."""
    return FIGURES


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for key, value in FIGURES.items():
        terminalreporter.write_line(f"{key}: {value}")
    if os.environ.get("RELIABILITY_FIGURES"):
        with open(os.environ["RELIABILITY_FIGURES"], "w") as fh:
            json.dump(FIGURES, fh, indent=2)


@pytest.fixture(scope="session")
def admin_url() -> str:
    url = harness.admin_url()
    problem = harness.postgres_problem(url)
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem} (REQUIRE_POSTGRES=1 makes this a failure)")
        pytest.skip(problem)
    return url


@pytest.fixture(scope="session")
def project(admin_url) -> harness.Project:
    """The default bake, or the already rendered project at $RELIABILITY_PROJECT (e.g. one being fixed)."""
    started = time.monotonic()
    if os.environ.get("RELIABILITY_PROJECT"):
        root = Path(os.environ["RELIABILITY_PROJECT"]).resolve()
        if not (root / "pyproject.toml").is_file():
            pytest.fail(f"RELIABILITY_PROJECT={root} is not a rendered project (no pyproject.toml there)")
        harness.log(f"testing the project at {root} (RELIABILITY_PROJECT)")
    else:
        root = bakery.render()
        harness.log(f"rendered the default project in {time.monotonic() - started:.1f}s")
    return harness.install_project(root)


@pytest.fixture(scope="session")
def database_url(admin_url, project):
    with harness.temporary_database(admin_url) as url:
        harness.migrate(project, url)
        yield url


@pytest.fixture
def db(database_url):
    """A direct autocommit connection to the app's database, to check what was really written."""
    conn = psycopg2.connect(database_url, application_name=harness.TEST_APPLICATION_NAME)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def server(project, database_url):
    """The app as its container runs it (APP_ENV=production), shared by the tests that don't hurt it."""
    with harness.app_server(project, database_url) as srv:
        srv.start()
        yield srv
