"""The CloudWatch observability add-on: created after its log groups, listening where the app sends.

The mocked plans (modules/eks/tests) check the add-on's configuration values; these checks read the
HCL for what a plan cannot show (depends_on, the wiring between modules) and compare the agent's
receivers with the ports the app's NetworkPolicy opens towards the agent.
"""

from __future__ import annotations

import re

import hcl2
import yaml
from conftest import terraform_dir
from hcl import OPTIONS, parse_dir

CONTAINER_INSIGHTS_GROUPS = {"application", "dataplane", "host", "performance"}
# The CloudWatch agent's embedded metric format receiver listens here when `emf` is configured.
EMF_PORT = 25888


def _block(blocks, kind: str, *labels: str):
    (found,) = [block for block in blocks if block.type == kind and block.labels == list(labels)]
    return found


def test_the_addon_waits_for_its_log_groups():
    root = terraform_dir("default")
    eks = parse_dir(root / "modules" / "eks")
    addon = _block(eks, "resource", "aws_eks_addon", "cloudwatch_observability")
    assert "${terraform_data.container_insights_log_groups}" in addon.value("depends_on")
    holder = _block(eks, "resource", "terraform_data", "container_insights_log_groups")
    assert holder.value("input") == "${var.container_insights_log_group_arns}"

    service = _block(parse_dir(root / "modules" / "service"), "module", "eks")
    assert (
        service.value("container_insights_log_group_arns")
        == "${module.observability.container_insights_log_group_arns}"
    )
    groups = _block(
        parse_dir(root / "modules" / "observability"), "resource", "aws_cloudwatch_log_group", "container_insights"
    )
    assert set(re.findall(r'"(\w+)"', str(groups.value("for_each")))) == CONTAINER_INSIGHTS_GROUPS
    assert groups.value("retention_in_days") == "${var.log_retention_days}"
    assert groups.value("kms_key_id") == "${var.kms_key_arn}"


def _agent_config() -> dict:
    text = (terraform_dir("default") / "modules" / "eks" / "addons.tf").read_text()
    (config,) = [
        block["cloudwatch_agent_config"]
        for block in hcl2.loads(text, serialization_options=OPTIONS)["locals"]
        if "cloudwatch_agent_config" in block
    ]
    return config


def _policy_ports() -> set[int]:
    """Ports the app's pods may reach in the amazon-cloudwatch namespace (k8s/base NetworkPolicy)."""
    text = (terraform_dir("default").parent / "k8s" / "base" / "networkpolicies.yaml").read_text()
    ports = set()
    for policy in yaml.safe_load_all(text):
        for rule in (policy or {}).get("spec", {}).get("egress", []):
            namespaces = [peer.get("namespaceSelector", {}).get("matchLabels", {}) for peer in rule.get("to", [])]
            if {"kubernetes.io/metadata.name": "amazon-cloudwatch"} in namespaces:
                for port in rule.get("ports", []):
                    ports.update(range(port["port"], port.get("endPort", port["port"]) + 1))
    return ports


def test_the_agent_receives_what_the_network_policy_lets_the_app_send():
    config = _agent_config()
    assert "emf" in config["logs"]["metrics_collected"], "the embedded metric format receiver is on"
    otlp = [config["metrics"]["metrics_collected"]["otlp"], config["traces"]["traces_collected"]["otlp"]]
    otlp_ports = {
        int(receiver[key].rsplit(":", 1)[1]) for receiver in otlp for key in ("grpc_endpoint", "http_endpoint")
    }
    assert otlp_ports == {4317, 4318}
    assert all(receiver[key].startswith("0.0.0.0:") for receiver in otlp for key in receiver), "other pods send to it"
    opened = _policy_ports()
    assert {EMF_PORT, *otlp_ports} <= opened, f"the NetworkPolicy opens {sorted(opened)} to the agent"
