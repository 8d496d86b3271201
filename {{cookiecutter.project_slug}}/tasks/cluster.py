"""The cluster itself: what an administrator applies once per cluster (cluster.setup), and the way in
for people when the API endpoint is private (tunnel: SSM port forwarding through the access instance).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import yaml
from invoke import Exit, task

from . import _aws
from ._kube import describe, object_path
from ._manifests import apply_order, render
from ._rollout import rollout_state, watch
from .environment import KUBECONFIG_HELP, Environment, resolve

SETUP_MANAGER = "invoke-cluster-setup"
AUTOSCALER = "registry.k8s.io/autoscaling/cluster-autoscaler"
# The Cluster Autoscaler release of each Kubernetes minor (a release supports its own minor only):
# the newest patches, promoted to registry.k8s.io on 2026-07-02 (kubernetes/k8s.io#9676); table
# checked 2026-11-29. registry.k8s.io never moves a tag, so a tag pins the image.
AUTOSCALER_RELEASES = {"1.33": "v1.33.5", "1.34": "v1.34.4", "1.35": "v1.35.1", "1.36": "v1.36.0"}
SSM_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"


def autoscaler_image(kubernetes_version: str) -> dict:
    """The kustomize ``images`` entry of the Cluster Autoscaler for a cluster at ``kubernetes_version``."""
    minor = ".".join(kubernetes_version.split(".")[:2])
    if minor not in AUTOSCALER_RELEASES:
        raise Exit(
            f"No Cluster Autoscaler release is listed for Kubernetes {minor}: add the newest v{minor}.x "
            "to AUTOSCALER_RELEASES in tasks/cluster.py (https://github.com/kubernetes/autoscaler/releases)."
        )
    return {"name": "cluster-autoscaler", "newName": AUTOSCALER, "newTag": AUTOSCALER_RELEASES[minor]}


def tunnel_kubeconfig(cluster: dict, port: int, region: str) -> dict:
    """A kubeconfig that reaches a private EKS endpoint through a local port forward.

    The server is 127.0.0.1, so ``tls-server-name`` names the endpoint's host for the certificate
    check; the token comes from ``aws eks get-token`` (the AWS CLI is needed for the tunnel anyway).
    """
    name, host = cluster["name"], urlparse(cluster["endpoint"]).hostname
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": f"https://127.0.0.1:{port}",
                    "certificate-authority-data": cluster["certificateAuthority"]["data"],
                    "tls-server-name": host,
                },
            }
        ],
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def port_forward_argv(instance_id: str, host: str, port: int, region: str) -> list[str]:
    """``aws ssm start-session`` forwarding local ``port`` to ``host:443`` through the access instance."""
    parameters = {"host": [host], "portNumber": ["443"], "localPortNumber": [str(port)]}
    return [
        "aws",
        "ssm",
        "start-session",
        "--region",
        region,
        "--target",
        instance_id,
        "--document-name",
        SSM_DOCUMENT,
        "--parameters",
        json.dumps(parameters, separators=(",", ":")),
    ]


def setup_images(env: Environment) -> list[dict] | None:
    """The Cluster Autoscaler image for the cluster's running Kubernetes version (none without Terraform)."""
    if not env.provisioned:
        return None
    return [autoscaler_image(_aws.describe_cluster(env.session, env.output("cluster_name"))["version"])]


@task(help={"env": "Environment whose cluster to set up.", "kubeconfig": KUBECONFIG_HELP})
def setup(c, env=None, kubeconfig=None):
    """Apply k8s/cluster (namespace, Cluster Autoscaler and its RBAC) as a cluster administrator; idempotent."""
    env = resolve(c, env, kubeconfig)
    overlay, component = f"cluster/overlays/{env.name}", "cluster/components/cluster-autoscaler"
    docs = render(env.fx, env.project.root / "k8s", overlay, setup_images(env), images_in=component)
    for obj in apply_order(docs):
        env.kube.apply(obj, manager=SETUP_MANAGER)
    t = env.project.timing
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        path = object_path(deployment)
        state, line = env.fx.wait(
            f"rollout of {describe(deployment)}",
            lambda path=path: watch(
                "rollout", lambda: rollout_state(env.kube.get(path) or {}), t.rollout, t.poll, t.progress_every
            ),
            ("done", ""),
        )
        if state != "done":
            raise Exit(f"{describe(deployment)} did not roll out ({state}: {line}); see its events with kubectl.")
    print(f"The cluster of {env.name} is set up: {len(docs)} objects applied.")


@task(
    help={
        "env": "Environment whose private API endpoint to reach.",
        "port": "Local port to forward (the kubeconfig's server is https://127.0.0.1:PORT).",
        "kubeconfig": "Where to write the kubeconfig (default: .cache/kubeconfig-ENV).",
    }
)
def tunnel(c, env=None, port="8443", kubeconfig=None):
    """Forward a local port to the private EKS endpoint over SSM, and write a kubeconfig that uses it."""
    number = int(port) if str(port).isdigit() and 1024 <= int(port) <= 65535 else None
    if number is None:
        raise Exit(f"--port {str(port)!r} is not a port this task can use: give a number from 1024 to 65535.")
    env = resolve(c, env)
    instance = str(env.outputs.get("access_instance_id") or "")
    if not instance:
        raise Exit(f"{env.name} has no access instance: its API endpoint is public, so tasks reach it directly.")
    cluster = _aws.describe_cluster(env.session, env.output("cluster_name"))
    path = Path(kubeconfig) if kubeconfig else env.project.root / ".cache" / f"kubeconfig-{env.name}"
    env.fx.write(path, yaml.safe_dump(tunnel_kubeconfig(cluster, number, env.project.region), sort_keys=False))
    print(
        f"While this runs, in another shell: `invoke status --env {env.name} --kubeconfig {path}` "
        f"(or `export KUBECONFIG={path}` for kubectl). Ctrl-C closes the tunnel."
    )
    host = urlparse(cluster["endpoint"]).hostname or ""
    exited = env.fx.run(port_forward_argv(instance, host, number, env.project.region), pty=True)
    if exited not in (0, 130):  # 130: closed with Ctrl-C
        raise Exit(
            f"The SSM session ended with exit code {exited}: the AWS CLI and its session-manager-plugin "
            "must be installed (`invoke doctor` checks both)."
        )
