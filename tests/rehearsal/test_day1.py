"""Day 1, walked as SETUP.md writes it: from accounts to a served request, with no dead end."""

from __future__ import annotations

import re

from conftest import task_flags
from guide import argv, console_commands, readme_section, setup_steps
from workflow_run import DIGEST

STEPS = [
    "Accounts and administrators",
    "The GitHub repository, before any workflow is pushed",
    "Bootstrap each account",
    "First provision of each environment",
    "Set up each cluster",
    "First deploy",
    "A served request",
]

CORE_FLAGS = {"--dry", "--list", "--help"}  # invoke's own, before the task


def documented_invocations(project) -> list[str]:
    """Every `invoke …` the guides tell a person to type: SETUP.md's steps and the README's Day 1 and Day 2."""
    commands = [c for step in setup_steps(project) for c in step.commands]
    for title in ("Day 1", "Day 2"):
        section = readme_section(project, title)
        commands += console_commands(section) + re.findall(r"`(invoke [^`]+)`", section)
    return [c for c in commands if c.startswith("invoke ")]


def test_setup_is_in_the_order_a_person_acts_and_says_who(day1):
    steps = setup_steps(day1.project)
    assert [step.title for step in steps] == STEPS
    assert all(step.who for step in steps)
    assert [step.number for step in steps] == list(range(1, 8))


def test_every_documented_task_and_flag_exists(day1):
    flags = task_flags(day1.project)
    invocations = documented_invocations(day1.project)
    assert len(invocations) >= 12
    for command in invocations:
        words = [w for w in argv(command.replace("…", "x"))[1:] if w not in CORE_FLAGS]
        if not words:
            continue  # `invoke --list`
        task = words[0]
        assert task in flags, f"`{command}`: there is no task {task!r} (tasks: {', '.join(sorted(flags))})"
        unknown = {w.split("=")[0] for w in words[1:] if w.startswith("--")} - flags[task]
        assert not unknown, f"`{command}`: {task} has no {', '.join(sorted(unknown))}"


def test_the_walk_reaches_a_served_request(day1):
    assert day1.failure is None, day1.failure
    assert day1.served == (200, "ok")
    repository = day1.outputs["staging"]["ecr_repository_url"]
    for env, fake in day1.kube.items():
        deployment = fake.objects[f"/apis/apps/v1/namespaces/{day1.slug}/deployments/{day1.slug}"]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{repository}@{DIGEST}", env


def test_bootstrap_adopts_the_provider_an_account_already_has(day1):
    assert day1.failure is None, day1.failure
    bootstraps = [ran for ran in day1.ran if ran.command.startswith("invoke bootstrap")]
    staging = day1.accounts["staging"]
    assert f"GitHub's OIDC provider exists in account {staging}." in bootstraps[0].output
    plans = [call for call in day1.terraform_calls() if call[0].endswith("/bootstrap") and call[1] == "plan"]
    assert "-var=github_oidc_provider_exists=true" in plans[0]
    if day1.accounts["production"] != staging:  # production's account is new to GitHub: bootstrap creates it
        assert f"GitHub's OIDC provider is new to account {day1.accounts['production']}." in bootstraps[1].output
        assert "-var=github_oidc_provider_exists=false" in plans[1]
    else:
        assert len(bootstraps) == 1


def test_each_environment_is_provisioned_into_the_bucket_its_bootstrap_made(day1):
    assert day1.failure is None, day1.failure
    calls = day1.terraform_calls()
    for env in ("staging", "production"):
        init = next(c for c in calls if c[0].endswith(f"/environments/{env}") and c[1] == "init")
        bootstrap_apply = next(c for c in calls if c[0].endswith("/bootstrap") and c[1] == "apply")
        assert calls.index(bootstrap_apply) < calls.index(init)
        assert f"-backend-config=bucket={day1.slug}-tfstate-{day1.accounts[env]}" in init


def test_the_cluster_is_set_up_before_the_first_deploy_migrates_then_rolls_out(day1):
    assert day1.failure is None, day1.failure
    for env, fake in day1.kube.items():
        applied = [
            (r["body"]["kind"], r["body"]["metadata"]["name"])
            for r in fake.requests
            if r["method"] == "PATCH" and r["content_type"] == "application/apply-patch+yaml"
        ]
        assert applied[0] == ("Namespace", day1.slug), env
        assert ("Deployment", "cluster-autoscaler") in applied, env
        migrate = applied.index(("Job", f"{day1.slug}-migrate"))
        assert applied.index(("Deployment", "cluster-autoscaler")) < migrate < applied.index(("Deployment", day1.slug))


def test_deploy_jobs_run_in_order_on_the_runners_terraform_creates(day1):
    assert day1.failure is None, day1.failure
    assert day1.job_order == ["ci", "build", "staging", "production"]
    deploys = [ran for ran in day1.ran if ran.command.startswith("invoke deploy")]
    assert [ran.where.rsplit("job ", 1)[1] for ran in deploys] == ["staging", "production"]
    assert all("Deployed to" in ran.output for ran in deploys)
