"""The walk can fail: a scratch copy of the default project with its guide broken the way guides break
— a flag renamed, a step dropped, GitHub set up after the push — stops at the step that needs what is
missing, with the reason the real step would give."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from bakery import render
from conftest import fresh, walked
from github_standin import GitHub, WalkFailed
from guide import setup_steps
from workflow_run import check_github_ready


@pytest.fixture
def scratch_project(tmp_path):
    return fresh(tmp_path)


def break_guide(project, old: str, new: str) -> None:
    guide = project / ".github" / "SETUP.md"
    text = guide.read_text()
    assert old in text
    guide.write_text(text.replace(old, new, 1))


def test_a_renamed_flag_stops_the_walk_at_its_step(scratch_project, tmp_path):
    break_guide(scratch_project, "$ invoke bootstrap --env staging", "$ invoke bootstrap --environment staging")
    walk = walked(scratch_project, tmp_path / "walk")
    walk.close()
    assert walk.failure.startswith(
        "step 3 (Bootstrap each account): `invoke bootstrap --environment staging` failed (exit 1):"
    )
    assert "No idea what '--environment' is!" in walk.failure


def test_a_dropped_step_stops_the_walk_where_its_work_is_needed(scratch_project, tmp_path):
    text = (scratch_project / ".github" / "SETUP.md").read_text()
    bootstrap = re.search(r"^## 3\. .*?(?=^## 4\. )", text, re.MULTILINE | re.DOTALL).group(0)
    break_guide(scratch_project, bootstrap, "")
    walk = walked(scratch_project, tmp_path / "walk")
    walk.close()
    assert walk.failure.startswith(
        "step 4 (First provision of each environment): `invoke provision --env staging` failed (exit 1):"
    )
    assert 'S3 bucket "example-service-tfstate-123456789012" does not exist.' in walk.failure


def test_an_output_no_terraform_declares_stops_the_first_step_that_reads_it(scratch_project, tmp_path):
    outputs = scratch_project / "terraform" / "environments" / "staging" / "outputs.tf"
    text = outputs.read_text()
    declared = re.search(r'^output "cluster_name" \{.*?^\}\n', text, re.MULTILINE | re.DOTALL).group(0)
    outputs.write_text(text.replace(declared, ""))
    steps = [step for step in setup_steps(scratch_project) if step.number in (3, 4, 5)]
    walk = walked(scratch_project, tmp_path / "walk", steps)
    walk.close()
    assert walk.failure.startswith("step 5 (Set up each cluster): `invoke tunnel --env staging` failed (exit 1):")
    assert (
        "Terraform output 'cluster_name' is missing in staging: run `invoke provision --env staging`." in walk.failure
    )


def test_pushing_before_github_is_set_up_is_refused():
    project = render()
    steps = [step.title for step in setup_steps(project)]
    assert steps.index("The GitHub repository, before any workflow is pushed") < steps.index("First deploy")
    unready = SimpleNamespace(project=project, github=GitHub())
    with pytest.raises(WalkFailed) as refused:
        check_github_ready(unready, "step 6 (First deploy): `git push -u origin main`")
    assert str(refused.value) == (
        "step 6 (First deploy): `git push -u origin main`: the workflows name environment 'production', which no "
        "earlier step created: the push creates it on first use, without protection rules"
    )


def test_the_default_oidc_subject_is_refused():
    ready = {"reviewers": True, "custom_branches": True, "branches": ["main"]}
    github = GitHub(environments={"staging": dict(ready), "production": dict(ready)})
    with pytest.raises(WalkFailed) as refused:
        check_github_ready(SimpleNamespace(project=render(), github=github), "push")
    assert str(refused.value) == (
        "push: the roles trust OIDC subjects made of ['repo', 'context', 'job_workflow_ref'], but the repository's "
        "subject claim is the default: every AWS login of the workflows would be refused"
    )
