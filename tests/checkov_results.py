"""Read one checkov JSON run that covered many bakes, and hand each bake its own checks."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

OUTCOMES = ("passed_checks", "failed_checks", "skipped_checks")


def checks_by_owner(
    result: subprocess.CompletedProcess[str], owners: Iterable[Path], owner_of: Callable[[str], Path]
) -> tuple[dict[Path, dict[str, list[dict]]], dict[str, int]]:
    """Each owner's passed/failed/skipped checks (owner_of maps checkov's file_path), and the totals."""
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"checkov printed no JSON (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    by_owner: dict[Path, dict[str, list[dict]]] = {owner: {key: [] for key in OUTCOMES} for owner in owners}
    errors = []
    for part in parsed if isinstance(parsed, list) else [parsed]:
        results = part.get("results", {})
        errors += results.get("parsing_errors", [])
        for key in OUTCOMES:
            for check in results.get(key, []):
                owner = owner_of(check["file_path"].lstrip("/"))
                assert owner in by_owner, f"checkov reported {check['file_path']}, which belongs to no bake"
                by_owner[owner][key].append(check)
    assert not errors, f"checkov could not parse {errors}"
    counts = {key: sum(len(found[key]) for found in by_owner.values()) for key in OUTCOMES}
    return by_owner, counts
