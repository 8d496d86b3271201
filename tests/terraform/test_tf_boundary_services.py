"""Every AWS service the Terraform and the tasks use is inside the permissions boundary.

The boundary (modules/ci_identity/boundary.tf, `local.services`) is the ceiling of every role an
environment has: the CI roles that apply the Terraform, and the roles it creates (nodes, pods, the
runner, the worker). A service missing there fails only at apply time, or later, when a pod's call is
denied. The services are derived from what the code names: resource and data source types (through
RESOURCE_SERVICES, longest prefix first), the actions of identity policies, the AWS managed policies
roles attach (MANAGED_POLICY_SERVICES), and the boto3 clients and `aws` CLI commands of tasks/.
A type or managed policy missing from those tables fails the test until it is listed.
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest
from conftest import BAKE_IDS, modules, terraform_dir
from hcl import OPTIONS, Block

# Terraform type prefix -> IAM service prefix (None: evaluated by the provider, no API call).
RESOURCE_SERVICES = {
    "aws_acm_": "acm",
    "aws_autoscaling_": "autoscaling",
    "aws_availability_zones": "ec2",
    "aws_caller_identity": "sts",
    "aws_cloudfront_": "cloudfront",
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_codebuild_": "codebuild",
    "aws_codeconnections_": "codeconnections",
    "aws_codestarconnections_": "codestar-connections",
    "aws_db_": "rds",
    "aws_default_security_group": "ec2",
    "aws_ec2_": "ec2",
    "aws_ecr_": "ecr",
    "aws_eip": "ec2",
    "aws_eks_": "eks",
    "aws_elb_service_account": None,
    "aws_flow_log": "ec2",
    "aws_iam_policy_document": None,
    "aws_iam_": "iam",
    "aws_instance": "ec2",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_launch_template": "ec2",
    "aws_lb": "elasticloadbalancing",
    "aws_nat_gateway": "ec2",
    "aws_partition": None,
    "aws_region": None,
    "aws_route53_": "route53",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_sns_": "sns",
    "aws_ssm_": "ssm",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
}

# The services each AWS managed policy the roles attach reaches (IAM's policy reference, read 2026-11).
# None: the CI identities' own broad policies, which the boundary exists to cut down.
MANAGED_POLICY_SERVICES = {
    "AmazonEKSClusterPolicy": {"autoscaling", "ec2", "elasticloadbalancing", "iam", "kms"},
    "AmazonEKSWorkerNodePolicy": {"ec2", "eks", "eks-auth"},
    "AmazonEKS_CNI_Policy": {"ec2"},
    "AmazonEC2ContainerRegistryPullOnly": {"ecr"},
    "AmazonSSMManagedInstanceCore": {"ec2messages", "ssm", "ssmmessages"},
    "CloudWatchAgentServerPolicy": {"cloudwatch", "ec2", "logs", "ssm", "xray"},
    "AmazonRDSEnhancedMonitoringRole": {"logs"},
    "ReadOnlyAccess": None,
    "AdministratorAccess": None,
}

# boto3 client names that differ from their IAM service prefix.
BOTO3_SERVICES = {"elbv2": "elasticloadbalancing", "ssm-sessions": "ssm"}

MANAGED_POLICY = re.compile(r"iam::aws:policy/(?:service-role/)?([A-Za-z0-9_]+|\$\{each\.value\})")
QUOTED = re.compile(r'"([A-Za-z0-9_]+)"')
BOTO3_CLIENT = re.compile(r"""\.client\(\s*["']([a-z0-9-]+)["']""")
# `["aws", "ssm", ...]` argv lists; not `"command": "aws", "args": ...` (a dict key follows there).
AWS_CLI = re.compile(r'"aws",\s*"([a-z0-9][a-z0-9-]*)"(?!\s*:)')


def service_of(type_name: str) -> str | None:
    """The IAM service a resource or data source type calls; KeyError when the table lacks it."""
    for prefix in sorted(RESOURCE_SERVICES, key=len, reverse=True):
        if type_name.startswith(prefix):
            return RESOURCE_SERVICES[prefix]
    raise KeyError(type_name)


def boundary_services(terraform_root: Path) -> set[str]:
    text = (terraform_root / "modules" / "ci_identity" / "boundary.tf").read_text()
    parsed = hcl2.loads(text, serialization_options=OPTIONS)
    (local_block,) = [block for block in parsed["locals"] if "services" in block]
    return set(local_block["services"])


def _managed_policies(block: Block) -> set[str]:
    names = set(MANAGED_POLICY.findall(str(block.value("policy_arn", ""))))
    if "${each.value}" in names:
        names.discard("${each.value}")
        names |= set(QUOTED.findall(str(block.value("for_each", ""))))
    return names


def _statements(block: Block):
    yield from block.children("statement")
    for dynamic in block.children("dynamic"):
        if dynamic.labels == ["statement"]:
            yield from dynamic.children("content")


def _action_services(block: Block) -> set[str]:
    """Services of the Allow statements of an identity policy (resource policies name principals)."""
    found = set()
    for statement in _statements(block):
        if statement.value("effect", "Allow") != "Allow" or statement.children("principals"):
            continue
        actions = statement.value("actions") or []
        for action in actions if isinstance(actions, list) else [actions]:
            if ":" in str(action) and not str(action).startswith("$"):
                found.add(str(action).split(":", 1)[0])
    return found


def terraform_services(bake_id: str) -> tuple[dict[str, set[str]], list[str]]:
    """{service: where it is used} over every Terraform directory of a bake, and the unlisted names."""
    used: dict[str, set[str]] = {}
    unlisted = []
    for directory, blocks in modules(bake_id).items():
        where = str(directory.relative_to(terraform_dir(bake_id)))
        for block in blocks:
            if block.type not in ("resource", "data") or not block.labels[0].startswith("aws_"):
                continue
            type_name = block.labels[0]
            try:
                service = service_of(type_name)
            except KeyError:
                unlisted.append(f"{where}: {type_name} (add its service to RESOURCE_SERVICES)")
                continue
            if service:
                used.setdefault(service, set()).add(f"{where}: {type_name}")
            if type_name == "aws_iam_policy_document":
                for action_service in _action_services(block):
                    used.setdefault(action_service, set()).add(f"{where}: data.{type_name}.{block.labels[1]}")
            for policy in _managed_policies(block):
                if policy not in MANAGED_POLICY_SERVICES:
                    unlisted.append(f"{where}: managed policy {policy} (add it to MANAGED_POLICY_SERVICES)")
                for managed_service in MANAGED_POLICY_SERVICES.get(policy) or ():
                    used.setdefault(managed_service, set()).add(f"{where}: {policy}")
    return used, unlisted


def task_services(project: Path) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in sorted((project / "tasks").glob("*.py")):
        text = path.read_text()
        for client in BOTO3_CLIENT.findall(text):
            used.setdefault(BOTO3_SERVICES.get(client, client), set()).add(f"tasks/{path.name}: boto3 {client}")
        for command in AWS_CLI.findall(text):
            used.setdefault(command, set()).add(f"tasks/{path.name}: aws {command}")
    return used


def _missing(used: dict[str, set[str]], allowed: set[str]) -> list[str]:
    return [f"{service} ({', '.join(sorted(used[service])[:3])})" for service in sorted(set(used) - allowed)]


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_the_boundary_allows_every_service_the_terraform_uses(bake_id):
    used, unlisted = terraform_services(bake_id)
    assert not unlisted, "\n".join(unlisted)
    assert {"eks", "rds", "ec2", "logs", "kms", "iam"} <= set(used), "the derivation found too little to prove anything"
    missing = _missing(used, boundary_services(terraform_dir(bake_id)))
    assert not missing, f"services the Terraform uses but the boundary (ci_identity/boundary.tf) denies: {missing}"


@pytest.mark.parametrize("bake_id", BAKE_IDS[:1])
def test_the_boundary_allows_every_service_the_tasks_call(bake_id):
    project = terraform_dir(bake_id).parent
    used = task_services(project)
    assert {"ecr", "eks", "sts", "ssm"} <= set(used), f"the derivation found too little: {sorted(used)}"
    missing = _missing(used, boundary_services(terraform_dir(bake_id)))
    assert not missing, f"services the tasks call but the boundary (ci_identity/boundary.tf) denies: {missing}"


def test_the_derivation_catches_a_service_left_out(tmp_path):
    """With wafv2 removed from the list, a web ACL is reported; an unknown type is reported too."""
    block = Block(type="resource", labels=["aws_wafv2_web_acl", "this"], line=1, file=tmp_path / "waf.tf")
    assert service_of(block.labels[0]) == "wafv2"
    assert _missing({"wafv2": {"waf.tf: aws_wafv2_web_acl"}}, {"ec2", "s3"}) == ["wafv2 (waf.tf: aws_wafv2_web_acl)"]
    with pytest.raises(KeyError):
        service_of("aws_sqs_queue")
    assert service_of("aws_route53_record") == "route53" and service_of("aws_route_table") == "ec2"
    assert service_of("aws_iam_policy_document") is None and service_of("aws_iam_role") == "iam"
