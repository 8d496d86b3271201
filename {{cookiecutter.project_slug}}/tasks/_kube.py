"""The Kubernetes API through the official Python client: a few verbs, retried through blips.

Every request is retried with exponential backoff while the API server answers 429 (honouring its
Retry-After) or a 5xx, or cannot be reached, until a time budget is spent; each retry prints one
line, so a CI log shows why a step took longer. Reads (GET) go straight to the server, also under
--dry; every change goes through ``Effects``. Objects are applied by path with server-side apply,
so any kind in ``KINDS`` works without API discovery.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from invoke import Exit

from .effects import Effects

FIELD_MANAGER = "invoke-deploy"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

# kind -> (plural, namespaced). Kinds the manifests use; add one here if the manifests grow.
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
    "ClusterRole": ("clusterroles", False),
    "ClusterRoleBinding": ("clusterrolebindings", False),
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
    """``Kind namespace/name`` (or ``Kind name`` for cluster-scoped objects)."""
    meta = obj["metadata"]
    return f"{obj['kind']} {meta['namespace'] + '/' if meta.get('namespace') else ''}{meta['name']}"


@dataclass(frozen=True)
class Retry:
    """How long to keep retrying one request (seconds), the first pause and the longest one."""

    budget: float = 60.0
    first: float = 0.5
    longest: float = 8.0

    def pause(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based); a numeric Retry-After wins."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.longest)
        return min(self.first * 2 ** (attempt - 1), self.longest)


# -- the client ----------------------------------------------------------------------------------


class Kube:
    """A few verbs over one API server; build it with ``from_dict`` or ``from_file``."""

    def __init__(self, configuration, fx: Effects, retry: Retry | None = None) -> None:
        import kubernetes  # on first use: it is slow to import and `invoke --list` does not need it

        configuration.retries = False  # this class retries, with its own budget and messages
        self.client = kubernetes.client.ApiClient(configuration)
        self.fx, self.retry, self.sleep = fx, retry or Retry(), time.sleep

    @classmethod
    def from_dict(
        cls,
        kubeconfig: dict,
        fx: Effects,
        token_source: Callable[[], str] | None = None,
        refresh_after: float = 600.0,
        retry: Retry | None = None,
    ) -> Kube:
        """A client from a kubeconfig dict; ``token_source`` refreshes the bearer token for long waits."""
        import kubernetes

        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config_from_dict(kubeconfig, client_configuration=configuration)
        if token_source is not None:
            issued = [time.monotonic()]

            def refresh(conf):
                if time.monotonic() - issued[0] > refresh_after:
                    conf.api_key["BearerToken"] = "Bearer " + token_source()  # where the loader put it
                    issued[0] = time.monotonic()

            configuration.refresh_api_key_hook = refresh
        return cls(configuration, fx, retry)

    @classmethod
    def from_file(cls, path: Path, fx: Effects, retry: Retry | None = None) -> Kube:
        """A client from a kubeconfig file (its current context; exec plugins such as `aws eks get-token` work)."""
        import kubernetes

        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_kube_config(config_file=str(path), client_configuration=configuration)
        except (kubernetes.config.ConfigException, OSError, ValueError) as error:
            raise Exit(f"--kubeconfig {path} cannot be used: {error}") from None
        return cls(configuration, fx, retry)

    @property
    def host(self) -> str:
        return self.client.configuration.host

    def request(
        self, method: str, path: str, body: object = None, query: list | None = None, retry: bool = True, **options
    ):
        """One request, retried through 429, 5xx and connection errors until the retry budget is spent.

        ``retry=False`` is for callers that retry on their own terms (the smoke test's window).
        """
        deadline, attempt = time.monotonic() + self.retry.budget, 0  # a budget per request
        while True:
            attempt += 1
            status, text, why, retry_after = self._once(method, path, body, query, **options)
            if status is not None and (status not in RETRIED_STATUSES or not retry):
                break
            pause = self.retry.pause(attempt, retry_after)
            if time.monotonic() + pause > deadline:
                if status is None:
                    raise Exit(f"Cannot reach the Kubernetes API at {self.host}: {why}") from None
                break
            print(f"  Kubernetes API: {why} on {method} {path}; retrying in {pause:.1f}s", flush=True)
            self.sleep(pause)
        if not 200 <= status <= 299:
            try:
                message = json.loads(text).get("message", text)
            except (ValueError, AttributeError):
                message = text
            raise KubeError(method, path, status, message)
        if options.get("raw"):
            return text
        return json.loads(text) if text else {}

    def _once(self, method, path, body, query, content_type="application/json", raw=False):
        """(status, body text, why it failed, Retry-After); status None when the server was not reached."""
        import urllib3

        serialized = self.client.param_serialize(
            method,
            path,
            query_params=query or [],
            body=body,
            auth_settings=["BearerToken"],
            header_params={"Content-Type": content_type, "Accept": "application/json"},
        )
        try:
            response = self.client.call_api(*serialized, _request_timeout=(10, 30))
        except urllib3.exceptions.HTTPError as error:
            return None, "", f"connection failed ({type(error).__name__})", None
        response.read()
        text = response.data.decode() if response.data else ""
        return response.status, text, f"HTTP {response.status}", response.getheader("Retry-After")

    def get(self, path: str, **query) -> dict | None:
        try:
            return self.request("GET", path, query=list(query.items()))
        except KubeError as error:
            if error.status == 404:
                return None
            raise

    def items(self, path: str, **query) -> list[dict]:
        return (self.get(path, **query) or {}).get("items", [])

    # -- changes (through Effects) ----------------------------------------------------------------

    def apply(self, obj: dict, manager: str = FIELD_MANAGER) -> dict:
        """Server-side apply, taking ownership of conflicting fields (this tool is the source of truth)."""
        namespace = obj["metadata"].get("namespace")

        def perform() -> dict:
            try:
                return self.request(
                    "PATCH",
                    object_path(obj),
                    body=json.dumps(obj),
                    query=[("fieldManager", manager), ("force", "true")],
                    content_type="application/apply-patch+yaml",
                )
            except KubeError as error:
                if error.status == 404 and f'namespaces "{namespace}" not found' in error.detail:
                    raise Exit(
                        f"Namespace {namespace} does not exist in the cluster: a cluster administrator runs "
                        "`invoke cluster.setup --env ENV` first."
                    ) from None
                raise

        return self.fx.change("kube", f"apply {describe(obj)}", perform, obj)

    def delete(self, path: str, what: str) -> bool:
        """Delete (dependents in the background); False when it was already gone."""

        def perform() -> bool:
            try:
                self.request("DELETE", path, query=[("propagationPolicy", "Background")])
                return True
            except KubeError as error:
                if error.status == 404:
                    return False
                raise

        return self.fx.change("kube", f"delete {what}", perform, True)

    def patch(self, path: str, body: object, content_type: str, what: str, manager: str = FIELD_MANAGER) -> dict:
        return self.fx.change(
            "kube",
            what,
            lambda: self.request(
                "PATCH", path, body=body, query=[("fieldManager", manager)], content_type=content_type
            ),
            {},
        )
