"""The command line as a user meets it: `invoke --list`, help on every task, bad arguments.

Two tests start `python -m invoke` for real; the others run the same program in this process
(`invoke_here`), which says the same and exits the same without a new interpreter's ~0.3 s of start-up.
"""

import inspect
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from invoke.main import program

import tasks

TASKS = {
    "doctor",
    "bootstrap",
    "provision",
    "drift",
    "destroy",
    "tunnel",
    "cluster.setup",
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
    "token",
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


def invoke_here(monkeypatch, capsys, *args, env=None):
    """`invoke *args` run by invoke's own program object in this process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(ROOT)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    # The program loads the tasks package anew and puts tasks/ first on sys.path (where its token.py
    # would shadow the standard library's): both are put back after the test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "tasks", tasks)
    try:
        program.run(["invoke", *args])
        code = 0
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


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
    cluster_only = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.name not in environments)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"--env 'nope' is not an environment; choose one of: {', '.join(environments)} "
        f"(or, with --kubeconfig, {', '.join(cluster_only)})."
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rollback", "--env", "staging", "--revision", "abc"], "--revision 'abc' is not a revision number"),
        (["logs", "--env", "staging", "--since", "abc"], "--since 'abc' is not a number of minutes"),
        (["provision", "--env", "staging", "--out", "x"], "--out names where --plan-only saves the plan"),
        (["tunnel", "--env", "staging", "--port", "http"], "--port 'http' is not a port this task can use"),
        (["deploy", "--env", "staging", "--image", "latest"], "--image 'latest' is not a digest"),
        (["deploy", "--env", "staging"], "AWS call failed while reading the Terraform state"),
    ],
)
def test_bad_arguments_are_one_sentence_not_a_traceback(args, message, monkeypatch, capsys):
    aws = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1", "AWS_ACCESS_KEY_ID": "x"}
    code, _, stderr = invoke_here(monkeypatch, capsys, *args, env={**aws, "AWS_SECRET_ACCESS_KEY": "x"})
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith(message)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_has_a_docstring_and_help_for_each_argument(name):
    task = tasks.ns[name]
    assert (task.__doc__ or "").strip()
    arguments = [p for p in inspect.signature(task.body).parameters if p != "c"]
    assert sorted(task.help) == sorted(arguments)


def test_dry_provision_lists_the_terraform_commands_and_changes_nothing(monkeypatch, capsys):
    before = sorted(p.name for p in ROOT.iterdir())
    code, stdout, stderr = invoke_here(monkeypatch, capsys, "--dry", "provision", "--env", "staging")
    assert code == 0, stderr
    chdir = f"» (dry run) run: terraform -chdir={ROOT}/terraform/environments/staging"
    assert [line.split(" ", 7)[:7] for line in stdout.splitlines()] == [
        [*chdir.split(), "init"],
        [*chdir.split(), "plan"],
        [*chdir.split(), "apply"],
    ]
    assert sorted(p.name for p in ROOT.iterdir()) == before  # no .cache, no plan file


def test_settings_from_the_environment_override_the_answers(monkeypatch, capsys):
    args = ("--dry", "provision", "--env", "staging", "--plan-only")
    code, stdout, stderr = invoke_here(monkeypatch, capsys, *args, env={"INVOKE_PROJECT_REGION": "ap-south-1"})
    assert code == 0, stderr
    assert "-backend-config=region=ap-south-1" in stdout
