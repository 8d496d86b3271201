"""The names docs/contract.md fixes, as the evaluated Terraform produces them."""

from __future__ import annotations

import pytest
from conftest import BAKE_IDS, ENVIRONMENTS, evaluated, tfvars
from test_tf_invariants import resources

ENVIRONMENT_OUTPUTS = {
    "region",
    "cluster_name",
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
BOOTSTRAP_OUTPUTS = {"state_bucket", "ecr_repository_url", "plan_role_arn"}
NODE_PORT = 30080


def _by_name(entries: list[dict], key: str = "name") -> set:
    return {entry.get(key) for entry in entries}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_environment_names_follow_the_contract(bake_id, environment):
    values = tfvars(bake_id, f"environments/{environment}")
    slug, account = values["project"], values["account_id"]
    assert values["environment"] == environment
    name = f"{slug}-{environment}"
    result = evaluated(bake_id, f"environments/{environment}")

    outputs = {
        entry["__tfmeta"]["label"]: entry for entry in result["output"] if "/" not in entry["__tfmeta"]["filename"]
    }
    assert set(outputs) >= ENVIRONMENT_OUTPUTS, f"missing outputs: {sorted(ENVIRONMENT_OUTPUTS - set(outputs))}"
    if "edge" not in {entry["__tfmeta"]["label"] for entry in result.get("module", [])}:
        assert outputs["static_bucket_name"]["value"] == "" and outputs["cloudfront_distribution_id"]["value"] == ""

    (backend,) = [block["backend"] for block in result["terraform"] if "backend" in block]
    assert (backend["bucket"], backend["key"], backend["use_lockfile"]) == (
        f"{slug}-tfstate-{account}",
        f"{environment}/terraform.tfstate",
        True,
    )

    (cluster,) = resources(result, "aws_eks_cluster")
    assert cluster["name"] == name
    (database,) = resources(result, "aws_db_instance")
    assert (database["identifier"], database["db_name"]) == (name, values["database_name"])
    roles = _by_name(resources(result, "aws_iam_role"))
    assert {f"{name}-app", f"{name}-deploy"} <= roles
    (binding,) = [
        a for a in resources(result, "aws_eks_pod_identity_association") if a["role_arn"] and a["namespace"] == slug
    ]
    assert binding["service_account"] == slug
    (group,) = resources(result, "aws_lb_target_group")
    # AWS names the target group (so it can be replaced create-before-destroy); its Name tag is the contract name.
    assert (group["tags"]["Name"], group["port"], group["target_type"]) == (name, NODE_PORT, "instance")
    (ecr,) = [entry for entry in result["aws_ecr_repository"] if entry["__tfmeta"].get("type") == "data"]
    assert ecr["name"] == slug


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_bootstrap_names_follow_the_contract(bake_id):
    values = tfvars(bake_id, "bootstrap")
    slug, account = values["project"], values["account_id"]
    result = evaluated(bake_id, "bootstrap")
    outputs = {entry["__tfmeta"]["label"] for entry in result["output"] if "/" not in entry["__tfmeta"]["filename"]}
    assert outputs >= BOOTSTRAP_OUTPUTS
    assert _by_name(resources(result, "aws_s3_bucket"), "bucket") == {f"{slug}-tfstate-{account}"}
    assert _by_name(resources(result, "aws_ecr_repository")) == {slug}
    assert f"{slug}-plan" in _by_name(resources(result, "aws_iam_role"))
    (provider,) = resources(result, "aws_iam_openid_connect_provider")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    (repository,) = resources(result, "aws_ecr_repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"]["scan_on_push"] is True
