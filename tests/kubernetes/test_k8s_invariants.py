"""Properties of the rendered objects that the schema and checkov do not check."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from bakery import OPTIONS
from k8s_support import DEPLOYED, DIGEST, TERRAFORM_OUTPUTS

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
PRESTOP_MARGIN_SECONDS = 5


def pod_templates(render) -> list[tuple[str, dict]]:
    templates = []
    for doc in render.docs:
        if doc["kind"] in POD_TEMPLATE_KINDS:
            templates.append((f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]))
        elif doc["kind"] == "CronJob":
            templates.append((f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]))
    return templates


def app_templates(render) -> list[tuple[str, dict]]:
    """The pod templates that run the service's own image (not, e.g., e2e's PostgreSQL)."""
    return [
        (name, template)
        for name, template in pod_templates(render)
        if template["metadata"]["labels"].get("app.kubernetes.io/name") == render.slug
    ]


def containers(pod_spec: dict) -> list[dict]:
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def dockerfile_user(project: Path) -> tuple[int, int | None]:
    """The numeric UID (and GID) of the final stage's USER in the generated Dockerfile."""
    dockerfile = project / "Dockerfile"
    if not dockerfile.exists():
        pytest.fail(f"{dockerfile.name} is missing from the generated project: the pods' runAsUser must match its USER")
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    args: dict[str, str] = {}
    user = None
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        instruction, rest = words[0].upper(), (words[1] if len(words) > 1 else "")
        if instruction == "FROM":
            user = None
        elif instruction == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name.strip()] = value.strip().strip('"')
        elif instruction == "USER":
            user = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), rest.strip())
    if user is None:
        pytest.fail("the Dockerfile's final stage has no USER: the image would run as root")
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        pytest.fail(
            f"the Dockerfile's USER is {user!r}: it must be numeric (UID or UID:GID) so the kubelet can "
            "check runAsNonRoot"
        )
    return int(uid), int(gid) if gid else None


def test_the_cluster_setup_makes_the_namespace_restricted_at_the_cluster_version(cluster_rendered):
    namespace = cluster_rendered.one("Namespace")
    assert namespace["metadata"]["name"] == cluster_rendered.slug
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == f"v{cluster_rendered.kubernetes_version}"


def test_the_app_overlays_hold_no_cluster_scoped_object(rendered):
    """The deploy role's access is scoped to the namespace: everything it applies must live there."""
    for doc in rendered.docs:
        assert doc["metadata"].get("namespace") == rendered.slug, f"{doc['kind']}/{doc['metadata']['name']}"


def test_the_autoscaler_runs_the_release_of_the_answered_minor_for_its_own_cluster(cluster_rendered):
    deployments = cluster_rendered.of_kind("Deployment")
    if cluster_rendered.env == "cluster-e2e":
        assert deployments == [], "kind has no node group for an autoscaler to scale"
        return
    (autoscaler,) = deployments
    assert autoscaler["metadata"]["namespace"] == "kube-system"
    spec = autoscaler["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "cluster-autoscaler"  # the Pod Identity association's
    (container,) = spec["containers"]
    image, _, tag = container["image"].rpartition(":")
    assert image == "registry.k8s.io/autoscaling/cluster-autoscaler"
    version = cluster_rendered.kubernetes_version
    assert tag.startswith(f"v{version}."), f"{tag} is not a Cluster Autoscaler release for Kubernetes {version}"
    env = cluster_rendered.env.removeprefix("cluster-")
    tags = f"k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster_rendered.slug}-{env}"
    assert f"--node-group-auto-discovery=asg:tag={tags}" in container["command"]
    assert "--cloud-provider=aws" in container["command"]
    bound = {b["subjects"][0]["name"] for b in cluster_rendered.of_kind("ClusterRoleBinding")}
    assert bound == {"cluster-autoscaler"}


def test_pod_templates_meet_the_restricted_profile(rendered):
    templates = pod_templates(rendered)
    assert {name.split("/")[0] for name, _ in templates} >= {"Deployment", "Job"}
    for name, template in templates:
        spec = template["spec"]
        pod_context = spec.get("securityContext", {})
        assert pod_context.get("runAsNonRoot") is True, name
        assert pod_context.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(flag), f"{name}: {flag}"
        for volume in spec.get("volumes", []):
            kinds = set(volume) - {"name"}
            assert kinds <= RESTRICTED_VOLUME_TYPES, f"{name}: volume {volume['name']} is {kinds}"
        for container in containers(spec):
            where = f"{name} container {container['name']}"
            context = container.get("securityContext", {})
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert not context.get("privileged"), where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where
            assert set(context.get("capabilities", {}).get("add", [])) <= {"NET_BIND_SERVICE"}, where
            assert context.get("seccompProfile", {}).get("type", "RuntimeDefault") == "RuntimeDefault", where
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            empty_dirs = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
            assert mounts.get("/tmp") in empty_dirs, f"{where}: a read-only root needs an emptyDir on /tmp"


def test_run_as_user_is_the_dockerfile_user(rendered):
    uid, gid = dockerfile_user(rendered.project)
    for name, template in app_templates(rendered):
        pod_context = template["spec"]["securityContext"]
        for container in containers(template["spec"]):
            context = {**pod_context, **container.get("securityContext", {})}
            assert context.get("runAsUser") == uid, f"{name}: runAsUser {context.get('runAsUser')} != USER {uid}"
            if gid is not None:
                assert context.get("runAsGroup") == gid, f"{name}: runAsGroup != Dockerfile group {gid}"


def test_images_are_the_deployed_digest_or_the_e2e_build(rendered):
    account, region = (
        rendered.answers.get("aws_account_id", "123456789012"),
        rendered.answers.get("aws_region", "us-east-1"),
    )
    expected = f"{account}.dkr.ecr.{region}.amazonaws.com/{rendered.slug}@{DIGEST}"
    if rendered.env not in DEPLOYED:
        expected = f"kind-registry:5000/{rendered.slug}:e2e"
    for name, template in app_templates(rendered):
        for container in containers(template["spec"]):
            assert container["image"] == expected, name


def test_resources_memory_request_equals_limit_and_cpu_is_requested(rendered):
    for name, template in pod_templates(rendered):
        for container in containers(template["spec"]):
            resources = container.get("resources", {})
            assert resources.get("requests", {}).get("cpu"), f"{name}: no CPU request"
            memory = resources.get("requests", {}).get("memory")
            assert memory and memory == resources.get("limits", {}).get("memory"), f"{name}: memory request != limit"


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity (`250m`, `1`, `1.5`) in cores."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_gunicorn_is_sized_for_the_pod_not_the_node(rendered):
    # Left to itself gunicorn runs 2 x (the node's CPUs) + 1 workers, whatever the pod was given.
    workers = rendered.one("ConfigMap")["data"].get("WEB_CONCURRENCY", "")
    assert workers.isdigit(), f"WEB_CONCURRENCY is {workers!r}: the pods' worker count must be set"
    cpu = cpu_cores(app_container(rendered)["resources"]["requests"]["cpu"])
    assert 1 <= int(workers) <= 2 * math.ceil(cpu) + 1, f"{workers} workers for a {cpu}-CPU request"


def web(rendered) -> dict:
    return rendered.one("Deployment", rendered.slug)


def app_container(rendered) -> dict:
    (container,) = [c for c in web(rendered)["spec"]["template"]["spec"]["containers"] if c["name"] == "app"]
    return container


def test_probes_liveness_never_shares_readiness_path(rendered):
    container = app_container(rendered)
    liveness = container["livenessProbe"]["httpGet"]["path"]
    readiness = container["readinessProbe"]["httpGet"]["path"]
    assert "startupProbe" in container
    assert liveness != readiness
    assert (liveness, readiness) == ("/livez", "/readyz")


def test_grace_period_covers_prestop_and_gunicorn_graceful_timeout(rendered):
    spec = web(rendered)["spec"]["template"]["spec"]
    container = app_container(rendered)
    pre_stop = container["lifecycle"]["preStop"]
    assert "sleep" in pre_stop, f"preStop is {pre_stop}: expected the kubelet's sleep action"
    config = rendered.one("ConfigMap")["data"]
    graceful = int(config["GUNICORN_GRACEFUL_TIMEOUT"])
    needed = pre_stop["sleep"]["seconds"] + graceful + PRESTOP_MARGIN_SECONDS
    assert spec["terminationGracePeriodSeconds"] >= needed


def test_rollout_never_drops_capacity_and_spreads_over_zones(rendered):
    spec = web(rendered)["spec"]
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    keys = {c["topologyKey"] for c in spec["template"]["spec"].get("topologySpreadConstraints", [])}
    assert "topology.kubernetes.io/zone" in keys


def scaled(value: int | str, replicas: int) -> int:
    """An int-or-percent PDB field as a pod count (Kubernetes rounds percentages up)."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * int(value[:-1]) / 100)
    return int(value)


def minimum_replicas(rendered) -> int:
    hpa = rendered.one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == web(rendered)["metadata"]["name"]
    return hpa["spec"].get("minReplicas", 1)


def test_pdb_never_blocks_a_drain_at_minimum_replicas(rendered):
    pdb = rendered.one("PodDisruptionBudget")["spec"]
    replicas = minimum_replicas(rendered)
    if "maxUnavailable" in pdb:
        allowed = scaled(pdb["maxUnavailable"], replicas)
    else:
        allowed = replicas - scaled(pdb["minAvailable"], replicas)
    assert allowed >= 1, f"at {replicas} replicas the PDB allows {allowed} evictions"
    pod_labels = web(rendered)["spec"]["template"]["metadata"]["labels"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()


def test_production_runs_at_least_two_pods(combo, renders):
    production = renders[(combo, "production")]
    assert minimum_replicas(production) >= 2
    assert web(production)["spec"].get("replicas", 2) >= 2


def test_service_exposes_the_app_on_the_contract_node_port(rendered):
    service = rendered.one("Service", rendered.slug)
    assert service["spec"]["type"] == "NodePort"
    (port,) = service["spec"]["ports"]
    assert port["nodePort"] == 30080
    named = {p["name"]: p["containerPort"] for p in app_container(rendered)["ports"]}
    assert named.get(port["targetPort"], port["targetPort"]) == 8000
    assert service["spec"]["selector"].items() <= web(rendered)["spec"]["template"]["metadata"]["labels"].items()


def selects(policy: dict, labels: dict) -> bool:
    return policy["spec"]["podSelector"].get("matchLabels", {}).items() <= labels.items()


def test_network_policies_deny_by_default_and_allow_the_needed_paths(rendered):
    policies = rendered.of_kind("NetworkPolicy")
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    web_labels = web(rendered)["spec"]["template"]["metadata"]["labels"]
    ingress_ports = {
        port["port"]
        for p in policies
        if selects(p, web_labels)
        for rule in p["spec"].get("ingress", [])
        for port in rule.get("ports", [])
    }
    egress_ports = {
        (port.get("protocol", "TCP"), port["port"])
        for p in policies
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }
    assert ingress_ports == {8000}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 443)} <= egress_ports


def vpc_cidr(rendered) -> str:
    key = f"{rendered.env}_vpc_cidr"
    return rendered.answers.get(key, OPTIONS[key])


def ip_blocks(policy: dict, direction: str) -> set[str]:
    peers = "from" if direction == "ingress" else "to"
    return {peer["ipBlock"]["cidr"] for rule in policy["spec"][direction] for peer in rule[peers] if "ipBlock" in peer}


@pytest.mark.parametrize("env", DEPLOYED)  # e2e runs in kind, whose networks its own patch names
def test_deployed_network_policies_admit_their_environments_vpc_only(combo, renders, env):
    rendered = renders[(combo, env)]
    assert ip_blocks(rendered.one("NetworkPolicy", "allow-web-ingress"), "ingress") == {vpc_cidr(rendered)}
    assert ip_blocks(rendered.one("NetworkPolicy", "allow-postgresql-egress"), "egress") == {vpc_cidr(rendered)}
    texts = [str(policy["spec"]) for policy in rendered.of_kind("NetworkPolicy")]
    assert not any("192.0.2.0/24" in text for text in texts), "the base's placeholder CIDR was not replaced"


def test_the_app_may_reach_the_cloudwatch_agent(rendered):
    policy = rendered.one("NetworkPolicy", "allow-cloudwatch-agent-egress")
    assert selects(policy, web(rendered)["spec"]["template"]["metadata"]["labels"])
    assert selects(policy, rendered.one("Job")["spec"]["template"]["metadata"]["labels"])
    (rule,) = policy["spec"]["egress"]
    assert rule["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "amazon-cloudwatch"}}}]
    admitted = {
        (port["protocol"], number)
        for port in rule["ports"]
        for number in range(port["port"], port.get("endPort", port["port"]) + 1)
    }
    assert {("TCP", 25888), ("UDP", 25888), ("TCP", 4315), ("TCP", 4316), ("TCP", 4317), ("TCP", 4318)} <= admitted
    # whatever agent endpoints the app is configured with must be among them
    for key, value in rendered.one("ConfigMap")["data"].items():
        if ".amazon-cloudwatch" in value:
            scheme, _, rest = value.partition("://")
            protocol = "UDP" if scheme == "udp" else "TCP"
            assert (protocol, int(rest.split(":")[1].split("/")[0])) in admitted, f"{key}={value} is not admitted"


def test_names_follow_the_contract(rendered):
    slug = rendered.slug
    for kind in ("ServiceAccount", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Deployment"):
        assert rendered.one(kind, slug), kind
    assert rendered.one("Job")["metadata"]["name"] == f"{slug}-migrate"
    assert rendered.one("ServiceAccount").get("automountServiceAccountToken") is False
    for _, template in app_templates(rendered):
        assert template["spec"]["serviceAccountName"] == slug
    assert [c["name"] for c in web(rendered)["spec"]["template"]["spec"]["containers"]] == ["app"]


def test_configuration_names_the_environment_and_the_terraform_outputs(rendered):
    configmap = rendered.one("ConfigMap")
    assert configmap["metadata"]["name"].startswith(f"{rendered.slug}-config-")
    data = configmap["data"]
    database = rendered.slug.replace("-", "_")
    if rendered.env in DEPLOYED:
        assert data["APP_ENV"] == rendered.env
        assert data["DATABASE_NAME"] == database
        assert {key: data[key] for key in TERRAFORM_OUTPUTS} == TERRAFORM_OUTPUTS
        assert "DATABASE_URL" not in data, "deployed pods build the URL from the RDS secret"
    else:
        assert data["APP_ENV"] == "staging", "e2e runs under staging's strict configuration rules"
        assert data["DATABASE_URL"].endswith(f"@postgres:5432/{database}")
    for _, template in app_templates(rendered):
        for container in containers(template["spec"]):
            refs = [source["configMapRef"]["name"] for source in container.get("envFrom", [])]
            assert refs == [configmap["metadata"]["name"]]


def test_migration_job_runs_the_apps_migration_command_once(rendered):
    job = rendered.one("Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    package = rendered.slug.replace("-", "_")
    assert container["command"] == ["flask", "--app", f"{package}.wsgi", "db-upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        ("FROM a AS build\nUSER root\nFROM b\nUSER 10001:10001\n", (10001, 10001)),
        ("FROM b\nARG APP_UID=10001\nUSER ${APP_UID}\n", (10001, None)),
        ("FROM b\nUSER \\\n  10001\n", (10001, None)),
    ],
)
def test_dockerfile_user_reads_the_final_stage(tmp_path, dockerfile, expected):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    assert dockerfile_user(tmp_path) == expected


@pytest.mark.parametrize("dockerfile", ["FROM b\nUSER app\n", "FROM a\nUSER 10001\nFROM b\n"])
def test_dockerfile_user_refuses_names_and_root(tmp_path, dockerfile):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    with pytest.raises(pytest.fail.Exception):
        dockerfile_user(tmp_path)


@pytest.mark.parametrize(("value", "replicas", "pods"), [(1, 3, 1), ("50%", 3, 2), ("10%", 2, 1), ("0%", 4, 0)])
def test_pdb_percentages_round_up(value, replicas, pods):
    assert scaled(value, replicas) == pods
