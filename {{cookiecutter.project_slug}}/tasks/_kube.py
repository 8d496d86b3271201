"""The Kubernetes API through the official Python client, and the pure decisions about it.

Objects are applied by path with server-side apply, so any kind in ``KINDS`` works without API
discovery. Deployments are rolled back the way ``kubectl rollout undo`` does it (a ReplicaSet's pod
template put back), to the last revision that passed deploy's smoke test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from invoke import Exit

FIELD_MANAGER = "invoke-deploy"
REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH = "pod-template-hash"
# On the Deployment: the pod-template hash of the last revision that passed deploy's smoke test.
VERIFIED = "deploy.invoke/verified-pod-template-hash"

# kind -> (plural, namespaced). Kinds the manifests use; add one here if the overlay grows.
KINDS = {
    "Namespace": ("namespaces", False),
    "ServiceAccount": ("serviceaccounts", True),
    "ConfigMap": ("configmaps", True),
    "Secret": ("secrets", True),
    "Service": ("services", True),
    "Deployment": ("deployments", True),
    "ReplicaSet": ("replicasets", True),
    "Job": ("jobs", True),
    "CronJob": ("cronjobs", True),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", True),
    "PodDisruptionBudget": ("poddisruptionbudgets", True),
    "NetworkPolicy": ("networkpolicies", True),
    "Role": ("roles", True),
    "RoleBinding": ("rolebindings", True),
    "ResourceQuota": ("resourcequotas", True),
    "LimitRange": ("limitranges", True),
}


class KubeError(Exit):
    """A non-2xx answer. Callers catch the ones they expect (404); any other ends the task with one sentence."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"The Kubernetes API refused {method} {path}: HTTP {status}: {detail}")
        self.status, self.detail = status, detail


# -- pure decisions ------------------------------------------------------------------------------


def collection_path(api_version: str, kind: str, namespace: str | None) -> str:
    """``/api/v1/namespaces/NS/services`` style path of a kind's collection."""
    if kind not in KINDS:
        raise Exit(f"Kind {kind} is not known to tasks/_kube.py: add it to KINDS (plural, namespaced).")
    plural, namespaced = KINDS[kind]
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespaced:
        if not namespace:
            raise Exit(f"{kind} needs metadata.namespace in the rendered manifests.")
        return f"{prefix}/namespaces/{namespace}/{plural}"
    return f"{prefix}/{plural}"


def object_path(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{collection_path(obj['apiVersion'], obj['kind'], meta.get('namespace'))}/{meta['name']}"


def describe(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def job_state(job: dict) -> str:
    """``succeeded``, ``failed`` or ``running`` from a Job's status."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "succeeded"
        if condition.get("status") == "True" and condition.get("type") in ("Failed", "FailureTarget"):
            return "failed"
    if status.get("succeeded"):
        return "succeeded"
    return "running"


def rollout_state(deployment: dict) -> tuple[str, str]:
    """(``done`` | ``failed`` | ``progressing``, a progress line) — the rules of ``kubectl rollout status``."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    wanted = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    available = status.get("availableReplicas", 0)
    total = status.get("replicas", 0)
    line = f"{updated}/{wanted} updated, {available} available, {total - updated} old remaining"
    if deployment["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
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


# -- the client ----------------------------------------------------------------------------------


class Kube:
    """A few verbs over one API server, from a kubeconfig dict (token refreshed by ``token_source``)."""

    def __init__(
        self, kubeconfig: dict, token_source: Callable[[], str] | None = None, refresh_after: float = 600.0
    ) -> None:
        import kubernetes  # on first use: it is slow to import and `invoke --list` does not need it

        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config_from_dict(kubeconfig, client_configuration=configuration)
        if token_source is not None:
            issued = [time.monotonic()]

            def refresh(conf):
                if time.monotonic() - issued[0] > refresh_after:
                    conf.api_key["BearerToken"] = "Bearer " + token_source()  # where the loader put it
                    issued[0] = time.monotonic()

            configuration.refresh_api_key_hook = refresh
        self.client = kubernetes.client.ApiClient(configuration)

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        query: list | None = None,
        content_type: str = "application/json",
        raw: bool = False,
    ):
        serialized = self.client.param_serialize(
            method,
            path,
            query_params=query or [],
            body=body,
            auth_settings=["BearerToken"],
            header_params={"Content-Type": content_type, "Accept": "application/json"},
        )
        try:
            response = self.client.call_api(*serialized, _request_timeout=30)
        except Exception as error:  # urllib3 connection errors
            raise Exit(f"Cannot reach the Kubernetes API at {self.client.configuration.host}: {error}") from None
        response.read()
        text = response.data.decode() if response.data else ""
        if not 200 <= response.status <= 299:
            try:
                message = json.loads(text).get("message", text)
            except ValueError:
                message = text
            raise KubeError(method, path, response.status, message)
        if raw:
            return text
        return json.loads(text) if text else {}

    def get(self, path: str, **query) -> dict | None:
        try:
            return self.request("GET", path, query=list(query.items()))
        except KubeError as error:
            if error.status == 404:
                return None
            raise

    def apply(self, obj: dict) -> dict:
        """Server-side apply, taking ownership of conflicting fields (this tool is the source of truth)."""
        return self.request(
            "PATCH",
            object_path(obj),
            body=json.dumps(obj),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            content_type="application/apply-patch+yaml",
        )

    def delete(self, path: str) -> bool:
        """Delete (pods too); False when it was already gone."""
        try:
            self.request("DELETE", path, query=[("propagationPolicy", "Background")])
            return True
        except KubeError as error:
            if error.status == 404:
                return False
            raise

    def wait_gone(self, path: str, timeout: float, interval: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while self.get(path) is not None:
            if time.monotonic() > deadline:
                raise Exit(f"{path} still exists after {timeout:.0f}s.")
            time.sleep(interval)

    def items(self, path: str, **query) -> list[dict]:
        return (self.get(path, **query) or {}).get("items", [])
