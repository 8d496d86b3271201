"""checkov (terraform + secrets) over every distinct Terraform shape: nothing fails, every skip is allowlisted.

The run itself is started by conftest.py in the background as the session begins.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from bakery import TEMPLATE_DIR
from conftest import figure

ALLOWLIST = yaml.safe_load((Path(__file__).parent / "checkov_allowlist.yaml").read_text())
TEMPLATE_TERRAFORM = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "terraform"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@pytest.fixture(scope="session")
def checkov_report(checkov_process) -> dict:
    """The report of the checkov run conftest started in the background."""
    if checkov_process is None:
        pytest.fail(
            "CHECKOV_BIN is not set and checkov is not on PATH: install requirements/checkov.txt "
            "in a venv of its own and point CHECKOV_BIN at its checkov, as the nox session does"
        )
    process, bakes, started = checkov_process
    stdout, stderr = process.communicate()
    figure(
        f"timing: checkov over {len(bakes)} bakes ({'; '.join(bakes)}), {time.monotonic() - started:.1f}s "
        "(in the background of the other tests)"
    )
    try:
        parsed = json.loads(stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON (exit {process.returncode}):\n{stdout[-2000:]}{stderr[-2000:]}")
    reports = parsed if isinstance(parsed, list) else [parsed]
    merged: dict = {
        "summary": {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0},
        "failed": [],
        "skipped": [],
    }
    for report in reports:
        for key in merged["summary"]:
            merged["summary"][key] += report.get("summary", {}).get(key, 0)
        merged["failed"] += report.get("results", {}).get("failed_checks", [])
        merged["skipped"] += report.get("results", {}).get("skipped_checks", [])
    summary = merged["summary"]
    figure(
        f"checkov terraform+secrets: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped, {summary['parsing_errors']} parsing errors; skipped ids: "
        f"{len({c['check_id'] for c in merged['skipped']})}"
    )
    return merged


def test_checkov_finds_nothing(checkov_report):
    failed = [
        f"{c['check_id']} {c['resource']} {c['file_path']}:{c['file_line_range'][0]}" for c in checkov_report["failed"]
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0, "checkov passed nothing: it scanned no Terraform"


def test_checkov_skips_are_allowlisted(checkov_report):
    skipped = {check["check_id"] for check in checkov_report["skipped"]}
    assert skipped, "checkov reported no skips although the Terraform carries inline skips: were they read?"
    assert skipped <= set(ALLOWLIST), f"skipped but not in checkov_allowlist.yaml: {sorted(skipped - set(ALLOWLIST))}"
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in checkov_report["skipped"]
        if not c.get("check_result", {}).get("suppress_comment")
    ]
    assert not unexplained, "skips without a reason:\n" + "\n".join(unexplained)


def _inline_skips() -> list[tuple[str, int, str, str]]:
    skips = []
    for path in sorted(TEMPLATE_TERRAFORM.rglob("*.tf")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = SKIP_COMMENT.search(line)
            if match:
                skips.append(
                    (
                        f"{path.relative_to(TEMPLATE_DIR)}:{number}",
                        number,
                        match.group(1),
                        (match.group(2) or "").strip(),
                    )
                )
    return skips


def test_every_inline_skip_has_a_reason_and_is_allowlisted():
    skips = _inline_skips()
    problems = [f"{where}: {check} has no reason" for where, _, check, reason in skips if len(reason) < 20]
    problems += [
        f"{where}: {check} is not in checkov_allowlist.yaml" for where, _, check, _ in skips if check not in ALLOWLIST
    ]
    assert not problems, "\n".join(problems)


def test_allowlist_has_no_stale_entries():
    used = {check for _, _, check, _ in _inline_skips()}
    stale = sorted(set(ALLOWLIST) - used)
    assert not stale, f"checkov_allowlist.yaml lists checks no Terraform skips any more: {stale}"
    assert all(isinstance(reason, str) and reason.strip() for reason in ALLOWLIST.values())
