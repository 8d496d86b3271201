"""Install generated projects and run their own nox sessions: tests on PostgreSQL, lint, typing.

This is what a team gets on day one: if these fail, the generated repository is red from its first
commit. The default bake and one other combination (another Python, another name) are run.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from bakery import NAMED_COMBOS, render

COMBOS = ["default", "custom-domain"]


@pytest.fixture(scope="module")
def database_env() -> dict[str, str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the generated tests must run on PostgreSQL")
    if not url:
        print("TEST_DATABASE_URL is not set: the generated projects' tests run on SQLite only")
    return {"TEST_DATABASE_URL": url} if url else {}


@pytest.mark.parametrize("combo", COMBOS)
def test_generated_project_passes_its_own_nox_sessions(combo, database_env):
    project = render(**NAMED_COMBOS[combo])
    env = os.environ | database_env
    started = time.monotonic()
    result = subprocess.run(
        ["nox", "--non-interactive", "-s", "tests", "lint", "typing"],
        cwd=project,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    print(result.stdout[-6000:])
    print(f"timing: generated project {combo}: {time.monotonic() - started:.0f}s")
    assert result.returncode == 0, f"the generated project's nox sessions failed for {combo}"
