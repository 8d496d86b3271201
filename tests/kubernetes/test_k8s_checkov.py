"""checkov on the rendered overlays: nothing fails, and every skip is on the allowlist with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from checkov_results import checks_by_owner
from k8s_support import distinct_renders, report

# Kinds checkov has no checks for: a render holding only these (kind's cluster overlay, a namespace)
# passes nothing and fails nothing.
UNCHECKED_KINDS = {"Namespace"}
ALLOWLIST = yaml.safe_load((Path(__file__).parent / "checkov_skips.yaml").read_text())


def allowed_in(overlay: str) -> set[tuple[str, str]]:
    return {
        (entry["check"], kind)
        for entry in ALLOWLIST
        for kind in entry["kinds"]
        if overlay in entry.get("overlays", [overlay])
    }


@pytest.fixture(scope="session")
def checkov_results(renders, oracle_runs) -> dict[Path, dict[str, list[dict]]]:
    """One checkov run over the folder holding every distinct render; rendered file -> its results."""
    if "checkov" not in oracle_runs:
        pytest.fail("CHECKOV_BIN is not set: point it at checkov (requirements/checkov.txt), as the nox session does")
    result = oracle_runs["checkov"].result
    scan = Path(oracle_runs["checkov"].argv[-1])
    files = [render.path for render in distinct_renders(renders)]
    by_file, counts = checks_by_owner(result, files, lambda path: scan / path)
    report(
        f"checkov kubernetes: {counts['passed_checks']} passed, {counts['failed_checks']} failed, "
        f"{counts['skipped_checks']} skipped over {len(files)} distinct renders"
    )
    return by_file


def test_checkov_finds_nothing(any_rendered, checkov_results):
    """Per overlay of each bake: no failed check, something passed, every skip allowlisted."""
    found = checkov_results[any_rendered.path]
    where = any_rendered.path.relative_to(any_rendered.path.parent.parent)
    failed = [f"{c['check_id']} {c['resource']}" for c in found["failed_checks"]]
    assert not failed, f"checkov failed checks in {where}:\n" + "\n".join(failed)
    unchecked = {doc["kind"] for doc in any_rendered.docs} <= UNCHECKED_KINDS
    assert found["passed_checks"] or unchecked, f"checkov passed nothing in {where}: it scanned no manifests"
    allowed = allowed_in(any_rendered.env)
    for check in found["skipped_checks"]:
        key = (check["check_id"], check["resource"].split(".")[0])
        assert key in allowed, f"{where}: {key} is skipped but not on checkov_skips.yaml"


def test_inline_skips_match_the_allowlist(any_rendered):
    """Each `checkov.io/skipN` annotation names an allowlisted check for its kind, with a reason."""
    found = set()
    for doc in any_rendered.docs:
        for key, value in (doc["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert reason.strip(), f"{doc['kind']}: skip of {check} gives no reason"
                found.add((check, doc["kind"]))
    allowed = allowed_in(any_rendered.env)
    where = any_rendered.env
    assert found == allowed, f"{where}: skips {sorted(found)} differ from checkov_skips.yaml {sorted(allowed)}"


def test_allowlist_gives_reasons():
    for entry in ALLOWLIST:
        assert len(entry.get("reason", "").split()) >= 5, f"{entry['check']}: the allowlist needs a real reason"
