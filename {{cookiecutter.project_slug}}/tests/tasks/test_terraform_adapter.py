"""The python-terraform adapter: exact argv for each command, plan files' prior state, and a real run."""

import json
import shutil
import textwrap
import zipfile

import pytest
from conftest import commands, make_config
from invoke import Context, Exit, MockContext, Result

from tasks._terraform import Terraform, plan_prior_state, stale_plan
from tasks.effects import Effects

DIR = "/p/terraform/environments/staging"


@pytest.fixture
def tf(project):
    context = MockContext(config=make_config(project, dry=True), run=Result(""))
    return Terraform(Effects(context), DIR, lock_timeout="5m")


def test_init_argv_has_no_state_and_no_var_file(tf):
    assert tf.init_argv({"bucket": "b", "key": "staging/terraform.tfstate", "region": "us-east-1"}) == [
        "terraform",
        f"-chdir={DIR}",
        "init",
        "-input=false",
        "-reconfigure",
        "-backend-config=bucket=b",
        "-backend-config=key=staging/terraform.tfstate",
        "-backend-config=region=us-east-1",
    ]
    assert tf.init_argv() == ["terraform", f"-chdir={DIR}", "init", "-input=false", "-reconfigure"]


@pytest.mark.parametrize(
    ("kwargs", "flags"),
    [
        ({}, ["-lock-timeout=5m", "-out=/p/.cache/staging.tfplan"]),
        ({"lock": False}, ["-lock=false", "-out=/p/.cache/staging.tfplan"]),
        ({"destroy": True}, ["-lock-timeout=5m", "-out=/p/.cache/staging.tfplan", "-destroy"]),
        (
            {"variables": {"github_oidc_provider_exists": "true"}, "var_file": "production.tfvars"},
            [
                "-lock-timeout=5m",
                "-out=/p/.cache/staging.tfplan",
                "-var-file=production.tfvars",
                "-var=github_oidc_provider_exists=true",
            ],
        ),
    ],
    ids=["locked", "read-only", "destroy", "variables-as-flags"],
)
def test_plan_argv(tf, kwargs, flags):
    argv = tf.plan_argv("/p/.cache/staging.tfplan", **kwargs)
    assert argv == ["terraform", f"-chdir={DIR}", "plan", "-input=false", "-detailed-exitcode", *flags]


def test_apply_of_a_saved_plan_waits_for_the_lock_and_needs_no_approval_flag(tf):
    assert tf.apply_argv("/p/.cache/staging.tfplan") == [
        "terraform",
        f"-chdir={DIR}",
        "apply",
        "-input=false",
        "-lock-timeout=5m",
        "/p/.cache/staging.tfplan",
    ]


def test_workspace_argv(tf):
    assert tf.workspace_argv("210987654321") == [
        "terraform",
        f"-chdir={DIR}",
        "workspace",
        "select",
        "-or-create",
        "210987654321",
    ]


@pytest.mark.parametrize(("code", "changes"), [(0, False), (2, True)])
def test_plan_exit_codes_zero_and_two_are_success(project, code, changes):
    context = MockContext(config=make_config(project), run=Result(exited=code))
    assert Terraform(Effects(context), DIR, binary="sh").plan("out.tfplan") is changes


def test_plan_exit_code_one_is_one_sentence(project):
    context = MockContext(config=make_config(project), run=Result(exited=1))
    with pytest.raises(Exit) as error:
        Terraform(Effects(context), DIR, binary="sh").plan("out.tfplan")
    assert error.value.message == f"`terraform plan` failed in {DIR} (exit code 1); Terraform's own message is above."


def test_missing_binary_is_one_sentence_not_file_not_found(project):
    context = MockContext(config=make_config(project), run=Result(""))
    with pytest.raises(Exit) as error:
        Terraform(Effects(context), DIR, binary="terraform-not-installed").init()
    assert error.value.message == (
        "terraform-not-installed is not on PATH: install Terraform 1.10 or newer "
        "(https://developer.hashicorp.com/terraform/install), then run `invoke doctor`."
    )
    assert context.run.call_count == 0


def test_dry_run_lists_commands_and_assumes_the_plan_has_changes(project, capsys):
    context = MockContext(config=make_config(project, dry=True), run=Result(""))
    tf = Terraform(Effects(context), DIR, binary="terraform-not-installed")
    tf.init()
    assert tf.plan("out.tfplan") is True
    assert commands(context) == []
    assert capsys.readouterr().out.splitlines() == [
        f"» (dry run) run: terraform-not-installed -chdir={DIR} init -input=false -reconfigure",
        f"» (dry run) run: terraform-not-installed -chdir={DIR} plan -input=false -detailed-exitcode "
        "-lock-timeout=5m -out=out.tfplan",
    ]


def plan_file(path, lineage, serial):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfplan", b"")
        archive.writestr("tfstate", json.dumps({"version": 4, "lineage": lineage, "serial": serial}))
    return path


def test_plan_prior_state_reads_the_zip(tmp_path):
    assert plan_prior_state(plan_file(tmp_path / "p", "l-1", 41)) == ("l-1", 41)
    (tmp_path / "junk").write_text("not a zip")
    with pytest.raises(Exit) as error:
        plan_prior_state(tmp_path / "junk")
    assert (
        error.value.message
        == f"{tmp_path / 'junk'} is not a Terraform plan file: make one with `invoke provision --plan-only`."
    )


@pytest.mark.parametrize(
    ("plan", "current", "why"),
    [
        (("l-1", 41), {"lineage": "l-1", "serial": 41}, None),
        (("", 0), None, None),  # planned before the first apply, applied before anyone else
        (("l-1", 41), {"lineage": "l-1", "serial": 43}, "the state changed since (serial 41 then, 43 now)"),
        (("", 0), {"lineage": "l-1", "serial": 1}, "the state changed since (serial 0 then, 1 now)"),
        (("l-1", 41), {"lineage": "l-2", "serial": 41}, "it was made against a different state (another lineage)"),
    ],
)
def test_stale_plan(plan, current, why):
    assert stale_plan(plan, current) == why


FIXTURE = textwrap.dedent("""
    terraform {
      required_version = ">= 1.4"
    }
    variable "greeting" {
      type    = string
      default = "hello"
    }
    resource "terraform_data" "this" {
      input = var.greeting
    }
    output "greeting" {
      value = terraform_data.this.output
    }
""")


def test_real_terraform_plan_apply_and_a_stale_plan(project, tmp_path, monkeypatch, capfd):
    """The argv run for real, and the prior state read from real plan files agrees with Terraform."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH: the real init/plan/apply run was not done")
    config_file = tmp_path / "terraformrc"
    config_file.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    workdir = tmp_path / "root"
    workdir.mkdir()
    (workdir / "main.tf").write_text(FIXTURE)
    first, second = str(tmp_path / "first.tfplan"), str(tmp_path / "second.tfplan")
    tf = Terraform(Effects(Context(config=make_config(project))), workdir, lock_timeout="10s")
    tf.init()
    assert tf.plan(first, variables={"greeting": "one"}) is True
    assert tf.plan(second, variables={"greeting": "two"}) is True
    assert plan_prior_state(tmp_path / "first.tfplan") == ("", 0)
    tf.apply(first)
    state = json.loads((workdir / "terraform.tfstate").read_text())
    assert stale_plan(plan_prior_state(tmp_path / "second.tfplan"), state) is not None
    with pytest.raises(Exit, match="`terraform apply` failed"):
        tf.apply(second)  # Terraform agrees: "Saved plan is stale"
    assert "Saved plan is stale" in capfd.readouterr().err
    assert tf.plan(second, variables={"greeting": "one"}) is False
    assert plan_prior_state(tmp_path / "second.tfplan") == (state["lineage"], state["serial"])
