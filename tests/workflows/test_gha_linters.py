"""The linters GitHub Actions users trust, run offline over every distinct `.github/` tree: 0 findings."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from gha_support import report, run, venv_tool


def timed(label: str, argv: list[str]):
    started = time.monotonic()
    result = run(argv)
    report(f"timing: {label}, {time.monotonic() - started:.1f}s")
    return result


@pytest.fixture(scope="session")
def actionlint_findings(distinct) -> list[dict]:
    """One actionlint run over every workflow; shellcheck checks the `run:` scripts when installed."""
    shellcheck = shutil.which("shellcheck") or ""
    files = [str(path) for bake in distinct for path in sorted((bake.github / "workflows").glob("*.yml"))]
    result = timed(
        f"actionlint over {len(files)} workflows",
        [venv_tool("actionlint"), "-format", "{{json .}}", f"-shellcheck={shellcheck}", *files],
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"actionlint could not run (exit {result.returncode}): {result.stderr}")
    return json.loads(result.stdout or "[]")


def test_actionlint_finds_nothing(bake, actionlint_findings):
    mine = [
        f"{f['filepath']}:{f['line']}: {f['message']}"
        for f in actionlint_findings
        if Path(f["filepath"]).resolve().is_relative_to(bake.root)
    ]
    assert not mine, "\n".join(mine)
    assert all(Path(f["filepath"]).resolve().is_relative_to(bake.root.parent) for f in actionlint_findings)


def test_shellcheck_is_there_for_actionlint():
    """Without shellcheck actionlint silently skips the scripts: CI must have it (.ci/run installs it)."""
    if shutil.which("shellcheck"):
        return
    if os.environ.get("CI"):
        pytest.fail("shellcheck is not on PATH: install Debian's shellcheck so actionlint checks `run:` scripts")
    pytest.skip("shellcheck is not on PATH here, so actionlint did not check the `run:` scripts")


SCHEMAS = {
    "vendor.github-workflows": lambda bake: sorted((bake.github / "workflows").glob("*.yml")),
    "vendor.github-actions": lambda bake: sorted((bake.github / "actions").glob("*/action.yml")),
    "vendor.dependabot": lambda bake: [bake.github / "dependabot.yml"],
}


@pytest.fixture(scope="session")
def schema_results(distinct) -> dict[str, dict]:
    """One check-jsonschema run per schema over every distinct tree's files of that kind."""
    results = {}
    for schema, files_of in SCHEMAS.items():
        files = [str(path) for bake in distinct for path in files_of(bake)]
        assert files, f"no files for {schema}"
        result = timed(
            f"check-jsonschema {schema} over {len(files)} files",
            [venv_tool("check-jsonschema"), "--output-format", "json", "--builtin-schema", schema, *files],
        )
        results[schema] = json.loads(result.stdout)
    return results


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_files_match_their_json_schema(schema, schema_results):
    outcome = schema_results[schema]
    assert outcome["status"] == "ok", json.dumps(outcome["errors"], indent=1)[:4000]


@pytest.fixture(scope="session")
def zizmor_findings(distinct) -> list[dict]:
    """One offline zizmor run over every distinct tree (each tree's .github/zizmor.yml applies to it)."""
    result = timed(
        f"zizmor over {len(distinct)} trees",
        [venv_tool("zizmor"), "--offline", "--format", "json", *[str(b.root) for b in distinct]],
    )
    if result.returncode not in (0, *range(10, 15)):
        pytest.fail(f"zizmor could not run (exit {result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def test_zizmor_finds_nothing(zizmor_findings):
    found = [f"{f['ident']}: {f['desc']} at {f['locations'][0]['symbolic']['key']}" for f in zizmor_findings]
    assert not found, "\n".join(found)


ZIZMOR_DISABLED = {"self-repository"}


def test_zizmor_config_turns_off_only_the_allowlisted_audits(bake):
    """Rules turned off in .github/zizmor.yml are exactly the ones agreed, and each says why."""
    import yaml

    path = bake.github / "zizmor.yml"
    text = path.read_text()
    rules = yaml.safe_load(text)["rules"]
    assert set(rules) == ZIZMOR_DISABLED
    for rule in rules:
        comment = text.split(f"{rule}:", 1)[1].split("disable:", 1)[0]
        assert comment.strip().startswith("#"), f"zizmor.yml: say why {rule} is off"


@pytest.fixture(scope="session")
def checkov_report(distinct, tmp_path_factory) -> dict:
    checkov = os.environ.get("CHECKOV_BIN")
    if not checkov:
        pytest.fail("CHECKOV_BIN is not set: point it at checkov (requirements/checkov.txt), as the nox session does")
    scan = distinct[0].root.parent
    result = timed(
        f"checkov github_actions over {len(distinct)} trees",
        [checkov, "--skip-download", "--framework", "github_actions", "--output", "json", "--directory", str(scan)],
    )
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"checkov printed no JSON (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    reports = parsed if isinstance(parsed, list) else [parsed]
    merged = {"passed_checks": [], "failed_checks": [], "skipped_checks": []}
    for part in reports:
        for key in merged:
            merged[key] += part.get("results", {}).get(key, [])
    report(
        f"checkov github_actions: {len(merged['passed_checks'])} passed, {len(merged['failed_checks'])} failed, "
        f"{len(merged['skipped_checks'])} skipped"
    )
    return merged


def test_checkov_finds_nothing(checkov_report):
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in checkov_report["failed_checks"]]
    assert not failed, "\n".join(failed)
    assert not checkov_report["skipped_checks"], "workflows skip no checkov check"
    assert checkov_report["passed_checks"], "checkov passed nothing: it scanned no workflows"
