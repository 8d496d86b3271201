"""Watching what a deploy started, and rolling a Deployment back.

The states follow the rules of ``kubectl rollout status`` and ``kubectl wait --for=condition=complete``.
Every wait prints a line when its state changes and at least every ``progress_every`` seconds, so a
CI log never goes quiet. A rollback puts a ReplicaSet's pod template back (what ``kubectl rollout
undo`` does) — to the last revision that passed deploy's smoke test — and is watched like a deploy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from ._kube import FIELD_MANAGER, Kube

REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
# On the Deployment: the pod-template hash of the last revision that passed deploy's smoke test.
VERIFIED = "deploy.invoke/verified-pod-template-hash"

# -- pure decisions ------------------------------------------------------------------------------


def job_state(job: dict) -> tuple[str, str]:
    """(``succeeded`` | ``failed`` | ``progressing``, a progress line) from a Job's status."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "succeeded", "complete"
        if condition.get("status") == "True" and condition.get("type") in ("Failed", "FailureTarget"):
            return "failed", f"failed: {condition.get('reason') or 'no reason given'}"
    if status.get("succeeded"):
        return "succeeded", "complete"
    return "progressing", f"{status.get('active', 0)} running, {status.get('failed', 0)} failed attempts"


def rollout_state(deployment: dict) -> tuple[str, str]:
    """(``done`` | ``failed`` | ``progressing``, a progress line) — the rules of ``kubectl rollout status``."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    wanted = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    available = status.get("availableReplicas", 0)
    total = status.get("replicas", 0)
    line = f"{updated}/{wanted} updated, {available} available, {total - updated} old remaining"
    if (deployment.get("metadata") or {}).get("generation", 0) > status.get("observedGeneration", 0):
        return "progressing", "waiting for the controller to see the new spec"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return "failed", f"progress deadline exceeded ({line})"
    if updated >= wanted and total <= updated and available >= updated:
        return "done", line
    return "progressing", line


def revision_of(obj: dict) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0")
    return int(value) if value.isdigit() else 0


def template_hash(replicaset: dict) -> str | None:
    return ((replicaset["metadata"].get("labels")) or {}).get(TEMPLATE_HASH)


def owned(replicasets: list[dict], deployment: dict) -> list[dict]:
    """The deployment's ReplicaSets, newest revision first."""
    uid = deployment["metadata"]["uid"]
    mine = [rs for rs in replicasets if uid in [ref.get("uid") for ref in rs["metadata"].get("ownerReferences") or []]]
    return sorted(mine, key=revision_of, reverse=True)


def rollback_target(replicasets: list[dict], deployment: dict, revision: int | None = None) -> tuple[str, dict | None]:
    """What a rollback should do: (``restore`` | ``running`` | ``none``, the target ReplicaSet).

    The target is ``revision`` when given, else the last revision that passed deploy's smoke test
    (its pod-template hash is recorded on the deployment). ``running`` means the deployment already
    runs it, so rolling back twice, or after deploy rolled back by itself, changes nothing.
    """
    mine = owned(replicasets, deployment)
    if revision is not None:
        target = next((rs for rs in mine if revision_of(rs) == revision), None)
    else:
        verified = ((deployment["metadata"].get("annotations")) or {}).get(VERIFIED)
        target = next((rs for rs in mine if verified and template_hash(rs) == verified), None)
    if target is None:
        return "none", None
    current = next((rs for rs in mine if revision_of(rs) == revision_of(deployment)), None)
    if current is not None and template_hash(current) == template_hash(target):
        return "running", target
    return "restore", target


def pod_template(replicaset: dict) -> dict:
    """A ReplicaSet's pod template as the deployment should carry it (without the RS's own hash label)."""
    template = json.loads(json.dumps(replicaset["spec"]["template"]))
    (template.get("metadata") or {}).get("labels", {}).pop(TEMPLATE_HASH, None)
    return template


def container_images(deployment: dict) -> list[str]:
    return [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]


# -- watching ------------------------------------------------------------------------------------


def watch(
    what: str,
    poll: Callable[[], tuple[str, str]],
    timeout: float,
    interval: float,
    progress_every: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str]:
    """Poll ``poll() -> (state, line)`` until the state is not ``progressing`` or ``timeout`` passes.

    Prints the line whenever it changes and at least every ``progress_every`` seconds. Returns the
    final state (or ``timed out``) and the last line.
    """
    started = clock()
    shown, shown_at = None, started
    while True:
        state, line = poll()
        now = clock()
        if line != shown or now - shown_at >= progress_every:
            print(f"  {what}: {line} ({now - started:.0f}s)", flush=True)
            shown, shown_at = line, now
        if state != "progressing":
            return state, line
        if now - started >= timeout:
            return "timed out", f"not finished after {timeout:.0f}s: {line}"
        sleep(interval)


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def replicasets(kube: Kube, deployment: dict) -> list[dict]:
    namespace = deployment["metadata"]["namespace"]
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    return kube.items(f"/apis/apps/v1/namespaces/{namespace}/replicasets", labelSelector=selector)


def current_replicaset(kube: Kube, deployment: dict) -> dict | None:
    mine = owned(replicasets(kube, deployment), deployment)
    return next((rs for rs in mine if revision_of(rs) == revision_of(deployment)), None)


def mark_verified(kube: Kube, namespace: str, name: str) -> None:
    """Record the running pod template as the one rollbacks return to (it passed the smoke test).

    A merge patch under its own field manager, so deploy's next server-side apply keeps it. What
    runs is read when the change is made, so a dry run lists the change without guessing the hash.
    """
    path = deployment_path(namespace, name)

    def perform() -> None:
        deployment = kube.get(path)
        current = current_replicaset(kube, deployment) if deployment else None
        if current is not None and template_hash(current):
            kube.request(
                "PATCH",
                path,
                body={"metadata": {"annotations": {VERIFIED: template_hash(current)}}},
                query=[("fieldManager", f"{FIELD_MANAGER}-verified")],
                content_type="application/merge-patch+json",
            )

    kube.fx.change("kube", f"mark the running revision of Deployment {namespace}/{name} as verified", perform, None)


def undo(kube: Kube, namespace: str, name: str, revision: int | None = None) -> tuple[str, int | None]:
    """Return to ``revision`` or the last verified one: (``restore`` | ``running`` | ``none``, its revision)."""
    deployment = kube.get(deployment_path(namespace, name))
    if deployment is None:
        return "missing", None
    action, target = rollback_target(replicasets(kube, deployment), deployment, revision)
    if action == "restore" and target is not None:
        kube.patch(
            deployment_path(namespace, name),
            [{"op": "replace", "path": "/spec/template", "value": pod_template(target)}],
            "application/json-patch+json",
            f"roll Deployment {namespace}/{name} back to revision {revision_of(target)}",
        )
    return action, revision_of(target) if target else None
