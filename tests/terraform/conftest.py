"""Bakes for the Terraform layer, rendered once per session.

The Terraform tree reads only the answers in TERRAFORM_ANSWERS (a test proves the rest leave it
byte-identical), so the matrix is projected onto them: every distinct Terraform input of the
all-pairs matrix and of the named combos is rendered and checked, and nothing is rendered twice.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path

import hcl2
import pytest
import tfparse
from bakery import NAMED_COMBOS, all_pairs, combo_id, render
from hcl import OPTIONS, Block, module_dirs, parse_dir

TERRAFORM_ANSWERS = (
    "project_name",
    "project_slug",
    "package_name",
    "github_repository",
    "aws_region",
    "aws_account_id",
    "domain_name",
    "route53_zone_id",
    "kubernetes_version",
    "node_instance_type",
    "db_instance_class",
    "postgres_version",
    "use_cloudfront",
    "use_worker_instance",
    "alarm_email",
)
ENVIRONMENTS = ("staging", "production")
# Figures the tests measure (checkov counts, blocks checked, timings), repeated at the end of the run.
FIGURES: list[str] = []


def figure(line: str) -> None:
    """Print a measured figure now and again in the session summary (visible even under -q)."""
    print(f"\n{line}")
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("terraform layer figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def _terraform_combos() -> dict[str, dict[str, str]]:
    combos: dict[str, dict[str, str]] = {}
    for answers in [*NAMED_COMBOS.values(), *all_pairs()]:
        relevant = {key: value for key, value in answers.items() if key in TERRAFORM_ANSWERS}
        combos.setdefault(combo_id(relevant), relevant)
    return combos


COMBOS = _terraform_combos()
BAKE_IDS = list(COMBOS)


@cache
def terraform_dir(bake_id: str) -> Path:
    """The rendered `terraform/` of one bake."""
    return render(**COMBOS[bake_id]) / "terraform"


@cache
def tfvars(bake_id: str, root: str) -> dict:
    """The values a root (`environments/<env>` or `bootstrap`) is applied with."""
    text = (terraform_dir(bake_id) / root / "terraform.tfvars").read_text()
    return hcl2.loads(text, serialization_options=OPTIONS)


@cache
def modules(bake_id: str) -> dict[Path, list[Block]]:
    """Every Terraform directory of a bake with its parsed top-level blocks."""
    return {directory: parse_dir(directory) for directory in module_dirs(terraform_dir(bake_id))}


@cache
def evaluated(bake_id: str, root: str) -> dict:
    """tfparse's evaluation of one root (`environments/<env>` or `bootstrap`) with its tfvars."""
    return tfparse.load_from_path(str(terraform_dir(bake_id) / root), vars_paths=["terraform.tfvars"])


# ---------------------------------------------------------------- checkov, in the background

CHECKOV_TESTS = "test_tf_checkov.py"


def _shape(bake_id: str) -> tuple[str, str, bool]:
    """What changes the resources checkov sees: the optional parts and whether a domain is set
    (versions, names and regions only change string values)."""
    answers = COMBOS[bake_id]
    return answers.get("use_cloudfront", "y"), answers.get("use_worker_instance", "y"), bool(answers.get("domain_name"))


def one_bake_per_shape() -> list[str]:
    chosen: dict[tuple, str] = {}
    for bake_id in BAKE_IDS:
        chosen.setdefault(_shape(bake_id), bake_id)
    return list(chosen.values())


def pytest_collection_modifyitems(items):
    """checkov's tests go last, so its run (started first) overlaps every other test."""
    items.sort(key=lambda item: item.path.name == CHECKOV_TESTS)


@pytest.fixture(scope="session")
def checkov_process(tmp_path_factory):
    """One checkov process over a copy of each distinct shape's terraform/: (process, bakes, start)."""
    checkov = os.environ.get("CHECKOV_BIN") or shutil.which("checkov")
    if not checkov:
        yield None
        return
    scan = tmp_path_factory.mktemp("checkov")
    bakes = one_bake_per_shape()
    for bake_id in bakes:
        shutil.copytree(terraform_dir(bake_id), scan / re.sub(r"[^\w.-]", "_", bake_id) / "terraform")
    # --compact leaves code snippets out of the JSON (most of checkov's output time) but keeps the
    # skipped checks the allowlist test reads; --quiet would drop them.
    command = [
        checkov,
        "--skip-download",
        "--compact",
        "--framework",
        "terraform",
        "secrets",
        "--output",
        "json",
        "--directory",
        str(scan),
    ]
    # Let checkov keep its compiled modules: with PYTHONDONTWRITEBYTECODE it recompiles thousands each run.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    yield process, bakes, time.monotonic()
    if process.poll() is None:  # the checkov tests were deselected or failed early
        process.kill()
        process.communicate()


@pytest.fixture(scope="session", autouse=True)
def _start_checkov_first(request):
    if any(item.path.name == CHECKOV_TESTS for item in request.session.items):
        request.getfixturevalue("checkov_process")
