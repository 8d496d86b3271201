"""Relations between layers that no single layer's tests can see, on every bake of the matrix."""

from __future__ import annotations

import math
import re

import pytest
import yaml
from crosslayer_support import blocks, gunicorn_setting, max_overflow_form, resources, setting
from limits import (
    ARM64_FAMILIES,
    DB_CLASSES,
    NODE_TYPES,
    PER_CLUSTER,
    PER_NODE,
    RESERVED_CONNECTIONS,
    allocatable,
    max_connections,
)

ENV_EXPRESSION = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
ALB_DEFAULT_IDLE_TIMEOUT = 60  # seconds, when aws_lb sets no idle_timeout
COMMON_RULE_SET_BODY_LIMIT = 8192  # AWSManagedRulesCommonRuleSet's SizeRestrictions_BODY blocks larger bodies


def millicores(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(float(quantity) * 1000)


def mebibytes(quantity: str) -> int:
    for unit, factor in (("Mi", 1), ("Gi", 1024)):
        if quantity.endswith(unit):
            return math.ceil(float(quantity[: -len(unit)]) * factor)
    pytest.fail(f"memory {quantity!r}: give requests in Mi or Gi")


def requests(pod_spec: dict) -> tuple[int, int]:
    containers = pod_spec["containers"] + pod_spec.get("initContainers", [])
    cpu = sum(millicores(c["resources"]["requests"]["cpu"]) for c in containers)
    memory = sum(mebibytes(c["resources"]["requests"]["memory"]) for c in containers)
    return cpu, memory


def web_pods_at_most(environment) -> int:
    """The HPA's maximum plus the pods a rollout adds on top (maxSurge)."""
    deployment = environment.one("Deployment", environment.slug)
    surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert isinstance(surge, int), f"maxSurge {surge!r}: the relations count pods, so give it as a number"
    return environment.one("HorizontalPodAutoscaler")["spec"]["maxReplicas"] + surge


def test_the_load_balancer_closes_idle_connections_before_gunicorn_does(environment):
    """An ALB reuses a connection gunicorn is closing, and answers 502, unless gunicorn waits longer."""
    (alb,) = resources(environment.project / "terraform" / "modules" / "load_balancer", "aws_lb").values()
    idle_timeout = int(alb.get("idle_timeout", ALB_DEFAULT_IDLE_TIMEOUT))
    keepalive = gunicorn_setting(environment.project, "keepalive", environment.config)
    assert keepalive > idle_timeout, (
        f"gunicorn keepalive {keepalive}s must outlast the load balancer's idle timeout {idle_timeout}s"
    )


@pytest.mark.parametrize("resource", ["cpu", "memory"])
def test_the_largest_deployment_fits_the_autoscaled_node_group(environment, resource):
    node_type = environment.tfvars["node_instance_type"]
    assert node_type in NODE_TYPES, f"{node_type} is not in tests/crosslayer/limits.py's NODE_TYPES: add it"
    index = 0 if resource == "cpu" else 1
    per_node = allocatable(node_type)[index] - sum(entry[index] for entry in PER_NODE.values())
    autoscaler = environment.one("Deployment", "cluster-autoscaler", environment.cluster_docs)
    cluster_wide = sum(entry[index] for entry in PER_CLUSTER.values())
    cluster_wide += requests(autoscaler["spec"]["template"]["spec"])[index]
    web = requests(environment.one("Deployment", environment.slug)["spec"]["template"]["spec"])[index]
    job = requests(environment.one("Job")["spec"]["template"]["spec"])[index]
    needed = web_pods_at_most(environment) * web + job + cluster_wide
    available = environment.tfvars["node_max_size"] * per_node
    unit = "m" if resource == "cpu" else "Mi"
    assert needed <= available, (
        f"{environment.name}: {web_pods_at_most(environment)} web pods x {web}{unit} + the migration's {job}{unit} "
        f"+ {cluster_wide}{unit} of cluster add-ons = {needed}{unit} > {environment.tfvars['node_max_size']} x "
        f"{per_node}{unit} a {node_type} node has left for pods"
    )


def test_the_pods_connection_pools_fit_the_databases_connection_limit(environment):
    db_class = environment.tfvars["db_instance_class"]
    assert db_class in DB_CLASSES, f"{db_class} is not in tests/crosslayer/limits.py's DB_CLASSES: add it"
    config = environment.config
    workers = int(config["WEB_CONCURRENCY"])
    pool = setting(environment.project, "Settings", "DATABASE_POOL_SIZE", config)
    overflow_form = max_overflow_form(environment.project)
    if overflow_form == "settings.database_pool_size":
        overflow = pool
    elif overflow_form.isdigit():
        overflow = int(overflow_form)
    else:
        pytest.fail(f"max_overflow={overflow_form}: teach tests/crosslayer how the app sizes the overflow")
    migration = 2  # the Job's own connection, and the one granting the app's role
    needed = web_pods_at_most(environment) * workers * (pool + overflow) + migration
    budget = max_connections(db_class) - RESERVED_CONNECTIONS
    assert needed <= budget, (
        f"{environment.name}: {web_pods_at_most(environment)} pods x {workers} workers x ({pool} + {overflow}) "
        f"pooled connections + {migration} = {needed} > {budget} that {db_class} leaves the app"
    )


def test_the_web_acls_admit_every_body_the_app_accepts(environment):
    """A body the app would take must not be refused at the edge: each web ACL's limit >= MAX_CONTENT_LENGTH."""
    app_limit = setting(environment.project, "Settings", "MAX_CONTENT_LENGTH", environment.config)
    module = environment.project / "terraform" / "modules" / "web_acl"
    (acl,) = resources(module, "aws_wafv2_web_acl").values()
    limit = None
    for rule in acl.get("rule", []):
        statement = rule["statement"][0]
        group = statement.get("managed_rule_group_statement", [{}])[0]
        if group.get("name") == "AWSManagedRulesCommonRuleSet":
            counted = {
                override["name"]
                for override in group.get("rule_action_override", [])
                if "count" in override["action_to_use"][0]
            }
            if "SizeRestrictions_BODY" not in counted:
                limit = min(limit or COMMON_RULE_SET_BODY_LIMIT, COMMON_RULE_SET_BODY_LIMIT)
    passed = environment.module_input("web_acl", "max_request_body_bytes")
    if "max_request_body_bytes" in blocks(module, "variable"):
        assert passed, "no module call reaches modules/web_acl from this root"
        limit = min([limit or math.inf, *(int(value) for value in passed)])
    assert limit is None or limit >= app_limit, (
        f"{environment.name}: a web ACL refuses bodies over {limit} bytes, "
        f"the app accepts {app_limit} (MAX_CONTENT_LENGTH)"
    )


def test_the_image_is_built_for_the_nodes_architecture(environment):
    node_type = environment.tfvars["node_instance_type"]
    wanted = "linux/arm64" if node_type.split(".")[0] in ARM64_FAMILIES else "linux/amd64"
    assert node_type in NODE_TYPES, f"{node_type} is not in tests/crosslayer/limits.py's NODE_TYPES: add it"
    workflow = yaml.safe_load((environment.project / ".github" / "workflows" / "deploy.yml").read_text())
    builds = [
        (step, {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})})
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("docker/build-push-action@")
    ]
    assert builds, "deploy.yml has no docker/build-push-action step"
    for step, env in builds:
        # Without `platforms`, buildx builds for the runner's own platform (ubuntu-24.04: linux/amd64).
        platforms = str(step.get("with", {}).get("platforms", "linux/amd64"))
        if match := ENV_EXPRESSION.fullmatch(platforms):
            platforms = str(env[match.group(1)])
        assert wanted in [p.strip() for p in platforms.split(",")], (
            f"{node_type} nodes run {wanted}; deploy.yml builds for {platforms}"
        )


def test_the_network_policies_admit_the_vpc_terraform_builds(environment):
    cidr = environment.tfvars.get("vpc_cidr")
    assert cidr, f"terraform/environments/{environment.name}/terraform.tfvars sets no vpc_cidr"
    policies = {p["metadata"]["name"]: p for p in environment.docs if p["kind"] == "NetworkPolicy"}
    ingress = policies["allow-web-ingress"]["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"]
    egress = policies["allow-postgresql-egress"]["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"]
    assert ingress == egress == cidr


def test_the_autoscaler_discovers_the_node_group_terraform_tags(environment):
    """EKS tags a managed node group's Auto Scaling group with the cluster's name; the autoscaler looks for it."""
    cluster_name = f"{environment.tfvars['project']}-{environment.tfvars['environment']}"
    service = blocks(environment.project / "terraform" / "modules" / "service", "locals")
    assert service.get("name") == "${var.project}-${var.environment}", "the cluster is no longer named project-env"
    autoscaler = environment.one("Deployment", "cluster-autoscaler", environment.cluster_docs)
    command = autoscaler["spec"]["template"]["spec"]["containers"][0]["command"]
    tags = f"k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster_name}"
    assert f"--node-group-auto-discovery=asg:tag={tags}" in command


def test_the_limit_tables_are_what_they_claim():
    """Spot checks against figures printed by AWS's formulas (not the tables looped back)."""
    assert allocatable("t3.medium")[0] == 1930  # 2 vCPU: 60m + 10m reserved
    assert allocatable("t3.xlarge")[0] == 3920  # 4 vCPU: 60m + 10m + 5m + 5m
    assert max_connections("db.t4g.micro") == 84  # 3/4 GiB / 9531392
    assert max_connections("db.r7g.large") == 1351  # 12 GiB / 9531392
