"""bootstrap, provision, drift and destroy: arguments → the exact Terraform command lines, and the order
of what destroy deletes (nothing before the answer)."""

import json
import re

import pytest
from conftest import REGION, SLUG, STAGING_ACCOUNT, commands, effect_lines, make_config, put_state
from invoke import Exit, MockContext, Result
from test_terraform_adapter import plan_file

from tasks import terraform
from tasks.terraform import has_github_provider


@pytest.fixture(autouse=True)
def terraform_on_path(monkeypatch):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")


NO_CERTIFICATE = json.dumps({"resource_changes": []})


def results(plan_exit=2, init_exit=0, apply_exit=0, plan_json=NO_CERTIFICATE, records="[]"):
    return {
        re.compile(r".* init "): Result(exited=init_exit),
        re.compile(r".* plan "): Result(exited=plan_exit),
        re.compile(r".* show -json "): Result(plan_json),
        re.compile(r".* output -json certificate_validation_records"): Result(records),
        re.compile(r".* apply "): Result(exited=apply_exit),
        re.compile(r".*"): Result(""),
    }


def context(project, dry=False, **kwargs):
    return MockContext(config=make_config(project, dry), run=results(**kwargs))


def lines(project, env, *steps, plan=None):
    chdir = f"terraform -chdir={project}/terraform/environments/{env}"
    plan = plan or f"{project}/.cache/{env}.tfplan"
    return [
        {
            "init": f"{chdir} init -input=false -reconfigure -backend-config=bucket={SLUG}-tfstate-{STAGING_ACCOUNT} "
            f"-backend-config=key={env}/terraform.tfstate -backend-config=region={REGION}",
            "plan": f"{chdir} plan -input=false -detailed-exitcode -lock-timeout=5m -out={plan}",
            "plan-read-only": f"{chdir} plan -input=false -detailed-exitcode -lock=false -out={plan}",
            "show": f"{chdir} show -json {plan}",
            "apply": f"{chdir} apply -input=false -lock-timeout=5m {plan}",
        }[step]
        for step in steps
    ]


@pytest.mark.parametrize(
    ("kwargs", "plan_exit", "answer", "steps", "said"),
    [
        ({"plan_only": True}, 2, None, ["init", "plan-read-only"], "Saved the plan in"),
        ({}, 2, "yes", ["init", "plan", "show", "apply"], None),
        ({}, 2, "no", ["init", "plan", "show"], "Not applied; the plan is saved in"),
        ({"auto_approve": True}, 2, None, ["init", "plan", "show", "apply"], None),
        ({"auto_approve": True}, 0, None, ["init", "plan"], "No changes: staging matches its Terraform."),
        ({"env": "production", "auto_approve": True}, 2, None, ["init", "plan", "show", "apply"], None),
    ],
    ids=["plan-only", "answered-yes", "answered-no", "auto-approve", "no-changes", "production"],
)
def test_provision(aws, project, monkeypatch, capsys, kwargs, plan_exit, answer, steps, said):
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    ctx = context(project, plan_exit=plan_exit)
    env = kwargs.setdefault("env", "staging")
    if said and said.startswith("Not applied"):
        with pytest.raises(Exit, match=said):
            terraform.provision(ctx, **kwargs)
    else:
        terraform.provision(ctx, **kwargs)
    assert commands(ctx) == lines(project, env, *steps)
    if said and not said.startswith("Not applied"):
        assert said in capsys.readouterr().out


def test_plan_only_saves_where_it_is_told(aws, project, tmp_path):
    ctx = context(project)
    terraform.provision(ctx, env="staging", plan_only=True, out=str(tmp_path / "plans" / "staging.tfplan"))
    assert commands(ctx)[-1].endswith(f"-lock=false -out={tmp_path}/plans/staging.tfplan")


def test_a_saved_plan_is_applied_exactly(aws, project, tmp_path, capsys):
    put_state(aws, {}, serial=41, lineage="l-1")
    saved = plan_file(tmp_path / "staging.tfplan", "l-1", 41)
    ctx = context(project)
    terraform.provision(ctx, env="staging", plan_file=str(saved))
    assert commands(ctx) == lines(project, "staging", "init", "apply", plan=str(saved))
    assert "next: `invoke cluster.setup --env staging`" in capsys.readouterr().out


def test_a_stale_plan_is_refused_before_terraform_runs(aws, project, tmp_path):
    put_state(aws, {}, serial=43, lineage="l-1")
    saved = plan_file(tmp_path / "staging.tfplan", "l-1", 41)
    ctx = context(project)
    with pytest.raises(Exit) as error:
        terraform.provision(ctx, env="staging", plan_file=str(saved))
    assert error.value.message == (
        f"The plan in {saved} is stale — the state changed since (serial 41 then, 43 now): "
        "make a new one and review it again."
    )
    assert commands(ctx) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"plan_file": "p", "plan_only": True},
            "--plan-file applies a saved plan: it does not go with --plan-only or --out.",
        ),
        ({"out": "p"}, "--out names where --plan-only saves the plan: pass --plan-only with it."),
        ({"plan_file": "/no/such.tfplan"}, "--plan-file /no/such.tfplan does not exist."),
        ({"env": "nope"}, "--env 'nope' is not an environment; choose one of: production, staging."),
    ],
)
def test_bad_provision_arguments_are_one_sentence(project, kwargs, message):
    ctx = context(project)
    with pytest.raises(Exit) as error:
        terraform.provision(ctx, **{"env": "staging", **kwargs})
    assert error.value.message == message
    assert commands(ctx) == []


@pytest.mark.parametrize(("plan_exit", "drifted"), [(0, False), (2, True)])
def test_drift(aws, project, capsys, plan_exit, drifted):
    ctx = context(project, plan_exit=plan_exit)
    if drifted:
        with pytest.raises(Exit) as error:
            terraform.drift(ctx, env="staging")
        assert error.value.message == "staging has drifted from its Terraform: the plan above lists what differs."
    else:
        terraform.drift(ctx, env="staging")
        assert "No drift: staging matches its Terraform." in capsys.readouterr().out
    assert commands(ctx) == lines(
        project, "staging", "init", "plan-read-only", plan=f"{project}/.cache/staging-drift.tfplan"
    )


TERRAFORM_TASKS = [
    (terraform.provision, {}),
    (terraform.provision, {"plan_only": True}),
    (terraform.drift, {}),
]
TERRAFORM_IDS = ["provision", "provision-plan-only", "drift"]


@pytest.mark.parametrize(("run", "kwargs"), TERRAFORM_TASKS, ids=TERRAFORM_IDS)
def test_without_credentials_terraform_does_not_start(no_credentials, project, run, kwargs):
    ctx = context(project)
    with pytest.raises(Exit) as error:
        run(ctx, env="staging", **kwargs)
    assert error.value.message == (
        "No AWS credentials while asking STS who you are: run `aws sso login` or export AWS_PROFILE, "
        "then `invoke doctor`."
    )
    assert commands(ctx) == []


@pytest.mark.parametrize(("run", "kwargs"), TERRAFORM_TASKS, ids=TERRAFORM_IDS)
def test_with_credentials_for_another_account_terraform_does_not_start(aws, project, run, kwargs):
    config = make_config(project)
    config.environments.production.account_id = "210987654321"
    ctx = MockContext(config=config, run=results())
    with pytest.raises(Exit, match=f"^Your AWS credentials are for account {STAGING_ACCOUNT}, but production"):
        run(ctx, env="production", **kwargs)
    assert commands(ctx) == []


@pytest.mark.parametrize(("run", "kwargs"), TERRAFORM_TASKS, ids=TERRAFORM_IDS)
def test_a_dry_run_lists_the_terraform_commands_without_credentials(no_credentials, project, capsys, run, kwargs):
    run(context(project, dry=True), env="staging", **kwargs)
    assert [line.split(" ")[3] for line in effect_lines(capsys.readouterr().out)][:2] == ["init", "plan"]


def test_has_github_provider():
    arn = "arn:aws:iam::123456789012:oidc-provider/"
    assert has_github_provider([f"{arn}accounts.google.com", f"{arn}token.actions.githubusercontent.com"])
    assert not has_github_provider([f"{arn}accounts.google.com"])
    assert not has_github_provider([])


@pytest.mark.parametrize("existing", [False, True], ids=["new-account", "account-already-trusting-github"])
def test_bootstrap_detects_the_github_provider(aws, project, existing, capsys):
    if existing:
        aws.client("iam").create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40],
        )
    ctx = context(project)
    terraform.bootstrap(ctx, env="staging", auto_approve=True)
    chdir = f"terraform -chdir={project}/terraform/bootstrap"
    plan = f"{project}/.cache/bootstrap-{STAGING_ACCOUNT}.tfplan"
    assert commands(ctx) == [
        f"{chdir} init -input=false -reconfigure",
        f"{chdir} workspace select -or-create {STAGING_ACCOUNT}",
        f"{chdir} plan -input=false -detailed-exitcode -lock-timeout=5m -out={plan} -var-file=staging.tfvars "
        f"-var=github_oidc_provider_exists={'true' if existing else 'false'}",
        f"{chdir} apply -input=false -lock-timeout=5m {plan}",
    ]
    said = "exists in" if existing else "is new to"
    assert f"GitHub's OIDC provider {said} account {STAGING_ACCOUNT}." in capsys.readouterr().out


def test_bootstrap_twice_changes_nothing(aws, project, capsys):
    ctx = context(project, plan_exit=0)
    terraform.bootstrap(ctx, env="staging")
    assert not any(" apply " in line for line in commands(ctx))
    assert f"Account {STAGING_ACCOUNT} is already bootstrapped: nothing to change." in capsys.readouterr().out


def test_bootstrap_with_credentials_for_another_account_is_refused(aws, project):
    config = make_config(project)
    config.environments.production.account_id = "210987654321"
    ctx = MockContext(config=config, run=results())
    with pytest.raises(Exit) as error:
        terraform.bootstrap(ctx, env="production")
    assert error.value.message == (
        f"Your AWS credentials are for account {STAGING_ACCOUNT}, but production lives in 210987654321: "
        "sign in to that account (e.g. `aws sso login --profile …`) and run this again."
    )
    assert commands(ctx) == []


# -- destroy -----------------------------------------------------------------------------------------


@pytest.fixture
def doomed(aws, fake_kube, kubeconfig_file, project):
    """An environment with a cluster holding the app's namespace and a LoadBalancer Service elsewhere."""
    put_state(aws, {"cluster_name": f"{SLUG}-staging"})
    fake_kube.objects[f"/api/v1/namespaces/{SLUG}"] = {"kind": "Namespace", "metadata": {"name": SLUG}}
    fake_kube.objects["/api/v1/namespaces/ingress/services/edge"] = {
        "kind": "Service",
        "metadata": {"name": "edge", "namespace": "ingress"},
        "spec": {"type": "LoadBalancer"},
    }
    fake_kube.objects[f"/api/v1/namespaces/{SLUG}/services/{SLUG}"] = {
        "kind": "Service",
        "metadata": {"name": SLUG, "namespace": SLUG},
        "spec": {"type": "NodePort"},
    }
    return fake_kube, kubeconfig_file


def destroy_lines(project):
    plan = f"{project}/.cache/staging-destroy.tfplan"
    chdir = f"terraform -chdir={project}/terraform/environments/staging"
    return [
        *lines(project, "staging", "init"),
        f"{chdir} plan -input=false -detailed-exitcode -lock-timeout=5m -out={plan} -destroy",
        f"{chdir} apply -input=false -lock-timeout=5m {plan}",
    ]


@pytest.mark.parametrize("how", ["confirm", "answer"])
def test_destroy_deletes_load_balancers_then_the_namespace_then_applies_the_destroy_plan(
    doomed, project, monkeypatch, capsys, how
):
    fake, kubeconfig = doomed
    monkeypatch.setattr("builtins.input", lambda prompt: "staging")
    ctx = context(project)
    terraform.destroy(ctx, env="staging", kubeconfig=kubeconfig, **({"confirm": "staging"} if how == "confirm" else {}))
    assert commands(ctx) == destroy_lines(project)
    printed = capsys.readouterr().out
    assert effect_lines(printed) == [
        f"run: {destroy_lines(project)[0]}",
        f"run: {destroy_lines(project)[1]}",
        "kube: delete Service ingress/edge (type LoadBalancer)",
        f"kube: delete Namespace {SLUG}",
        "wait: Service ingress/edge (type LoadBalancer) to be gone",
        f"wait: Namespace {SLUG} to be gone",
        f"run: {destroy_lines(project)[2]}",
    ]
    assert (
        f"Destroying staging deletes every resource in the plan above, and first from its cluster: "
        f"Service ingress/edge (type LoadBalancer), Namespace {SLUG}." in printed
    )
    assert f"/api/v1/namespaces/{SLUG}" not in fake.objects


@pytest.mark.parametrize("answer", ["no", "", "yes", "production"])
def test_destroy_answered_anything_but_the_name_deletes_nothing(doomed, project, monkeypatch, answer):
    fake, kubeconfig = doomed
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    before = dict(fake.objects)
    ctx = context(project)
    with pytest.raises(Exit) as error:
        terraform.destroy(ctx, env="staging", kubeconfig=kubeconfig)
    assert error.value.message == "Not destroyed: nothing was deleted (answer with staging, or pass --confirm staging)."
    assert commands(ctx) == destroy_lines(project)[:2]  # the plan is shown; nothing applied
    assert [r for r in fake.requests if r["method"] != "GET"] == []
    assert fake.objects == before


def test_destroy_with_a_failed_init_reads_and_deletes_nothing(doomed, project):
    fake, kubeconfig = doomed
    ctx = context(project, init_exit=1)
    with pytest.raises(Exit, match=r"^`terraform init` failed in .*staging \(exit code 1\)"):
        terraform.destroy(ctx, env="staging", confirm="staging", kubeconfig=kubeconfig)
    assert commands(ctx) == destroy_lines(project)[:1]
    assert fake.requests == []


def test_destroy_with_the_wrong_confirmation_runs_nothing(doomed, project):
    fake, kubeconfig = doomed
    ctx = context(project)
    with pytest.raises(Exit) as error:
        terraform.destroy(ctx, env="staging", confirm="production", kubeconfig=kubeconfig)
    assert error.value.message == (
        "--confirm production does not name the environment to destroy (staging): nothing was deleted."
    )
    assert commands(ctx) == []
    assert fake.requests == []


def test_destroy_of_an_environment_without_a_cluster_goes_straight_to_terraform(aws, project, capsys):
    put_state(aws, {"region": REGION})
    ctx = context(project)
    terraform.destroy(ctx, env="staging", confirm="staging")
    assert commands(ctx) == destroy_lines(project)
    assert "Destroying staging deletes every resource in the plan above." in capsys.readouterr().out
