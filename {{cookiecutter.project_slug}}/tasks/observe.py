"""status and logs: what runs in an environment, read-only (outputs from the state object, no Terraform)."""

from __future__ import annotations

from invoke import Exit, task

from . import _aws
from ._rollout import VERIFIED, container_images, deployment_path, owned, replicasets, revision_of, rollout_state
from ._rollout import template_hash as hash_of
from ._text import table, whole_number
from .environment import KUBECONFIG_HELP, resolve

WEB = "app.kubernetes.io/component=web"


def format_revisions(sets: list[dict], deployment: dict) -> str:
    verified = (deployment["metadata"].get("annotations") or {}).get(VERIFIED)
    rows = [("REVISION", "IMAGE", "")]
    for rs in sets:
        marks = ["running"] if revision_of(rs) == revision_of(deployment) else []
        marks += ["passed smoke test"] if verified and hash_of(rs) == verified else []
        images = [c["image"] for c in rs["spec"]["template"]["spec"]["containers"]]
        rows.append((str(revision_of(rs)), ", ".join(images), ", ".join(marks)))
    return table(rows)


def format_pods(pods: list[dict]) -> str:
    rows = [("POD", "PHASE", "READY", "RESTARTS")]
    for pod in pods:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        ready = sum(1 for s in statuses if s.get("ready"))
        rows.append(
            (
                pod["metadata"]["name"],
                pod.get("status", {}).get("phase", "?"),
                f"{ready}/{len(statuses)}",
                str(sum(s.get("restartCount", 0) for s in statuses)),
            )
        )
    return table(rows)


def format_events(events: list[dict], limit: int = 10) -> str:
    def when(event):
        return event.get("lastTimestamp") or event.get("eventTime") or ""

    rows = [("LAST SEEN", "TYPE", "OBJECT", "MESSAGE")]
    for event in sorted(events, key=when)[-limit:]:
        involved = event.get("involvedObject", {})
        rows.append(
            (
                when(event),
                event.get("type", ""),
                f"{involved.get('kind')}/{involved.get('name')}",
                event.get("message", "").strip(),
            )
        )
    return table(rows)


@task(help={"env": "Environment to report on.", "kubeconfig": KUBECONFIG_HELP})
def status(c, env=None, kubeconfig=None):
    """Show the rollout, the image, the revisions, the pods and recent events."""
    env = resolve(c, env, kubeconfig)
    namespace = name = env.project.slug
    deployment = env.kube.get(deployment_path(namespace, name))
    if deployment is None:
        raise Exit(f"Deployment {name} does not exist in {env.name} yet: run `invoke deploy --env {env.name}`.")
    print(f"Rollout: {rollout_state(deployment)[1]}  (revision {revision_of(deployment)})")
    print("Image:   " + ", ".join(container_images(deployment)))
    print(format_revisions(owned(replicasets(env.kube, deployment), deployment), deployment))
    print(format_pods(env.kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=WEB)))
    print(format_events(env.kube.items(f"/api/v1/namespaces/{namespace}/events")))


@task(
    help={
        "env": "Environment whose logs to show.",
        "since": "How far back, in minutes.",
        "tail": "Lines per pod (pod logs) or records (CloudWatch).",
        "cloudwatch": "Query the app's CloudWatch log group with Logs Insights instead of reading pod logs.",
        "kubeconfig": KUBECONFIG_HELP,
    }
)
def logs(c, env=None, since="15", tail="100", cloudwatch=False, kubeconfig=None):
    """Recent app logs: from the pods, or from CloudWatch Logs Insights (outlives the pods)."""
    minutes = whole_number(since, "--since", "a number of minutes", minimum=1)
    lines = whole_number(tail, "--tail", "a number of lines", minimum=1)
    env = resolve(c, env, kubeconfig)
    if cloudwatch:
        for line in _aws.insights_tail(env.session, env.output("app_log_group_name"), minutes, lines):
            print(line)
        return
    namespace = env.project.slug
    for pod in env.kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=WEB):
        pod_name = pod["metadata"]["name"]
        text = env.kube.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods/{pod_name}/log",
            raw=True,
            query=[("container", "app"), ("sinceSeconds", minutes * 60), ("tailLines", lines)],
        )
        for line in text.splitlines():
            print(f"{pod_name} | {line}")
