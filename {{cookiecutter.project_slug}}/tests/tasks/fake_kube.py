"""A small fake of the Kubernetes API at the HTTP layer, with faults to inject.

It stores objects by path, answers server-side apply (recording the field manager, as managedFields
does), JSON and merge patches, deletes, lists (items without kind, as the real API sends them) and
the service proxy, and plays the deployment and job controllers with outcomes the test chooses.
Faults: ``burst(status, n)`` answers the next n requests with a 429/5xx (with Retry-After when
given), ``drop(n)`` closes the next n connections without an answer, ``rollout_polls`` and
``job_polls`` make a rollout or a Job take that many looks, ``rollout_ok`` / ``rollback_ok`` /
``job_outcome`` / ``readyz`` decide how they end. Every request is recorded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

REVISION = "deployment.kubernetes.io/revision"


class FakeKube:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.objects: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.faults: list[tuple[int, dict]] = []  # (status, headers) answered before anything else
        self.dropped = 0
        self.rollout_ok = True
        self.rollback_ok = True
        self.rollout_polls = 0  # looks at a new rollout before it is done
        self.job_outcome = "Complete"
        self.job_polls = 0
        self.readyz: list[int] = [200]  # statuses in turn; the last one repeats
        self.refuse: dict[str, tuple[int, str]] = {}  # path -> (status, message) for any method
        self.revision = 0
        self.looks: dict[str, int] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                request = {
                    "method": self.command,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "content_type": self.headers.get("Content-Type"),
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(raw) if raw else None,
                }
                with fake.lock:
                    fake.requests.append(request)
                    if fake.dropped:
                        fake.dropped -= 1
                        self.close_connection = True
                        return
                    headers = {}
                    if fake.faults:
                        status, headers = fake.faults.pop(0)
                        body: object = {"kind": "Status", "message": "injected fault"}
                    else:
                        status, body = fake.answer(request)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PATCH = do_DELETE = do_POST = _handle  # noqa: N815  (http.server's names)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "k8s-aws-v1.fake"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        }

    # -- faults ------------------------------------------------------------------------------

    def burst(self, status: int, count: int, retry_after: str | None = None) -> None:
        self.faults += [(status, {"Retry-After": retry_after} if retry_after else {})] * count

    def drop(self, count: int) -> None:
        self.dropped += count

    # -- the fake API ------------------------------------------------------------------------

    def answer(self, request: dict) -> tuple[int, object]:
        method, path = request["method"], request["path"]
        if path in self.refuse:
            status, message = self.refuse[path]
            return status, {"kind": "Status", "message": message}
        if "/proxy/" in path:
            status = self.readyz.pop(0) if len(self.readyz) > 1 else self.readyz[0]
            return status, "ok" if status == 200 else "database unavailable"
        if path.endswith("/log"):
            return 200, "line one\nline two\n"
        if method == "PATCH" and request["content_type"] == "application/apply-patch+yaml":
            return self.apply(path, request["body"], request["query"]["fieldManager"][0])
        if method == "PATCH":
            return self.patch(path, request["content_type"], request["body"])
        if method == "DELETE":
            return self.delete(path)
        if method == "GET" and path in self.objects:
            return 200, self.observe(path, self.objects[path])
        if method == "GET" and path.split("/")[-1] in LISTED:
            return 200, {"items": self.listed(path, request["query"])}
        return 404, {"message": f"{path} not found"}

    def listed(self, path: str, query: dict) -> list[dict]:
        """Items of a collection (across namespaces for /api/v1/services), without kind/apiVersion."""
        plural = path.rsplit("/", 1)[1]
        if path == "/api/v1/services":
            found = [o for p, o in self.objects.items() if p.split("/")[-2] == "services"]
        else:
            found = [o for p, o in self.objects.items() if p.rsplit("/", 1)[0] == path]
        selector = (query.get("labelSelector") or [""])[0]
        wanted = dict(part.split("=", 1) for part in selector.split(",") if "=" in part)
        found = [o for o in found if wanted.items() <= ((o["metadata"].get("labels")) or {}).items()]
        items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in found]
        return items + EXTRA.get(plural, [])

    def apply(self, path: str, obj: dict, manager: str) -> tuple[int, object]:
        namespace = obj["metadata"].get("namespace")
        if namespace and f"/api/v1/namespaces/{namespace}" not in self.objects:
            return 404, {"kind": "Status", "message": f'namespaces "{namespace}" not found'}
        previous = self.objects.get(path)
        obj = json.loads(json.dumps(obj))
        meta = obj["metadata"]
        before = (previous or {}).get("metadata", {})
        meta["uid"] = before.get("uid") or f"uid-{len(self.objects)}"
        meta["managedFields"] = [{"manager": manager, "operation": "Apply"}]
        if obj["kind"] == "Job":
            self.looks[path] = 0
        if obj["kind"] == "Deployment":
            # the HPA owns the count; the API server keeps what it set (2 here) when apply omits it
            obj["spec"].setdefault("replicas", (previous or {}).get("spec", {}).get("replicas", 2))
            meta["generation"] = before.get("generation", 0) + 1
            # annotations owned by other field managers survive a server-side apply
            meta["annotations"] = {**before.get("annotations", {}), **meta.get("annotations", {})}
            self.objects[path] = obj
            if obj["spec"]["template"] != (previous or {}).get("spec", {}).get("template"):
                self.roll(obj, path)
        self.objects[path] = obj
        return 200, obj

    def delete(self, path: str) -> tuple[int, object]:
        if self.objects.pop(path, None) is None:
            return 404, {"message": "not found"}
        if path.startswith("/api/v1/namespaces/") and path.count("/") == 4:  # a namespace takes its objects
            for inner in [p for p in self.objects if f"/namespaces/{path.rsplit('/', 1)[1]}/" in p]:
                del self.objects[inner]
        return 200, {"kind": "Status"}

    def roll(self, deployment: dict, path: str, rollback: bool = False) -> None:
        """The deployment controller: a ReplicaSet for the template, the newest revision; the rollout
        then takes ``rollout_polls`` looks and ends as ``rollout_ok`` (``rollback_ok`` for rollbacks)."""
        self.revision += 1
        self.looks[path] = 0
        deployment["metadata"]["annotations"]["fake/outcome"] = str(self.rollback_ok if rollback else self.rollout_ok)
        namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        template = json.loads(json.dumps(deployment["spec"]["template"]))
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        template["metadata"].setdefault("labels", {})["pod-template-hash"] = digest
        labels = {**deployment["spec"]["selector"]["matchLabels"], "pod-template-hash": digest}
        self.objects[f"/apis/apps/v1/namespaces/{namespace}/replicasets/{name}-{digest}"] = {
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name}-{digest}",
                "namespace": namespace,
                "annotations": {REVISION: str(self.revision)},
                "labels": labels,
                "ownerReferences": [{"uid": deployment["metadata"]["uid"]}],
            },
            "spec": {"template": template},
        }
        deployment["metadata"]["annotations"][REVISION] = str(self.revision)

    def patch(self, path: str, content_type: str, body) -> tuple[int, object]:
        deployment = self.objects.get(path)
        if deployment is None:
            return 404, {"message": "not found"}
        if content_type == "application/merge-patch+json":
            deployment["metadata"]["annotations"].update(body["metadata"]["annotations"])
            return 200, deployment
        for op in body:
            assert (op["op"], op["path"]) == ("replace", "/spec/template"), op
            deployment["spec"]["template"] = op["value"]
        deployment["metadata"]["generation"] += 1
        self.roll(deployment, path, rollback=True)
        return 200, deployment

    def observe(self, path: str, obj: dict) -> dict:
        """What a controller would have written into status by now (each GET is one more look)."""
        obj = json.loads(json.dumps(obj))
        self.looks[path] = self.looks.get(path, 0) + 1
        if obj.get("kind") == "Job":
            done = self.looks[path] > self.job_polls
            obj["status"] = {"conditions": [{"type": self.job_outcome, "status": "True"}]} if done else {"active": 1}
        if obj.get("kind") == "Deployment":
            obj["status"] = self.rollout_status(obj, path)
        return obj

    def rollout_status(self, deployment: dict, path: str) -> dict:
        replicas = deployment["spec"]["replicas"]
        generation = deployment["metadata"]["generation"]
        ok = deployment["metadata"]["annotations"].get("fake/outcome", "True") == "True"
        if self.looks[path] <= self.rollout_polls:
            return {"observedGeneration": generation, "replicas": replicas + 1, "updatedReplicas": 1}
        if ok:
            done = {"replicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas}
            return {"observedGeneration": generation, **done}
        return {
            "observedGeneration": generation,
            "replicas": replicas + 1,
            "updatedReplicas": 1,
            "availableReplicas": replicas,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
        }


# Collections the fake can list (by their last path segment), and items every list of a kind includes.
LISTED = {
    "services",
    "pods",
    "events",
    "replicasets",
    "serviceaccounts",
    "configmaps",
    "secrets",
    "deployments",
    "jobs",
    "cronjobs",
    "horizontalpodautoscalers",
    "poddisruptionbudgets",
    "networkpolicies",
    "roles",
    "rolebindings",
}
EXTRA = {
    "pods": [
        {
            "metadata": {"name": "web-1"},
            "status": {"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": 0}]},
        }
    ],
    "events": [
        {
            "lastTimestamp": "2026-11-26T10:00:00Z",
            "type": "Normal",
            "message": "Scaled up",
            "involvedObject": {"kind": "Deployment", "name": "web"},
        }
    ],
}
