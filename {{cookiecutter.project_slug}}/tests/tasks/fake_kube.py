"""A small fake of the Kubernetes API at the HTTP layer: just what deploy, rollback and status use.

It stores objects by path, answers server-side apply, JSON patches, deletes, lists and the service
proxy, and plays a deployment controller whose outcome the test chooses (``rollout_ok``,
``job_outcome``, ``readyz_status``). Every request is recorded for assertions.
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
        self.rollout_ok = True
        self.job_outcome = "Complete"
        self.readyz_status = 200
        self.refuse: dict[str, tuple[int, str]] = {}  # path -> (status, message) for any method
        self.revision = 0
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
                    status, body = fake.answer(request)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
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

    # -- the fake API ------------------------------------------------------------------------

    def answer(self, request: dict) -> tuple[int, object]:
        method, path = request["method"], request["path"]
        if path in self.refuse:
            status, message = self.refuse[path]
            return status, {"kind": "Status", "message": message}
        if "/proxy/" in path:
            return self.readyz_status, "ok" if self.readyz_status == 200 else "database unavailable"
        if path.endswith("/log"):
            return 200, "line one\nline two\n"
        if method == "PATCH" and request["content_type"] == "application/apply-patch+yaml":
            return 200, self.apply(path, request["body"])
        if method == "PATCH":
            return self.patch(path, request["content_type"], request["body"])
        if method == "DELETE":
            return (200, {"kind": "Status"}) if self.objects.pop(path, None) else (404, {"message": "not found"})
        if method == "GET" and path in self.objects:
            return 200, self.observe(self.objects[path])
        if method == "GET" and path == "/api/v1/services":  # across namespaces
            return 200, {"items": [o for o in self.objects.values() if o.get("kind") == "Service"]}
        if method == "GET" and path.endswith(("/replicasets", "/pods", "/events", "/services")):
            kind = path.rsplit("/", 1)[1]
            return 200, {
                "items": [o for p, o in self.objects.items() if p.startswith(path + "/")] + self.extra_items(kind)
            }
        return 404, {"message": f"{path} not found"}

    def extra_items(self, kind: str) -> list[dict]:
        if kind == "pods":
            return [
                {
                    "metadata": {"name": "web-1"},
                    "status": {"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": 0}]},
                }
            ]
        if kind == "events":
            return [
                {
                    "lastTimestamp": "2026-11-26T10:00:00Z",
                    "type": "Normal",
                    "message": "Scaled up",
                    "involvedObject": {"kind": "Deployment", "name": "web"},
                }
            ]
        return []

    def apply(self, path: str, obj: dict) -> dict:
        previous = self.objects.get(path)
        obj = json.loads(json.dumps(obj))
        meta = obj["metadata"]
        meta["uid"] = (previous or {}).get("metadata", {}).get("uid") or f"uid-{len(self.objects)}"
        if obj["kind"] == "Deployment":
            before = (previous or {}).get("metadata", {})
            meta["generation"] = before.get("generation", 0) + 1
            # annotations owned by other field managers survive a server-side apply
            meta["annotations"] = {**before.get("annotations", {}), **meta.get("annotations", {})}
            self.objects[path] = obj
            if obj["spec"]["template"] != (previous or {}).get("spec", {}).get("template"):
                self.roll(obj)
        self.objects[path] = obj
        return obj

    def roll(self, deployment: dict) -> None:
        """The deployment controller: reuse the ReplicaSet of an identical template, else make one;
        either way it becomes the newest revision."""
        self.revision += 1
        namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        template = json.loads(json.dumps(deployment["spec"]["template"]))
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        template["metadata"].setdefault("labels", {})["pod-template-hash"] = digest
        path = f"/apis/apps/v1/namespaces/{namespace}/replicasets/{name}-{digest}"
        self.objects[path] = {
            "metadata": {
                "name": f"{name}-{digest}",
                "annotations": {REVISION: str(self.revision)},
                "labels": {"pod-template-hash": digest},
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
        self.rollout_ok = True  # the template put back is known to work
        self.roll(deployment)
        return 200, deployment

    def observe(self, obj: dict) -> dict:
        """What a controller would have written into status by now."""
        obj = json.loads(json.dumps(obj))
        if obj.get("kind") == "Job":
            obj["status"] = {"conditions": [{"type": self.job_outcome, "status": "True"}]}
        if obj.get("kind") == "Deployment":
            replicas = obj["spec"].get("replicas", 1)
            generation = obj["metadata"]["generation"]
            if self.rollout_ok:
                obj["status"] = {
                    "observedGeneration": generation,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "availableReplicas": replicas,
                }
            else:
                obj["status"] = {
                    "observedGeneration": generation,
                    "replicas": replicas + 1,
                    "updatedReplicas": 1,
                    "availableReplicas": replicas,
                    "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
                }
        return obj
