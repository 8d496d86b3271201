"""One environment resolved once: its name checked, its account, its outputs read from the state in S3."""

import json

import pytest
from conftest import SLUG, STAGING_ACCOUNT, make_config, put_state
from invoke import Context, Exit

from tasks.environment import check_name, directories, outputs_of, project, resolve, target

CHOOSE = "choose one of: production, staging (or, with --kubeconfig, e2e)."


def test_directories_are_the_sorted_visible_ones(tmp_path):
    for name in ("staging", "production", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "README.md").write_text("not an environment")
    assert directories(tmp_path) == ["production", "staging"]
    assert directories(tmp_path / "absent") == []


@pytest.mark.parametrize(
    ("name", "kubeconfig", "message"),
    [
        ("staging", None, None),
        ("e2e", "/k", None),
        ("e2e", None, "--env e2e has no Terraform (no terraform/environments/e2e): pass --kubeconfig to reach it."),
        (
            "nope",
            None,
            "--env 'nope' is not an environment; choose one of: production, staging (or, with --kubeconfig, e2e).",
        ),
        (None, None, f"--env (none given) is not an environment; {CHOOSE}"),
        ("", "/k", f"--env (none given) is not an environment; {CHOOSE}"),
    ],
)
def test_check_name(name, kubeconfig, message):
    if message is None:
        assert check_name(name, ["production", "staging"], ["e2e"], kubeconfig) == name
        return
    with pytest.raises(Exit) as error:
        check_name(name, ["production", "staging"], ["e2e"], kubeconfig)
    assert error.value.message == message


def test_no_environments_at_all_says_where_it_looked():
    with pytest.raises(Exit, match=r"^No environments found: terraform/environments has no directories\.$"):
        check_name("staging", [], [], None)


def test_each_environment_has_its_account_from_the_configuration(project):
    config = make_config(project)
    config.environments.production.account_id = "210987654321"
    assert project_accounts(config) == {"staging": STAGING_ACCOUNT, "production": "210987654321"}
    env = target(Context(config=config), "production")
    assert (env.name, env.account_id, env.state_key) == ("production", "210987654321", "production/terraform.tfstate")
    assert env.project.state_bucket(env.account_id) == f"{SLUG}-tfstate-210987654321"


def project_accounts(config):
    return project(Context(config=config)).accounts


def test_an_environment_without_an_account_is_a_sentence(project):
    (project / "terraform" / "environments" / "qa").mkdir()
    with pytest.raises(Exit) as error:
        target(Context(config=make_config(project)), "qa")
    assert (
        error.value.message == "environments.qa.account_id is not set: add it to invoke.yaml (see tasks/__init__.py)."
    )


def test_outputs_of_a_state_object():
    state = {"outputs": {"cluster_name": {"value": "svc-staging", "type": "string"}, "n": {"value": 3}}}
    assert outputs_of(state) == {"cluster_name": "svc-staging", "n": 3}
    assert outputs_of(None) == {}


def test_outputs_come_from_the_state_object_in_s3_without_terraform(aws, project):
    put_state(aws, {"cluster_name": f"{SLUG}-staging", "database_host": "db.internal"})
    env = resolve(Context(config=make_config(project)), "staging")
    assert env.output("database_host") == "db.internal"
    assert env.state["serial"] == 7
    with pytest.raises(Exit) as error:
        env.output("static_bucket_name")
    assert error.value.message == (
        "Terraform output 'static_bucket_name' is missing in staging: run `invoke provision --env staging`."
    )


def test_no_state_yet_says_to_provision(aws, project):
    from conftest import create_bucket, s3_client

    create_bucket(s3_client(aws), f"{SLUG}-tfstate-{STAGING_ACCOUNT}")
    env = resolve(Context(config=make_config(project)), "staging")
    with pytest.raises(Exit) as error:
        env.output("cluster_name")
    assert error.value.message == (
        f"staging has no Terraform state yet (s3://{SLUG}-tfstate-{STAGING_ACCOUNT}/staging/terraform.tfstate): "
        "run `invoke provision --env staging` first."
    )


def test_a_missing_state_bucket_is_one_sentence(aws, project):
    with pytest.raises(Exit) as error:
        resolve(Context(config=make_config(project)), "staging")
    assert error.value.message.startswith(
        f"AWS refused reading the Terraform state s3://{SLUG}-tfstate-{STAGING_ACCOUNT}/staging/terraform.tfstate: "
        "NoSuchBucket"
    )


def test_a_cluster_only_environment_reads_no_state(project, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({"apiVersion": "v1"}))
    env = resolve(Context(config=make_config(project)), "e2e", str(kubeconfig))
    assert (env.provisioned, env.state, env.kubeconfig) == (False, None, kubeconfig)


def test_a_missing_kubeconfig_file_is_a_sentence(project, tmp_path):
    with pytest.raises(Exit) as error:
        resolve(Context(config=make_config(project)), "e2e", str(tmp_path / "nope"))
    assert error.value.message == (
        f"--kubeconfig {tmp_path / 'nope'} is not a file: run `invoke tunnel --env e2e` to write one."
    )
