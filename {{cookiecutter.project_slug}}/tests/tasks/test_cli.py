"""The command line as a user meets it: `invoke --list`, help on every task, a bad --env."""

import inspect
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

import tasks

TASKS = {
    "doctor",
    "bootstrap",
    "provision",
    "destroy",
    "build",
    "push",
    "deploy",
    "rollback",
    "status",
    "logs",
    "assets.publish",
    "db.migrate",
    "db.url",
    "local.dev",
    "local.test",
}


def invoke(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=None if env is None else os.environ | env,
    )


def test_list_shows_every_task():
    result = invoke("--list")
    assert result.returncode == 0, result.stderr
    listed = {
        line.split()[0]
        for line in result.stdout.splitlines()[1:]
        if line.startswith("  ") and not line.startswith("   ")
    }
    assert listed == TASKS


def test_deploy_with_an_unknown_env_fails_with_the_valid_names():
    result = invoke("deploy", "--env", "nope")
    environments = sorted(p.name for p in (ROOT / "terraform" / "environments").iterdir() if p.is_dir())
    if not environments:
        pytest.skip("terraform/environments is not in this project yet")
    assert result.returncode == 1
    assert result.stderr.strip() == f"--env 'nope' is not an environment; choose one of: {', '.join(environments)}."
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_has_a_docstring_and_help_for_each_argument(name):
    task = tasks.ns[name]
    assert (task.__doc__ or "").strip()
    arguments = [p for p in inspect.signature(task.body).parameters if p != "c"]
    assert sorted(task.help) == sorted(arguments)


def test_dry_provision_prints_the_terraform_commands_and_changes_nothing(tmp_path):
    if not (ROOT / "terraform" / "environments" / "staging").is_dir():
        pytest.skip("terraform/environments/staging is not in this project yet")
    before = sorted(p.name for p in ROOT.iterdir())
    result = invoke("--dry", "provision", "--env", "staging")
    assert result.returncode == 0, result.stderr
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in result.stdout.splitlines()]
    chdir = f"terraform -chdir={ROOT}/terraform/environments/staging"
    assert [line.split(" ", 3)[:3] for line in lines] == [
        [*chdir.split(), "init"],
        [*chdir.split(), "plan"],
        [*chdir.split(), "apply"],
        [*chdir.split(), "output"],
    ]
    assert sorted(p.name for p in ROOT.iterdir()) == before  # no .cache, no plan file


def test_settings_from_the_environment_override_the_answers():
    if not (ROOT / "terraform" / "environments" / "staging").is_dir():
        pytest.skip("terraform/environments/staging is not in this project yet")
    result = invoke(
        "--dry", "provision", "--env", "staging", "--plan-only", env={"INVOKE_PROJECT_REGION": "ap-south-1"}
    )
    assert result.returncode == 0, result.stderr
    assert "-backend-config=region=ap-south-1" in result.stdout
