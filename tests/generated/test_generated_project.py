"""Run generated projects' own nox sessions: tests on PostgreSQL, lint, typing and the docs site.

This is what a team gets on day one: if these fail, the generated repository is red from its first
commit. The projects are the ones the update tests made (tests/update: created at an earlier template
commit, then updated with cruft to this one, and checked to be identical to a fresh render), so one
run proves both that a fresh project is green and that an updated one is. The default bake and one
other combination (another Python, another name) run side by side, since each spends much of its
time waiting on installs and the database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time

import pytest
from bakery import NAMED_COMBOS, default_answer, tool
from interpreters import find_python
from updates import updated

COMBOS = ["default", "custom-domain"]
SESSIONS = ["tests", "lint", "typing"]
# The architecture diagram is drawn with graphviz; .ci/run installs it and sets REQUIRE_GRAPHVIZ=1.
HAS_DOT = shutil.which("dot") is not None


@pytest.fixture(scope="module")
def database_env() -> dict[str, str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the generated tests must run on PostgreSQL")
    if not url:
        print("TEST_DATABASE_URL is not set: the generated projects' tests run on SQLite only")
    return {"TEST_DATABASE_URL": url} if url else {}


def project_env() -> dict[str, str]:
    """This environment less the venv variables nox set for the template's session (uv would follow them)."""
    session_variables = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT")
    return {name: value for name, value in os.environ.items() if name not in session_variables}


def sessions() -> list[str]:
    if HAS_DOT:
        return [*SESSIONS, "docs"]
    if os.environ.get("REQUIRE_GRAPHVIZ") == "1":
        pytest.fail("REQUIRE_GRAPHVIZ=1 but graphviz's `dot` is not on PATH: the docs sessions cannot run")
    print(
        "graphviz's `dot` is not on PATH: the generated projects' docs sessions do not run (apt-get install graphviz)"
    )
    return SESSIONS


@pytest.fixture(scope="module")
def nox_runs(database_env):
    """Start every combo's nox sessions at once, on the interpreter found for its Python; each test waits."""
    with contextlib.ExitStack() as stack:
        runs = {}
        for combo in COMBOS:
            project = updated(combo).project
            python = find_python(NAMED_COMBOS[combo].get("python_version", default_answer("python_version")))
            print(python.note or f"{combo}: Python {python.version} from {python.path}")
            log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            # --force-python: the interpreter by path, as pyenv's shims may not run it under its name here.
            argv = [tool("nox"), "--non-interactive", "--force-python", python.path, "-s", *sessions()]
            process = subprocess.Popen(
                argv, cwd=project, env=project_env() | database_env, stdout=log, stderr=subprocess.STDOUT, text=True
            )
            stack.callback(process.kill)  # A no-op once the run has ended.
            runs[combo] = (project, process, log, time.monotonic())
        yield runs


@pytest.mark.parametrize("combo", COMBOS)
def test_generated_project_passes_its_own_nox_sessions(combo, nox_runs):
    _, process, log, started = nox_runs[combo]
    returncode = process.wait(timeout=1200)
    log.seek(0)
    print(log.read()[-6000:])
    print(
        f"timing: generated project {combo}: {time.monotonic() - started:.0f}s (run alongside {len(COMBOS) - 1} other)"
    )
    assert returncode == 0, f"the generated project's nox sessions {sessions()} failed for {combo}"


# Labels of the diagram's nodes that only some answers draw: CloudFront for use_cloudfront=y, Route 53
# for a domain with a hosted zone (custom-domain).
DIAGRAM_LABELS = {
    "default": {"CloudFront": True, "Route 53": False},
    "custom-domain": {"CloudFront": True, "Route 53": True},
}


@pytest.mark.parametrize("combo", COMBOS)
def test_the_docs_site_shows_the_answers_architecture(combo, nox_runs):
    if not HAS_DOT:
        sessions()  # Fails under REQUIRE_GRAPHVIZ=1.
        pytest.skip("graphviz's `dot` is not on PATH: no docs site was built")
    project, process, _, _ = nox_runs[combo]
    assert process.wait(timeout=1200) == 0
    site = project / "site"
    assert (site / "index.html").exists()
    diagram = (site / "architecture.svg").read_text()
    for label, drawn in DIAGRAM_LABELS[combo].items():
        assert (f">{label}<" in diagram) is drawn, f"{label} should {'' if drawn else 'not '}be in the diagram"
