"""Run generated projects' own nox sessions: tests (the default project on PostgreSQL, custom-domain
on SQLite), lint, typing and the docs site.

This is what a team gets on day one: if these fail, the generated repository is red from its first
commit. The projects are the ones the update tests made (tests/update: created at an earlier template
commit, then updated with cruft to this one, and checked to be identical to a fresh render), so one
run proves both that a fresh project is green and that an updated one is. The default bake and one
other combination (another Python, another name) run side by side (conftest.py starts them), since
each spends much of its time waiting on installs and the database.
"""

from __future__ import annotations

import time

import pytest
from generated_runs import COMBOS, HAS_DOT, sessions

# Labels of the diagram's nodes that only some answers draw: CloudFront for use_cloudfront=y, Route 53
# for a domain with a hosted zone (custom-domain).
DIAGRAM_LABELS = {
    "default": {"CloudFront": True, "Route 53": False},
    "custom-domain": {"CloudFront": True, "Route 53": True},
}


@pytest.mark.parametrize("combo", COMBOS)
def test_generated_project_passes_its_own_nox_sessions(combo, nox_runs):
    _, process, log, started = nox_runs[combo]
    returncode = process.wait(timeout=1800)
    log.seek(0)
    print(log.read()[-6000:])
    print(
        f"timing: generated project {combo}: {time.monotonic() - started:.0f}s (run alongside {len(COMBOS) - 1} other)"
    )
    assert returncode == 0, f"the generated project's nox sessions {sessions()} failed for {combo}"


@pytest.mark.parametrize("combo", COMBOS)
def test_the_docs_site_shows_the_answers_architecture(combo, nox_runs):
    if not HAS_DOT:
        sessions()  # Fails under REQUIRE_GRAPHVIZ=1.
        pytest.skip("graphviz's `dot` is not on PATH: no docs site was built")
    project, process, _, _ = nox_runs[combo]
    process.wait(timeout=1800)  # Whether the other sessions passed is the test above's business.
    site = project / "site"
    assert (site / "index.html").exists(), "the docs session built no site"
    diagram = (site / "architecture.svg").read_text()
    for label, drawn in DIAGRAM_LABELS[combo].items():
        assert (f">{label}<" in diagram) is drawn, f"{label} should {'' if drawn else 'not '}be in the diagram"
