"""The names other layers rely on (tasks, workflows, manifests), as the evaluated Terraform produces them."""

from __future__ import annotations

import pytest
from conftest import BAKE_IDS, COMBOS, ENVIRONMENTS, evaluated, tfvars
from test_tf_invariants import resources

ENVIRONMENT_OUTPUTS = {
    "region",
    "cluster_name",
    "cluster_arn",
    "cluster_endpoint",
    "kubernetes_api_access",
    "runner_project_name",
    "access_instance_id",
    "provision_role_arn",
    "cluster_autoscaler_role_arn",
    "node_group_name",
    "vpc_cidr",
    "availability_zone_ids",
    "ecr_repository_url",
    "app_role_arn",
    "deploy_role_arn",
    "database_host",
    "database_name",
    "database_secret_arn",
    "target_group_arn",
    "load_balancer_dns_name",
    "static_bucket_name",
    "cloudfront_distribution_id",
    "app_log_group_name",
}
BOOTSTRAP_OUTPUTS = {
    "state_bucket",
    "state_kms_key_arn",
    "ecr_repository_url",
    "build_role_arn",
    "plan_role_arns",
    "provision_role_arns",
    "permissions_boundary_arns",
    "github_oidc_provider_arn",
    "github_connection_arn",
    "oidc_subjects",
}
NODE_PORT = 30080


def _by_name(entries: list[dict], key: str = "name") -> set:
    return {entry.get(key) for entry in entries}


def _outputs(result: dict) -> dict[str, dict]:
    return {entry["__tfmeta"]["label"]: entry for entry in result["output"] if "/" not in entry["__tfmeta"]["filename"]}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_environment_names_follow_the_contract(bake_id, environment):
    values = tfvars(bake_id, f"environments/{environment}")
    slug, account, region = values["project"], values["account_id"], values["region"]
    assert values["environment"] == environment
    name = f"{slug}-{environment}"
    result = evaluated(bake_id, f"environments/{environment}")

    outputs = _outputs(result)
    assert set(outputs) >= ENVIRONMENT_OUTPUTS, f"missing outputs: {sorted(ENVIRONMENT_OUTPUTS - set(outputs))}"
    if "edge" not in {entry["__tfmeta"]["label"] for entry in result.get("module", [])}:
        assert outputs["static_bucket_name"]["value"] == "" and outputs["cloudfront_distribution_id"]["value"] == ""

    (backend,) = [block["backend"] for block in result["terraform"] if "backend" in block]
    assert (backend["bucket"], backend["key"], backend["use_lockfile"], backend["encrypt"], backend["kms_key_id"]) == (
        f"{slug}-tfstate-{account}",
        f"{environment}/terraform.tfstate",
        True,
        True,
        f"arn:aws:kms:{region}:{account}:alias/{slug}-shared",
    )

    (cluster,) = resources(result, "aws_eks_cluster")
    assert cluster["name"] == name
    (database,) = resources(result, "aws_db_instance")
    assert (database["identifier"], database["db_name"]) == (name, values["database_name"])
    roles = _by_name(resources(result, "aws_iam_role"))
    expected = {f"{name}-{role}" for role in ("app", "deploy", "cluster", "nodes", "cluster-autoscaler", "runner")}
    assert expected <= roles, sorted(expected - roles)
    private = COMBOS[bake_id].get("kubernetes_api_access", "private") == "private"
    assert (f"{name}-access" in roles) == private, "the SSM access instance exists exactly with a private API"
    (runner,) = resources(result, "aws_codebuild_project")
    assert runner["name"] == f"{name}-runner"
    (binding,) = [
        a for a in resources(result, "aws_eks_pod_identity_association") if a["role_arn"] and a["namespace"] == slug
    ]
    assert binding["service_account"] == slug
    (group,) = resources(result, "aws_lb_target_group")
    # AWS names the target group (so it can be replaced create-before-destroy); its Name tag is the contract name.
    assert (group["tags"]["Name"], group["port"], group["target_type"]) == (name, NODE_PORT, "instance")
    assert not result.get("aws_ecr_repository"), "the repository belongs to bootstrap's registry account"


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_bootstrap_names_follow_the_contract(bake_id):
    values = tfvars(bake_id, "bootstrap")
    slug, account = values["project"], values["account_id"]
    result = evaluated(bake_id, "bootstrap")
    assert set(_outputs(result)) >= BOOTSTRAP_OUTPUTS
    assert _by_name(resources(result, "aws_s3_bucket"), "bucket") == {f"{slug}-tfstate-{account}"}
    assert _by_name(resources(result, "aws_ecr_repository")) == {slug}
    environments = values["environments"]
    shared = COMBOS[bake_id].get("production_aws_account_id", account) == account
    assert environments == (["staging", "production"] if shared else ["staging"])
    expected_roles = {f"{slug}-build"} | {
        f"{slug}-{env}-{role}" for env in environments for role in ("plan", "provision")
    }
    assert _by_name(resources(result, "aws_iam_role")) == expected_roles
    assert _by_name(resources(result, "aws_iam_policy")) == {f"{slug}-{env}-boundary" for env in environments}
    (provider,) = resources(result, "aws_iam_openid_connect_provider")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    (connection,) = resources(result, "aws_codeconnections_connection")
    assert (connection["name"], connection["provider_type"]) == (f"{slug}-github", "GitHub")
    (repository,) = resources(result, "aws_ecr_repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"]["scan_on_push"] is True
