"""Render the template for tests: the default answers, named combos and the all-pairs matrix.

Every test module asks this module for projects instead of calling cookiecutter itself, so a
combination is rendered once per test session and every layer of the pyramid tests the same bakes.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path

from allpairspy import AllPairs
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
OPTIONS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())

# The options whose values are a fixed list: the matrix covers every pair of their values.
CHOICE_OPTIONS = {key: value for key, value in OPTIONS.items() if isinstance(value, list)}

# Named combinations that slow end-to-end layers run on, besides the defaults.
NAMED_COMBOS = {
    "default": {},
    "lean": {"use_cloudfront": "n", "use_worker_instance": "n"},
    "custom-domain": {
        "project_name": "Billing Api",
        "domain_name": "api.example.org",
        "aws_region": "eu-west-1",
        "python_version": "3.11",
    },
}


def all_pairs() -> list[dict[str, str]]:
    """Combinations of the choice options that cover every pair of their values."""
    keys = list(CHOICE_OPTIONS)
    return [dict(zip(keys, row, strict=True)) for row in AllPairs([CHOICE_OPTIONS[k] for k in keys])]


def combo_id(overrides: dict[str, str]) -> str:
    """A readable id: the non-default values, or 'default'."""
    changed = [f"{key}={value}" for key, value in overrides.items() if value != default_answer(key)]
    return ",".join(changed) or "default"


def default_answer(key: str) -> str:
    """The answer --no-input gives (the first choice of a list)."""
    value = OPTIONS[key]
    return value[0] if isinstance(value, list) else value


def pairs_covered(combos: list[dict[str, str]]) -> int:
    """How many distinct (option=value, option=value) pairs the combos cover."""
    seen = set()
    for combo in combos:
        items = sorted(combo.items())
        seen.update((a, b) for i, a in enumerate(items) for b in items[i + 1 :])
    return len(seen)


_OUTPUT_ROOT = Path(tempfile.mkdtemp(prefix="bakes-"))
atexit.register(shutil.rmtree, _OUTPUT_ROOT, ignore_errors=True)


@cache
def _render(frozen: tuple[tuple[str, str], ...]) -> Path:
    out = _OUTPUT_ROOT / f"bake-{len(list(_OUTPUT_ROOT.iterdir()))}"
    project = cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=dict(frozen), output_dir=str(out))
    return Path(project)


def render(**overrides: str) -> Path:
    """The generated project for these answers (rendered once per process)."""
    return _render(tuple(sorted(overrides.items())))


def tool(name: str) -> str:
    """A command-line tool installed in this test venv (found even when the venv is not on PATH)."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    assert found, f"{name} is not installed: install this layer's requirements/<layer>.txt"
    return found
