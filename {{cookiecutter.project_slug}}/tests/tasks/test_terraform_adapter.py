"""The python-terraform adapter: exact argv for each command, and a real run when terraform exists."""

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import commands, make_config, real_runs
from invoke import Context, Exit, MockContext, Result

from tasks._terraform import Terraform, parse_outputs

DIR = "/p/terraform/environments/staging"


@pytest.fixture
def tf(project):
    context = MockContext(config=make_config(project, dry=True), run=Result(""))
    with Terraform(context, DIR) as adapter:
        yield adapter


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


def test_plan_argv_saves_the_plan_with_detailed_exit_code(tf):
    assert tf.plan_argv("/p/.cache/staging.tfplan") == [
        "terraform",
        f"-chdir={DIR}",
        "plan",
        "-input=false",
        "-detailed-exitcode",
        "-out=/p/.cache/staging.tfplan",
    ]


def test_plan_argv_destroy_and_variables_use_a_var_file(tf):
    argv = tf.plan_argv("out.tfplan", variables={"replicas": 2}, destroy=True)
    assert argv[:6] == ["terraform", f"-chdir={DIR}", "plan", "-input=false", "-detailed-exitcode", "-out=out.tfplan"]
    assert argv[6] == "-destroy"
    var_file = argv[7].removeprefix("-var-file=")
    assert json.loads(Path(var_file).read_text()) == {"replicas": 2}
    tf.temp_var_files.clean_up()
    assert not os.path.exists(var_file)


def test_apply_of_a_saved_plan_needs_no_approval_flag(tf):
    assert tf.apply_argv("/p/.cache/staging.tfplan") == [
        "terraform",
        f"-chdir={DIR}",
        "apply",
        "-input=false",
        "/p/.cache/staging.tfplan",
    ]


def test_apply_without_a_plan_auto_approves_instead_of_the_librarys_broken_flag(tf):
    argv = tf.apply_argv()
    assert argv == ["terraform", f"-chdir={DIR}", "apply", "-input=false", "-auto-approve"]
    assert "-auto-approve=false" not in argv


def test_destroy_never_sends_the_removed_force_flag(tf):
    assert tf.destroy_argv() == ["terraform", f"-chdir={DIR}", "destroy"]
    assert tf.destroy_argv(auto_approve=True) == [
        "terraform",
        f"-chdir={DIR}",
        "destroy",
        "-input=false",
        "-auto-approve",
    ]


def test_output_argv(tf):
    assert tf.output_argv() == ["terraform", f"-chdir={DIR}", "output", "-json"]


@pytest.mark.parametrize(("code", "changes"), [(0, False), (2, True)])
def test_plan_exit_codes_zero_and_two_are_success(project, code, changes):
    context = MockContext(config=make_config(project), run=Result(exited=code))
    with Terraform(context, DIR, binary="sh") as tf:
        assert tf.plan("out.tfplan") is changes


def test_plan_exit_code_one_is_one_sentence(project):
    context = MockContext(config=make_config(project), run=Result(exited=1))
    with Terraform(context, DIR, binary="sh") as tf, pytest.raises(Exit) as error:
        tf.plan("out.tfplan")
    assert error.value.message == (f"`terraform plan` failed in {DIR} (exit code 1); Terraform's own message is above.")


def test_missing_binary_is_one_sentence_not_file_not_found(project):
    context = MockContext(config=make_config(project), run=Result(""))
    with Terraform(context, DIR, binary="terraform-not-installed") as tf, pytest.raises(Exit) as error:
        tf.init()
    assert "terraform-not-installed is not on PATH" in error.value.message
    assert context.run.call_count == 0


def test_dry_run_prints_commands_and_returns_no_outputs(project):
    context = MockContext(config=make_config(project, dry=True), run=Result(""))
    with Terraform(context, DIR, binary="terraform-not-installed") as tf:
        tf.init()
        assert tf.output() == {}
    assert commands(context) == [
        f"terraform-not-installed -chdir={DIR} init -input=false -reconfigure",
        f"terraform-not-installed -chdir={DIR} output -json",
    ]


def test_parse_outputs_keeps_values_only():
    text = json.dumps({"cluster_name": {"value": "svc-staging", "type": "string", "sensitive": False}})
    assert parse_outputs(text) == {"cluster_name": "svc-staging"}
    assert parse_outputs("  \n") == {}


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


@real_runs
def test_real_terraform_init_plan_apply_output_destroy(project, tmp_path, monkeypatch, capfd):
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not on PATH: the real init/plan/apply/output/destroy run was not done")
    config_file = tmp_path / "terraformrc"
    config_file.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    workdir = tmp_path / "root"
    workdir.mkdir()
    (workdir / "main.tf").write_text(FIXTURE)
    plan_file = str(tmp_path / "fixture.tfplan")
    context = Context(config=make_config(project))
    with Terraform(context, workdir) as tf:
        tf.init()
        assert tf.plan(plan_file, variables={"greeting": "from-a-var-file"}) is True
        tf.apply(plan_file)
        assert tf.output() == {"greeting": "from-a-var-file"}
        assert tf.plan(plan_file, variables={"greeting": "from-a-var-file"}) is False
        tf.destroy(auto_approve=True)
        assert tf.output() == {}
    streamed = capfd.readouterr().out
    assert "Apply complete! Resources: 1 added" in streamed  # Terraform's own output reached the terminal
    assert "Destroy complete! Resources: 1 destroyed" in streamed
