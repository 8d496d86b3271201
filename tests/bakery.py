"""Render the template for tests: the default answers, named combos and the all-pairs matrix.

Every test module asks this module for projects instead of calling cookiecutter itself, so a
combination is rendered once per test session and every layer of the pyramid tests the same bakes.
"""

from __future__ import annotations

import atexit
import hashlib
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
        "route53_zone_id": "Z0123456789ABCDEFGHIJ",
        "aws_region": "eu-west-1",
        "python_version": "3.11",
    },
    "two-accounts": {
        "production_aws_account_id": "210987654321",
        "kubernetes_api_access": "public",
        "kubernetes_api_cidrs": "203.0.113.0/24,198.51.100.7/32",
        "cluster_admin_arns": "arn:aws:iam::123456789012:role/Admin,arn:aws:iam::210987654321:role/Admin",
        "alarm_email": "oncall@example.com",
        "oidc_issuer_url": "https://login.example.com/",
    },
}


# Free-text answers a choice needs to be valid: public API access must name the CIDRs it admits.
DEPENDENT_ANSWERS = {
    ("kubernetes_api_access", "public"): {"kubernetes_api_cidrs": "203.0.113.0/24,198.51.100.7/32"},
}


def complete(answers: dict[str, str]) -> dict[str, str]:
    """The answers plus the free-text answers their choices need."""
    extra = {}
    for (question, value), needed in DEPENDENT_ANSWERS.items():
        if answers.get(question) == value:
            extra |= needed
    return extra | answers


def all_pairs() -> list[dict[str, str]]:
    """Combinations of the choice options that cover every pair of their values."""
    keys = list(CHOICE_OPTIONS)
    return [complete(dict(zip(keys, row, strict=True))) for row in AllPairs([CHOICE_OPTIONS[k] for k in keys])]


def combo_id(overrides: dict[str, str]) -> str:
    """A readable id: the non-default values, or 'default'."""
    changed = [f"{key}={value}" for key, value in overrides.items() if value != default_answer(key)]
    return ",".join(changed) or "default"


def default_answer(key: str) -> str:
    """The answer --no-input gives (the first choice of a list)."""
    value = OPTIONS[key]
    return value[0] if isinstance(value, list) else value


def pairs_covered(combos: list[dict[str, str]]) -> int:
    """How many distinct (option=value, option=value) pairs of the choice options the combos cover."""
    seen = set()
    for combo in combos:
        items = sorted((key, value) for key, value in combo.items() if key in CHOICE_OPTIONS)
        seen.update((a, b) for i, a in enumerate(items) for b in items[i + 1 :])
    return len(seen)


_OUTPUT_ROOT = Path(tempfile.mkdtemp(prefix="bakes-"))
atexit.register(shutil.rmtree, _OUTPUT_ROOT, ignore_errors=True)
# Pristine renders shared by every layer's process, keyed by the template's content and the answers:
# each layer would otherwise spend most of a minute rendering the same matrix again.
_SHARED_BAKES = TEMPLATE_DIR / ".nox" / "_bakes"


@cache
def template_digest() -> str:
    """A hash of everything that shapes a render: the questions, the hooks and the project tree."""
    digest = hashlib.sha256()
    sources = [TEMPLATE_DIR / "cookiecutter.json", *sorted((TEMPLATE_DIR / "hooks").rglob("*"))]
    sources += sorted((TEMPLATE_DIR / "{{cookiecutter.project_slug}}").rglob("*"))
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(TEMPLATE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _shared_render(answers: dict[str, str]) -> Path:
    """The pristine render for these answers, made once for all processes (an atomic rename publishes it)."""
    key = hashlib.sha256(json.dumps([template_digest(), answers], sort_keys=True).encode()).hexdigest()[:16]
    published = _SHARED_BAKES / key
    if not published.exists():
        _SHARED_BAKES.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="rendering-", dir=_SHARED_BAKES))
        cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(staging))
        try:
            staging.rename(published)
        except OSError:  # Another process published the same render first.
            shutil.rmtree(staging, ignore_errors=True)
    return next(published.iterdir())


@cache
def _render(frozen: tuple[tuple[str, str], ...]) -> Path:
    # Tests may write into their project (venvs, caches), so each process works on its own copy.
    pristine = _shared_render(dict(frozen))
    copy = _OUTPUT_ROOT / f"bake-{len(list(_OUTPUT_ROOT.iterdir()))}" / pristine.name
    shutil.copytree(pristine, copy, symlinks=True)
    return copy


def render(**overrides: str) -> Path:
    """The generated project for these answers (a private copy, made once per process)."""
    return _render(tuple(sorted(overrides.items())))


def every_combo() -> dict[str, dict[str, str]]:
    """The named combinations, then the all-pairs matrix, keyed by a readable id."""
    combos = dict(NAMED_COMBOS)
    for answers in all_pairs():
        combos.setdefault(combo_id(answers), answers)
    return combos


def tool(name: str) -> str:
    """A command-line tool of this layer's venv, by path: never a same-named one on PATH (such as
    Debian's older kubectl), and found even when the venv is not on PATH."""
    beside_python = Path(sys.executable).parent / name
    assert beside_python.exists(), f"{name} is not installed next to {sys.executable}: install requirements/<layer>.txt"
    return str(beside_python)
