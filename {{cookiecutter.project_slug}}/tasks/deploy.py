"""deploy and rollback: migrate, roll out, smoke test, prune — every step watched, failures undone."""

from __future__ import annotations

import time

from invoke import Exit, task

from ._images import git_sha, pushed_digest, verify_signature
from ._kube import KubeError, collection_path, describe, object_path
from ._manifests import apply_order, find, key, migration_objects, parse_image, prune_candidates, referenced, render
from ._rollout import job_state, mark_verified, replicasets, rollout_state, undo, watch
from ._text import whole_number
from .environment import KUBECONFIG_HELP, Environment, project, resolve

# Kinds deploy applies into the namespace and prunes when the overlay drops them, with the API
# version to list them by.
PRUNED = {
    "ServiceAccount": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
}


# -- steps -----------------------------------------------------------------------------------------


def images(env: Environment, image: str | None) -> list[dict] | None:
    """The app image pinned by digest, its signature verified.

    A cluster-only environment (kind) has no registry or signing identity of its own: it runs
    ``--image NAME@sha256:…`` unverified, or without it the image its overlay names.
    """
    if not env.provisioned:
        if not image:
            return None
        if "@" not in image:
            raise Exit(f"--image for {env.name} must name its repository: pass <repository>@sha256:<64 hex>.")
        name, digest = parse_image("", image)
        print(f"Not verifying {image}: {env.name} has no Terraform, so no registry or signer to check it against.")
        return [{"name": "app", "newName": name, "digest": digest}]
    repository = env.project.repository_url
    if image:
        name, digest = parse_image(repository, image)
    else:
        name, digest = repository, pushed_digest(env.session, repository, git_sha(env.fx))
    verify_signature(env.fx, env.project, env.session, name, digest)
    return [{"name": "app", "newName": name, "digest": digest}]


def settings(env: Environment) -> dict[str, str] | None:
    """The overlay's config.env values that come from Terraform (none without Terraform): where the
    database is, the master secret the migration Job logs in with, and the app's own role, which the
    web pods log in as with IAM tokens (the name its rds-db:connect permission is for)."""
    if not env.provisioned:
        return None
    return {
        "DATABASE_HOST": env.output("database_host"),
        "DATABASE_SECRET_ID": env.output("database_secret_arn"),
        "DATABASE_USER": env.output("database_app_username"),
    }


def render_overlay(env: Environment, pinned: list[dict] | None) -> list[dict]:
    return render(env.fx, env.project.root / "k8s", f"overlays/{env.name}", pinned, settings(env))


def wait_gone(env: Environment, path: str, what: str) -> None:
    def poll() -> tuple[str, str]:
        return ("progressing", "still there") if env.kube.get(path) is not None else ("done", "gone")

    t = env.project.timing
    state, line = env.fx.wait(
        f"{what} to be gone", lambda: watch(what, poll, t.delete, t.poll, t.progress_every), ("done", "")
    )
    if state != "done":
        raise Exit(f"{what} is still there: {line}.")


def watch_rollout(env: Environment, deployment: dict, what: str) -> tuple[str, str]:
    path, t = object_path(deployment), env.project.timing
    return env.fx.wait(
        what,
        lambda: watch("rollout", lambda: rollout_state(env.kube.get(path) or {}), t.rollout, t.poll, t.progress_every),
        ("done", ""),
    )


def print_job_logs(env: Environment, namespace: str, job_name: str) -> None:
    for pod in env.kube.items(f"/api/v1/namespaces/{namespace}/pods", labelSelector=f"job-name={job_name}"):
        name = pod["metadata"]["name"]
        try:
            text = env.kube.request(
                "GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log", query=[("tailLines", 50)], raw=True
            )
            print(f"--- logs of {name} ---\n{text}")
        except KubeError as error:
            print(f"(no logs from {name}: HTTP {error.status}: {error.detail})")


def migrate(env: Environment, docs: list[dict]) -> None:
    """Replace the migration Job (its template is immutable), apply only what it needs, wait for it."""
    job = find(docs, "Job", f"{env.project.slug}-migrate")
    path = object_path(job)
    if env.kube.get(path) is not None:
        env.kube.delete(path, describe(job))
        wait_gone(env, path, describe(job))
    for obj in migration_objects(docs, job):
        env.kube.apply(obj)
        if obj["kind"] == "Deployment":  # an in-cluster database must be up before the Job connects
            state, line = watch_rollout(env, obj, f"rollout of {describe(obj)}")
            if state != "done":
                raise Exit(f"{describe(obj)} did not become ready ({line}); the running version was left untouched.")
    t = env.project.timing
    state, line = env.fx.wait(
        f"{describe(job)} to finish",
        lambda: watch("migration", lambda: job_state(env.kube.get(path) or {}), t.job, t.poll, t.progress_every),
        ("succeeded", ""),
    )
    if state != "succeeded":
        print_job_logs(env, job["metadata"]["namespace"], job["metadata"]["name"])
        raise Exit(f"Migration job {job['metadata']['name']} {state}: {line}; the running version was left untouched.")


def live_objects(env: Environment, namespace: str) -> list[dict]:
    found = []
    for kind, version in PRUNED.items():
        for obj in env.kube.items(collection_path(version, kind, namespace)):
            found.append({**obj, "kind": kind, "apiVersion": version})
    return found


def configmaps_in_use(env: Environment, deployment: dict) -> set[str]:
    """ConfigMaps the Deployment's ReplicaSets read (a rollback to any of them needs its configuration)."""
    live = env.kube.get(object_path(deployment))
    if live is None:
        return set()
    return {
        name for rs in replicasets(env.kube, live) for name in referenced(rs["spec"]["template"]["spec"], "ConfigMap")
    }


def smoke_test(env: Environment, service: dict) -> str | None:
    """GET /readyz through the API server's service proxy until it answers 200 or the window closes."""
    meta, port = service["metadata"], service["spec"]["ports"][0]
    target = f"{meta['name']}:{port.get('name') or port['port']}"
    path = f"/api/v1/namespaces/{meta['namespace']}/services/{target}/proxy/readyz"
    t = env.project.timing
    deadline, tries = time.monotonic() + t.smoke_window, 0
    while True:
        tries += 1
        try:
            env.kube.request("GET", path, raw=True, retry=False)
            print(f"  smoke test: /readyz answered 200 (try {tries})", flush=True)
            return None
        except KubeError as error:
            failure = f"HTTP {error.status}: {error.detail}"
        if time.monotonic() >= deadline:
            return f"the smoke test GET /readyz kept failing for {t.smoke_window:g}s ({tries} tries; last {failure})"
        print(f"  smoke test: /readyz answered {failure}; trying again", flush=True)
        time.sleep(t.poll)


def roll_back(env: Environment, revision: int | None = None) -> tuple[str, int | None, str]:
    """Undo to ``revision`` (default: the last verified) and watch it: (action, revision, failure or '')."""
    namespace = name = env.project.slug
    action, restored = undo(env.kube, namespace, name, revision)
    if action != "restore":
        return action, restored, ""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace}}
    state, line = watch_rollout(
        env, deployment, f"rollout of Deployment {namespace}/{name} back to revision {restored}"
    )
    return action, restored, "" if state == "done" else f"{state}: {line}"


def rollback_outcome(action: str, revision: int | None, failure: str, env_name: str) -> str:
    """The clause a failed deploy ends with, saying what its automatic rollback did."""
    if action == "restore" and failure:
        return (
            f"the rollback to revision {revision} also failed ({failure}): the environment needs attention, "
            f"see `invoke status --env {env_name}`"
        )
    return {
        "restore": f"rolled back to revision {revision}, the last one that passed its smoke test, which is healthy",
        "running": f"revision {revision}, the last one that passed its smoke test, is still the one running",
        "none": "no revision has passed a smoke test yet, so there was nothing to roll back to",
        "missing": "the Deployment does not exist, so there was nothing to roll back to",
    }[action]


# -- tasks -----------------------------------------------------------------------------------------


@task(
    help={
        "env": "Environment to deploy to (terraform/environments/*, or a k8s overlay with --kubeconfig).",
        "image": "Image digest (sha256:…) or <repository>@sha256:…; default: the image pushed for this git commit.",
        "kubeconfig": KUBECONFIG_HELP,
    }
)
def deploy(c, env=None, image=None, kubeconfig=None):
    """Verify the image, migrate, roll out, smoke test, prune; roll back (and watch it) on failure."""
    if image:
        parse_image(project(c).repository_url, image)  # a bad --image is refused before anything is read
    env = resolve(c, env, kubeconfig)
    docs = render_overlay(env, images(env, image))
    migrate(env, docs)
    slug = env.project.slug
    deployment, job = find(docs, "Deployment", slug), find(docs, "Job", f"{slug}-migrate")
    doomed = prune_candidates(live_objects(env, slug), docs, configmaps_in_use(env, deployment))
    done = {key(obj) for obj in migration_objects(docs, job)}
    for obj in apply_order([d for d in docs if key(d) not in done]):
        env.kube.apply(obj)
    state, line = watch_rollout(env, deployment, f"rollout of {describe(deployment)}")
    failure = f"the rollout {state}: {line}" if state != "done" else None
    if failure is None:
        failure = env.fx.wait("the smoke test GET /readyz", lambda: smoke_test(env, find(docs, "Service", slug)), None)
    if failure:
        outcome = rollback_outcome(*roll_back(env), env.name)
        raise Exit(f"Deploy to {env.name} failed: {failure}; {outcome}.")
    mark_verified(env.kube, slug, slug)
    for obj in doomed:
        env.kube.delete(object_path(obj), f"{describe(obj)} (no longer rendered)")
    running = ", ".join(container["image"] for container in deployment["spec"]["template"]["spec"]["containers"])
    print(f"Deployed to {env.name}: {running}.")


@task(
    help={
        "env": "Environment whose deployment to roll back.",
        "revision": "Revision to return to (see `invoke status`); default: the last one that passed its smoke test.",
        "kubeconfig": KUBECONFIG_HELP,
    }
)
def rollback(c, env=None, revision=None, kubeconfig=None):
    """Return to the last revision that passed deploy's smoke test and watch it; nothing to do if it runs."""
    number = whole_number(revision, "--revision", "a revision number (see `invoke status`)", minimum=1)
    env = resolve(c, env, kubeconfig)
    name = env.project.slug
    action, restored, failure = roll_back(env, number)
    if action == "missing":
        raise Exit(f"Deployment {name} does not exist in {env.name} yet: run `invoke deploy --env {env.name}`.")
    if action == "none":
        reason = f"it has no revision {number}" if number else rollback_outcome("none", None, "", env.name)
        raise Exit(f"Cannot roll back {name} in {env.name}: {reason}.")
    if action == "running":
        print(f"Nothing to do: {name} in {env.name} already runs revision {restored}.")
        return
    if failure:
        raise Exit(f"The rollback to revision {restored} failed ({failure}); see `invoke status --env {env.name}`.")
    print(f"Rolled {name} in {env.name} back to revision {restored}; it is healthy.")
