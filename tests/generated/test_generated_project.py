"""Install generated projects and run their own nox sessions: tests on PostgreSQL, lint, typing.

This is what a team gets on day one: if these fail, the generated repository is red from its first
commit. The default bake and one other combination (another Python, another name) are run, side by
side, since each spends much of its time waiting on installs and the database.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time

import pytest
from bakery import NAMED_COMBOS, render, tool

COMBOS = ["default", "custom-domain"]
SESSIONS = ["tests", "lint", "typing"]


@pytest.fixture(scope="module")
def database_env() -> dict[str, str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the generated tests must run on PostgreSQL")
    if not url:
        print("TEST_DATABASE_URL is not set: the generated projects' tests run on SQLite only")
    return {"TEST_DATABASE_URL": url} if url else {}


@pytest.fixture(scope="module")
def nox_runs(database_env):
    """Start every combo's `nox -s tests lint typing` at once; each test waits for its own."""
    with contextlib.ExitStack() as stack:
        runs = {}
        for combo in COMBOS:
            log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            process = subprocess.Popen(
                [tool("nox"), "--non-interactive", "-s", *SESSIONS],
                cwd=render(**NAMED_COMBOS[combo]),
                env=os.environ | database_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            stack.callback(process.kill)  # A no-op once the run has ended.
            runs[combo] = (process, log, time.monotonic())
        yield runs


@pytest.mark.parametrize("combo", COMBOS)
def test_generated_project_passes_its_own_nox_sessions(combo, nox_runs):
    process, log, started = nox_runs[combo]
    returncode = process.wait(timeout=1200)
    log.seek(0)
    print(log.read()[-6000:])
    print(
        f"timing: generated project {combo}: {time.monotonic() - started:.0f}s (run alongside {len(COMBOS) - 1} other)"
    )
    assert returncode == 0, f"the generated project's nox sessions {SESSIONS} failed for {combo}"
