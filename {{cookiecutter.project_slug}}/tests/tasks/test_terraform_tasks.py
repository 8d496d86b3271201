"""provision, bootstrap and destroy: task arguments → the exact Terraform command lines."""

import json
import re

import pytest
from conftest import commands
from invoke import Exit, Result

from tasks import terraform
from tasks.terraform import backend_config, destroy_refusal, output_value

OUTPUTS = {"cluster_name": {"value": "svc-staging"}, "static_bucket_name": {"value": ""}}


@pytest.fixture(autouse=True)
def terraform_on_path(monkeypatch):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")


def terraform_results(plan_exit: int):
    return {
        re.compile(r".* plan .*"): Result(exited=plan_exit),
        re.compile(r".* output -json$"): Result(json.dumps(OUTPUTS)),
        re.compile(r".*"): Result(""),
    }


def expected(project, env, *steps):
    chdir = f"terraform -chdir={project}/terraform/environments/{env}"
    plan = f"{project}/.cache/{env}.tfplan"
    lines = {
        "init": f"{chdir} init -input=false -reconfigure -backend-config=bucket=SLUG-tfstate-ACCOUNT "
        f"-backend-config=key={env}/terraform.tfstate -backend-config=region=REGION",
        "plan": f"{chdir} plan -input=false -detailed-exitcode -out={plan}",
        "apply": f"{chdir} apply -input=false {plan}",
        "output": f"{chdir} output -json",
        "destroy": f"{chdir} destroy",
        "destroy-auto": f"{chdir} destroy -input=false -auto-approve",
    }
    return [lines[step] for step in steps]


def fill(lines, context):
    p = context.config.project
    return [line.replace("SLUG", p.slug).replace("ACCOUNT", p.account_id).replace("REGION", p.region) for line in lines]


@pytest.mark.parametrize(
    ("kwargs", "plan_exit", "dry", "steps"),
    [
        ({"plan_only": True}, 2, False, ["init", "plan"]),
        ({"auto_approve": True}, 2, False, ["init", "plan", "apply", "output"]),
        ({"auto_approve": True}, 0, False, ["init", "plan", "output"]),
        ({}, 0, True, ["init", "plan", "apply", "output"]),
        ({"env": "production", "auto_approve": True}, 2, False, ["init", "plan", "apply", "output"]),
    ],
    ids=["plan-only", "auto-approve", "no-changes", "dry", "production"],
)
def test_provision_runs(mock_context, project, kwargs, plan_exit, dry, steps):
    context = mock_context(dry=dry, run=terraform_results(plan_exit))
    env = kwargs.setdefault("env", "staging")
    terraform.provision(context, **kwargs)
    assert commands(context) == fill(expected(project, env, *steps), context)
    cache = project / ".cache" / f"outputs-{env}.json"
    if "output" in steps and not dry:
        assert json.loads(cache.read_text()) == {"cluster_name": "svc-staging", "static_bucket_name": ""}
    else:
        assert not cache.exists()
    if dry:
        assert not (project / ".cache").exists()


def test_provision_asks_before_applying(mock_context, project, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    context = mock_context(run=terraform_results(2))
    with pytest.raises(Exit, match="Not applied; the plan is saved in"):
        terraform.provision(context, env="staging")
    assert commands(context) == fill(expected(project, "staging", "init", "plan"), context)


def test_provision_applies_after_yes(mock_context, project, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    context = mock_context(run=terraform_results(2))
    terraform.provision(context, env="staging")
    assert commands(context) == fill(expected(project, "staging", "init", "plan", "apply", "output"), context)


def test_provision_unknown_env_runs_nothing(mock_context):
    context = mock_context()
    with pytest.raises(Exit, match="choose one of: production, staging"):
        terraform.provision(context, env="nope")
    assert commands(context) == []


@pytest.mark.parametrize(("plan_exit", "dry", "applied"), [(2, False, True), (0, False, False), (0, True, True)])
def test_bootstrap_is_idempotent(mock_context, project, plan_exit, dry, applied):
    context = mock_context(dry=dry, run=terraform_results(plan_exit))
    terraform.bootstrap(context)
    chdir = f"terraform -chdir={project}/terraform/bootstrap"
    plan = f"{project}/.cache/bootstrap.tfplan"
    assert commands(context) == [
        f"{chdir} init -input=false -reconfigure",
        f"{chdir} plan -input=false -detailed-exitcode -out={plan}",
        *([f"{chdir} apply -input=false {plan}"] if applied else []),
    ]


def test_destroy_refuses_production_without_confirmation(mock_context):
    context = mock_context()
    with pytest.raises(Exit) as error:
        terraform.destroy(context, env="production")
    assert error.value.message == (
        "Refusing to destroy production: it is protected; pass --confirm production to really destroy it."
    )
    assert commands(context) == []


@pytest.mark.parametrize(
    ("kwargs", "dry", "steps"),
    [
        ({"env": "staging"}, True, ["init", "destroy"]),
        ({"env": "production", "confirm": "production"}, True, ["init", "destroy"]),
        ({"env": "staging", "auto_approve": True}, False, ["init", "output", "init", "destroy-auto"]),
    ],
    ids=["dry", "production-confirmed", "auto-approve"],
)
def test_destroy_runs(mock_context, project, kwargs, dry, steps, monkeypatch, capsys):
    monkeypatch.setattr(terraform, "destroy_refusal", destroy_refusal)
    results = terraform_results(0)
    results[re.compile(r".* output -json$")] = Result("{}")  # no cluster recorded
    context = mock_context(dry=dry, run=results)
    terraform.destroy(context, **kwargs)
    assert commands(context) == fill(expected(project, kwargs["env"], *steps), context)
    printed = capsys.readouterr().out
    assert ("Would delete LoadBalancer Services" if dry else "nothing to remove from Kubernetes") in printed


def test_destroy_removes_the_outputs_cache(mock_context, project):
    cache = project / ".cache" / "outputs-staging.json"
    cache.parent.mkdir()
    cache.write_text("{}")
    terraform.destroy(mock_context(run=terraform_results(0)), env="staging", auto_approve=True)
    assert not cache.exists()


@pytest.mark.parametrize(
    ("env", "confirm", "refused"),
    [
        ("staging", None, False),
        ("production", None, True),
        ("production", "staging", True),
        ("production", "production", False),
    ],
)
def test_destroy_refusal(env, confirm, refused):
    assert (destroy_refusal(env, confirm, ["production"]) is not None) is refused


def test_backend_config_is_the_bootstrap_bucket_with_one_key_per_env():
    assert backend_config("svc", "123456789012", "eu-west-1", "staging") == {
        "bucket": "svc-tfstate-123456789012",
        "key": "staging/terraform.tfstate",
        "region": "eu-west-1",
    }


def test_output_value_missing_is_a_sentence_or_a_dry_placeholder():
    assert output_value({"a": 1}, "a", "staging", dry=False) == "1"
    assert output_value({}, "cluster_name", "staging", dry=True) == "<cluster_name>"
    with pytest.raises(Exit, match=r"run `invoke provision --env staging` first"):
        output_value({}, "cluster_name", "staging", dry=False)
