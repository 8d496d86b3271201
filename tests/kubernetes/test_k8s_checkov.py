"""checkov on the rendered overlays: nothing fails, and every skip is on the allowlist with a reason."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from k8s_support import distinct_renders, report, run

ALLOWLIST = yaml.safe_load((Path(__file__).parent / "checkov_skips.yaml").read_text())


def allowed_in(overlay: str) -> set[tuple[str, str]]:
    return {
        (entry["check"], kind)
        for entry in ALLOWLIST
        for kind in entry["kinds"]
        if overlay in entry.get("overlays", [overlay])
    }


@pytest.fixture(scope="session")
def checkov_report(renders, tmp_path_factory) -> dict:
    """One checkov run over every rendered overlay."""
    checkov = os.environ.get("CHECKOV_BIN")
    if not checkov:
        pytest.fail("CHECKOV_BIN is not set: point it at checkov (requirements/checkov.txt), as the nox session does")
    scan = tmp_path_factory.mktemp("checkov")
    for render in distinct_renders(renders):
        shutil.copy(render.path, scan / render.path.name)
    started = time.monotonic()
    result = run(
        [checkov, "--skip-download", "--framework", "kubernetes", "--output", "json", "--directory", str(scan)]
    )
    report(f"timing: checkov over {len(distinct_renders(renders))} distinct renders, {time.monotonic() - started:.1f}s")
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        output = result.stdout[-2000:] + result.stderr[-2000:]
        pytest.fail(f"checkov printed no JSON (exit {result.returncode}):\n{output}")
    reports = parsed if isinstance(parsed, list) else [parsed]
    merged = {"passed_checks": [], "failed_checks": [], "skipped_checks": []}
    for part in reports:
        for key in merged:
            merged[key] += part.get("results", {}).get(key, [])
    report(
        f"checkov kubernetes: {len(merged['passed_checks'])} passed, {len(merged['failed_checks'])} failed, "
        f"{len(merged['skipped_checks'])} skipped"
    )
    return merged


def test_checkov_finds_nothing(checkov_report):
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in checkov_report["failed_checks"]]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert checkov_report["passed_checks"], "checkov passed nothing: it scanned no manifests"


def test_checkov_skips_are_allowlisted(checkov_report):
    for check in checkov_report["skipped_checks"]:
        overlay = Path(check["file_path"]).stem.split("-", 1)[1]
        key = (check["check_id"], check["resource"].split(".")[0])
        assert key in allowed_in(overlay), f"{overlay}: {key} is skipped but not on checkov_skips.yaml"


def test_inline_skips_match_the_allowlist(rendered):
    """Each `checkov.io/skipN` annotation names an allowlisted check for its kind, with a reason."""
    found = set()
    for doc in rendered.docs:
        for key, value in (doc["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert reason.strip(), f"{doc['kind']}: skip of {check} gives no reason"
                found.add((check, doc["kind"]))
    allowed = allowed_in(rendered.env)
    assert found == allowed, f"{rendered.env}: skips {sorted(found)} differ from checkov_skips.yaml {sorted(allowed)}"


def test_allowlist_gives_reasons():
    for entry in ALLOWLIST:
        assert len(entry.get("reason", "").split()) >= 5, f"{entry['check']}: the allowlist needs a real reason"
