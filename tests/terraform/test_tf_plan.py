"""The generated project's own plan-level tests: `terraform init -backend=false` and `test`
(mock_provider "aws", run blocks with assertions; `terraform test` validates the configuration too)
for bootstrap, the environment roots and every module with tests, on the named combos, each distinct
directory once, with the real provider's schema from the local mirror.

The runs start in the background as the session begins (conftest.PlanRuns); these tests collect them.
"""

from __future__ import annotations

import time
from pathlib import Path

import hcl2
import pytest
from conftest import NAMED_BAKES, PLAN_COMBOS, ROOTS, ROOTS_PLANNED, figure, plan_bakes, terraform_dir
from hcl import OPTIONS
from tf_plan import (
    CI_FLAG,
    MIRROR_ENV,
    V6_SPELLINGS,
    Outcome,
    Spelling,
    adapt,
    find_mirror,
    passed_runs,
    required,
    run_directory,
    scratch_copy,
)

COMBOS = list(plan_bakes())


def _runs(plan_runs):
    if isinstance(plan_runs, str):
        message = f"terraform test not run: {plan_runs}"
        if required():
            pytest.fail(f"{message} ({CI_FLAG}=1: in CI the terraform binary and provider mirror are required)")
        pytest.skip(message)
    return plan_runs


def _explain(plan_runs, outcome: Outcome) -> str:
    text = "\n\n".join(str(step) for step in outcome.steps)
    toolchain = plan_runs.toolchain
    if toolchain.rewrites and outcome.steps and outcome.steps[-1].command[1] in ("validate", "test"):
        text += (
            f"\n\nThe provider in use is hashicorp/aws {toolchain.provider_version} from {toolchain.mirror}, "
            "while the template pins ~> 6.x: if the construct above is 6.x-only, add its 5.x spelling to "
            "V6_SPELLINGS in tests/terraform/tf_plan.py."
        )
    return text


def _check(plan_runs, outcome: Outcome) -> None:
    if not outcome.ok and outcome.offline and plan_runs.toolchain.mirror is None and not required():
        pytest.skip(f"no provider mirror and no registry: {outcome.steps[0].output.strip().splitlines()[-1]}")
    assert outcome.ok, _explain(plan_runs, outcome)
    assert passed_runs(outcome) >= 1, f"terraform test passed no run block:\n{_explain(plan_runs, outcome)}"


@pytest.mark.parametrize(("combo", "root"), [(combo, root) for combo in COMBOS for root in ROOTS_PLANNED[combo]])
def test_root_passes_its_terraform_tests(plan_runs, combo, root):
    runs = _runs(plan_runs)
    outcome = runs.result(combo, root)
    figure(f"timing: terraform init+test {combo}:{root} {outcome.seconds:.0f}s ({passed_runs(outcome)} runs)")
    _check(runs, outcome)


@pytest.mark.parametrize("combo", COMBOS)
def test_modules_pass_their_terraform_tests(plan_runs, combo):
    runs = _runs(plan_runs)
    failures = []
    for module in runs.modules(combo):
        outcome = runs.result(combo, module)
        figure(f"timing: terraform init+test {combo}:{module} {outcome.seconds:.0f}s")
        if not outcome.ok or passed_runs(outcome) < 1:
            failures.append(f"--- {module}\n{_explain(runs, outcome)}")
    assert not failures, "\n".join(failures)


def test_all_terraform_runs_finished(plan_runs):
    """The wall time of every background run together (collected after the tests above)."""
    runs = _runs(plan_runs)
    outcomes = [future.result() for future in runs.futures.values()]
    figure(
        f"timing: {len(outcomes)} terraform init+test runs over {len(COMBOS)} bakes "
        f"({len(runs.duplicates)} identical directories reused), "
        f"{time.monotonic() - runs.started:.0f}s wall, {sum(o.seconds for o in outcomes):.0f}s summed"
    )
    assert {combo for combo, _ in [*runs.futures, *runs.duplicates]} == set(COMBOS)


def test_every_v6_spelling_is_still_needed(plan_runs):
    runs = _runs(plan_runs)
    if not runs.toolchain.rewrites:
        pytest.skip(f"hashicorp/aws {runs.toolchain.provider_version or 'from the registry'} needs no rewriting")
    totals = {spelling.why: 0 for spelling in V6_SPELLINGS}
    for counts in runs.spelling_counts.values():
        for why, count in counts.items():
            totals[why] += count
    stale = [why for why, count in totals.items() if count == 0]
    assert not stale, f"V6_SPELLINGS entries that match nothing any more, remove them: {stale}"


# ---------------------------------------------------------------- what every bake must carry


def _test_files(bake_id: str, root: str) -> list[Path]:
    return sorted((terraform_dir(bake_id) / root / "tests").glob("*.tftest.hcl"))


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("combo", PLAN_COMBOS)
def test_every_root_carries_mocked_plan_tests_with_assertions(combo, root):
    """Checked without terraform too: a root's tests mock the AWS provider and assert something."""
    files = _test_files(NAMED_BAKES[combo], root)
    assert files, f"{root}/tests has no .tftest.hcl file"
    mocked, asserted = False, 0
    for path in files:
        parsed = hcl2.loads(path.read_text(), serialization_options=OPTIONS)
        mocked |= any("aws" in block for block in parsed.get("mock_provider", []))
        for run in parsed.get("run", []):
            (body,) = run.values()
            asserted += len(body.get("assert", []))
    assert mocked, f'{root}/tests never declares mock_provider "aws": the plan would need credentials'
    assert asserted >= 1, f"{root}/tests has no run block with an assert"


# ---------------------------------------------------------------- the harness itself


def test_adapt_relaxes_the_pin_and_rewrites_only_listed_spellings():
    text = (
        'aws = {\n  source  = "hashicorp/aws"\n  version = "~> 6.25"\n}\n'
        "region = data.aws_region.current.region\n"
        "  deletion_protection = var.deletion_protection\n"
    )
    listed = (Spelling("region", "", r"\bdata\.aws_region\.(\w+)\.region\b", r"data.aws_region.\1.name"),)
    adapted, counts = adapt(text, listed, "5.100.0")
    assert adapted == (
        'aws = {\n  source  = "hashicorp/aws"\n  version = "= 5.100.0"\n}\n'
        "region = data.aws_region.current.name\n"
        "  deletion_protection = var.deletion_protection\n"
    )
    assert counts == {"region": 1}


def test_mirror_is_found_by_its_layout(tmp_path, monkeypatch):
    for version in ("5.100.0", "5.9.1"):
        binary = tmp_path / "registry.terraform.io/hashicorp/aws" / version / "linux_amd64" / "terraform-provider-aws"
        binary.parent.mkdir(parents=True)
        binary.write_text("")
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    assert find_mirror("linux_amd64") == (tmp_path, "5.100.0")
    assert find_mirror("darwin_arm64") is None


def test_an_unlisted_v6_only_argument_fails_validate(plan_runs, tmp_path):
    """The rewriting must not hide a 6.x-only construct it does not list: validate has to fail."""
    runs = _runs(plan_runs)
    if not runs.toolchain.rewrites:
        pytest.skip("the provider in use is 6.x: nothing is rewritten")
    source = tmp_path / "terraform"
    (source / "probe").mkdir(parents=True)
    (source / "probe" / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
        '      version = "~> 6.25"\n    }\n  }\n}\n\n'
        "# EKS deletion_protection exists from 6.x on; V6_SPELLINGS rewrites it in modules/eks only.\n"
        'resource "aws_eks_cluster" "this" {\n  name                = "probe"\n'
        '  role_arn            = "arn:aws:iam::123456789012:role/probe"\n  deletion_protection = true\n\n'
        '  vpc_config {\n    subnet_ids = ["subnet-1", "subnet-2"]\n  }\n}\n'
    )
    copy = tmp_path / "scratch"
    scratch_copy(source, copy, runs.toolchain)
    outcome = run_directory(runs.toolchain, copy / "probe", runs.config)
    assert [step.command[1] for step in outcome.steps] == ["init", "validate"], _explain(runs, outcome)
    assert outcome.steps[-1].returncode != 0
    assert 'An argument named "deletion_protection" is not expected here.' in outcome.steps[-1].output
