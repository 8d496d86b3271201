"""Bakes for the Terraform layer, rendered once per session.

The Terraform tree reads only the answers in TERRAFORM_ANSWERS (a test proves the rest leave it
byte-identical), so the matrix is projected onto them: every distinct Terraform input of the
all-pairs matrix and of the named combos is rendered and checked, and nothing is rendered twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path

import hcl2
import pytest
import tfparse
from bakery import NAMED_COMBOS, all_pairs, combo_id, render
from hcl import OPTIONS, Block, module_dirs, parse_dir
from tf_plan import (
    Outcome,
    Toolchain,
    cli_config,
    find_toolchain,
    run_directory,
    scratch_copy,
    test_directories,
)

TERRAFORM_ANSWERS = (
    "project_name",
    "project_slug",
    "package_name",
    "github_repository",
    "aws_region",
    "aws_account_id",
    "production_aws_account_id",
    "domain_name",
    "route53_zone_id",
    "kubernetes_api_access",
    "kubernetes_api_cidrs",
    "cluster_admin_arns",
    "staging_vpc_cidr",
    "production_vpc_cidr",
    "alarm_email",
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


def _relevant(answers: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in answers.items() if key in TERRAFORM_ANSWERS}


def _terraform_combos() -> dict[str, dict[str, str]]:
    combos: dict[str, dict[str, str]] = {}
    for answers in [*NAMED_COMBOS.values(), *all_pairs()]:
        combos.setdefault(combo_id(_relevant(answers)), _relevant(answers))
    return combos


COMBOS = _terraform_combos()
BAKE_IDS = list(COMBOS)
# The bake each named combo (bakery.NAMED_COMBOS) comes to once projected onto TERRAFORM_ANSWERS.
NAMED_BAKES = {name: combo_id(_relevant(answers)) for name, answers in NAMED_COMBOS.items()}


@cache
def terraform_dir(bake_id: str) -> Path:
    """The rendered `terraform/` of one bake."""
    return render(**COMBOS[bake_id]) / "terraform"


# The variable files each root is applied with: bootstrap runs once per account, here the registry
# (staging) account's run, as `invoke bootstrap --env staging` does.
VAR_FILES = {"bootstrap": ("terraform.tfvars", "staging.tfvars")}


def var_files(root: str) -> tuple[str, ...]:
    return VAR_FILES.get(root, ("terraform.tfvars",))


@cache
def tfvars(bake_id: str, root: str) -> dict:
    """The values a root (`environments/<env>` or `bootstrap`) is applied with."""
    values: dict = {}
    for name in var_files(root):
        values |= hcl2.loads((terraform_dir(bake_id) / root / name).read_text(), serialization_options=OPTIONS)
    return values


@cache
def modules(bake_id: str) -> dict[Path, list[Block]]:
    """Every Terraform directory of a bake with its parsed top-level blocks."""
    return {directory: parse_dir(directory) for directory in module_dirs(terraform_dir(bake_id))}


@cache
def evaluated(bake_id: str, root: str) -> dict:
    """tfparse's evaluation of one root (`environments/<env>` or `bootstrap`) with its tfvars."""
    return tfparse.load_from_path(str(terraform_dir(bake_id) / root), vars_paths=list(var_files(root)))


# ---------------------------------------------------------------- checkov, in the background

CHECKOV_TESTS = "test_tf_checkov.py"
PLAN_TESTS = "test_tf_plan.py"


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
    """The terraform runs' and checkov's tests go last, so their background work (started first)
    overlaps every other test."""
    items.sort(key=lambda item: (item.path.name == PLAN_TESTS, item.path.name == CHECKOV_TESTS))


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


# ---------------------------------------------------------------- terraform init/validate/test, in the background

# The named combos whose roots `terraform test` plans (each a distinct Terraform shape), and the
# roots every bake must carry tests for. Modules with their own tests run once per distinct content.
PLAN_COMBOS = ("default", "lean", "custom-domain", "two-accounts")
ROOTS = ("bootstrap", "environments/staging", "environments/production")
# The two environment roots hold the same files (test_tf_wiring) and differ in terraform.tfvars only,
# so staging is planned once, on two-accounts (its own account, public API); the private API and the
# shared account are planned on default's production. The other combos vary the modules' shape.
ROOTS_PLANNED = {
    "default": ("bootstrap", "environments/production"),
    "two-accounts": ROOTS,
    "lean": ("bootstrap", "environments/production"),
    "custom-domain": ("bootstrap", "environments/production"),
}
# Two workers: the provider plugin takes a core while it plans, and checkov runs beside them.
PLAN_WORKERS = 2
MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]+)"', re.MULTILINE)


def plan_bakes() -> dict[str, str]:
    """{combo name: bake id} of PLAN_COMBOS, without two names for the same bake."""
    chosen: dict[str, str] = {}
    for name in PLAN_COMBOS:
        if NAMED_BAKES[name] not in chosen.values():
            chosen[name] = NAMED_BAKES[name]
    return chosen


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _called_modules(directory: Path, found: set[Path] | None = None) -> set[Path]:
    """Every local module directory a Terraform directory calls, transitively."""
    found = set() if found is None else found
    for path in directory.glob("*.tf"):
        for source in MODULE_SOURCE.findall(path.read_text()):
            called = (directory / source).resolve()
            if called not in found:
                found.add(called)
                _called_modules(called, found)
    return found


def content_key(terraform_root: Path, relative: str) -> str:
    """What a `terraform test` in one directory reads: the directory (with its tests), the modules
    it calls and, for a root, the shared mocks. Two bakes with the same key run the same test. A
    module's tests pin the region and account their expectations name, so the shared mocks (which
    differ between bakes only in the answered region and accounts) do not change their outcome."""
    directory = terraform_root / relative
    parts = [directory, *sorted(_called_modules(directory))]
    if relative in ROOTS:
        parts.append(terraform_root / "mocks")
    return hashlib.sha256("".join(_digest(part) for part in parts).encode()).hexdigest()


RUN_BLOCK = re.compile(r'^run "', re.MULTILINE)


def _expected_cost(job: tuple[str, str, Path]) -> tuple[bool, int]:
    """(is an environment root, run blocks in its tests): an environment root plans the whole service."""
    _, relative, directory = job
    runs = sum(len(RUN_BLOCK.findall(path.read_text())) for path in directory.glob("tests/*.tftest.hcl"))
    return relative.startswith("environments/"), runs


class PlanRuns:
    """The background runs: one future per (combo, directory relative to terraform/)."""

    def __init__(self, toolchain: Toolchain, scratch: Path):
        self.toolchain = toolchain
        self.config = scratch / "terraformrc"
        self.config.write_text(cli_config(toolchain))
        self.futures: dict[tuple[str, str], Future[Outcome]] = {}
        self.spelling_counts: dict[str, dict[str, int]] = {}
        self.started = time.monotonic()
        self._pool = ThreadPoolExecutor(max_workers=PLAN_WORKERS)
        jobs, seen = [], {}
        self.duplicates: dict[tuple[str, str], tuple[str, str]] = {}
        for combo, bake_id in plan_bakes().items():
            copy = scratch / combo
            self.spelling_counts[combo] = scratch_copy(terraform_dir(bake_id), copy, toolchain)
            planned = [d for d in test_directories(copy) if str(d.relative_to(copy)) not in ROOTS]
            # A root without tests still runs, and fails for having none.
            planned += [copy / root for root in ROOTS_PLANNED[combo]]
            for directory in planned:
                relative = str(directory.relative_to(copy))
                # Identical inputs, identical run: a later bake reuses the first one's outcome.
                key = content_key(terraform_dir(bake_id), relative)
                if key in seen:
                    self.duplicates[combo, relative] = seen[key]
                    continue
                seen[key] = (combo, relative)
                jobs.append((combo, relative, directory))
        # Longest first, so the two workers finish together: the environment roots, then by run blocks.
        # `terraform test` validates the configuration and its test files itself: no `terraform validate`.
        for combo, relative, directory in sorted(jobs, key=_expected_cost, reverse=True):
            self.futures[combo, relative] = self._pool.submit(
                run_directory, toolchain, directory, self.config, validate=False
            )

    def result(self, combo: str, relative: str) -> Outcome:
        return self.futures[self.duplicates.get((combo, relative), (combo, relative))].result()

    def modules(self, combo: str) -> list[str]:
        return [relative for c, relative in self.futures if c == combo and relative not in ROOTS]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def plan_runs(tmp_path_factory):
    """The background terraform runs, or the reason they cannot happen (a string)."""
    toolchain = find_toolchain()
    if isinstance(toolchain, str):
        yield toolchain
        return
    runs = PlanRuns(toolchain, tmp_path_factory.mktemp("terraform-test"))
    yield runs
    runs.close()


@pytest.fixture(scope="session", autouse=True)
def _start_plan_runs_first(request):
    if any(item.path.name == PLAN_TESTS for item in request.session.items):
        request.getfixturevalue("plan_runs")
