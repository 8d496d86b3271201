"""Render every overlay of every bake once per session, the staging and production ones the way `invoke deploy` does.

Bakes whose `k8s/` trees are byte-identical are rendered once (the tree only depends on a few
answers). Each overlay renders as committed; staging and production are then rendered as deployed,
after the two edits `invoke deploy` makes — the image pinned by digest (what `kustomize edit set
image app=<url>@<digest>` writes) and the Terraform outputs written into `config.env`. The e2e
overlay is used as committed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from bakery import NAMED_COMBOS, OPTIONS, all_pairs, combo_id, render

# Overlays deployed to AWS by `invoke deploy`, and the kind cluster of the end-to-end workflow.
DEPLOYED = ("staging", "production")
OVERLAYS = (*DEPLOYED, "e2e")
# Stands for the digest the deploy workflow's build job outputs.
DIGEST = "sha256:" + "5e" * 32
TERRAFORM_OUTPUTS = {
    "DATABASE_HOST": "db.internal.example",
    "DATABASE_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0-AbCdEf",
}


# Lines worth reading after a quiet run: per-stage timing and the oracles' counts.
REPORT: list[str] = []


def report(line: str) -> None:
    REPORT.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    if REPORT:
        terminalreporter.section("kubernetes: timing and oracle counts")
        for line in REPORT:
            terminalreporter.write_line(line)


def _combos() -> dict[str, dict[str, str]]:
    combos = {name: answers for name, answers in NAMED_COMBOS.items()}
    for answers in all_pairs():
        combos.setdefault(combo_id(answers), answers)
    return combos


COMBOS = _combos()


def venv_tool(name: str) -> str:
    """A tool installed by requirements/kubernetes.txt, by path (never a same-named one on PATH)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable}: install requirements/kubernetes.txt")
    return str(path)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


@dataclass
class Render:
    """One overlay of one distinct bake, rendered as deployed (e2e: as committed)."""

    project: Path
    answers: dict[str, str]
    env: str
    path: Path
    docs: list[dict] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict:
        found = [doc for doc in self.of_kind(kind) if name is None or doc["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.env}: expected one {kind} {name or ''}, rendered {len(found)}"
        return found[0]

    @property
    def slug(self) -> str:
        return self.project.name

    @property
    def kubernetes_version(self) -> str:
        return self.answers.get("kubernetes_version", OPTIONS["kubernetes_version"][0])


def tree_digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def prepare_deploy(k8s: Path, env: str) -> Path:
    """Make the edits `invoke deploy` makes to the overlay; returns the overlay directory."""
    overlay = k8s / "overlays" / env
    kustomization_file = overlay / "kustomization.yaml"
    kustomization = yaml.safe_load(kustomization_file.read_text())
    images = [image for image in kustomization.get("images", []) if image["name"] == "app"]
    assert len(images) == 1, f"overlays/{env}: expected one `images` entry named app, found {len(images)}"
    images[0]["digest"] = DIGEST
    kustomization_file.write_text(yaml.safe_dump(kustomization, sort_keys=False))
    config = overlay / "config.env"
    lines = config.read_text().splitlines()
    keys = [line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")]
    missing = set(TERRAFORM_OUTPUTS) - set(keys)
    assert not missing, f"overlays/{env}/config.env lacks {sorted(missing)}, which invoke deploy fills"
    filled = [
        f"{key}={TERRAFORM_OUTPUTS[key]}" if (key := line.split("=", 1)[0]) in TERRAFORM_OUTPUTS else line
        for line in lines
    ]
    config.write_text("\n".join(filled) + "\n")
    return overlay


def kustomize(directory: Path) -> str:
    result = run([venv_tool("kubectl"), "kustomize", str(directory)])
    if result.returncode:
        pytest.fail(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def distinct_bakes() -> dict[str, tuple[str, dict[str, str], Path]]:
    """combo id -> (id of the first bake with the same k8s/ tree, answers, project)."""
    started = time.monotonic()
    first_by_digest: dict[str, str] = {}
    bakes = {}
    for name, answers in COMBOS.items():
        project = render(**answers)
        k8s = project / "k8s"
        if not k8s.is_dir():
            pytest.fail(f"bake {name}: the generated project has no k8s/ directory")
        first = first_by_digest.setdefault(tree_digest(k8s), name)
        bakes[name] = (first, answers, project)
    report(
        f"timing: rendered {len(bakes)} bakes, {len(first_by_digest)} distinct k8s trees, "
        f"{time.monotonic() - started:.1f}s"
    )
    return bakes


@pytest.fixture(scope="session")
def renders(distinct_bakes, tmp_path_factory) -> dict[tuple[str, str], Render]:
    """(first combo id, overlay) -> the overlay rendered as deployed; committed overlays must render too."""
    started = time.monotonic()
    out = tmp_path_factory.mktemp("rendered")
    jobs = []
    for index, (name, answers, project) in enumerate(
        {first: (first, answers, project) for first, answers, project in distinct_bakes.values()}.values()
    ):
        for env in OVERLAYS:
            workdir = out / f"work-{index}-{env}"
            shutil.copytree(project / "k8s", workdir / "k8s")
            jobs.append((name, answers, project, env, out / f"{index}-{env}.yaml", workdir))

    def one(job):
        name, answers, project, env, target, workdir = job
        committed = kustomize(project / "k8s" / "overlays" / env)
        target.write_text(kustomize(prepare_deploy(workdir / "k8s", env)) if env in DEPLOYED else committed)
        docs = [doc for doc in yaml.safe_load_all(target.read_text()) if doc]
        return (name, env), Render(project, answers, env, target, docs)

    with ThreadPoolExecutor(max_workers=2) as pool:
        result = dict(pool.map(one, jobs))
    # Identical renders (e.g. staging of bakes that differ only in e2e's database version) share one
    # file, so the slow oracles read each distinct manifest once.
    first_path: dict[bytes, Path] = {}
    for overlay in result.values():
        overlay.path = first_path.setdefault(overlay.path.read_bytes(), overlay.path)
    report(
        f"timing: kubectl kustomize of {len(jobs)} overlays (committed and deployed), "
        f"{len(first_path)} distinct renders, {time.monotonic() - started:.1f}s"
    )
    return result


def distinct_renders(renders: dict[tuple[str, str], Render]) -> list[Render]:
    """One Render per distinct rendered file."""
    return list({overlay.path: overlay for overlay in renders.values()}.values())


@pytest.fixture(params=list(COMBOS), ids=list(COMBOS))
def combo(request) -> str:
    return request.param


@pytest.fixture(params=OVERLAYS)
def rendered(request, combo, distinct_bakes, renders) -> Render:
    """An overlay of bake `combo`, rendered as deployed."""
    first = distinct_bakes[combo][0]
    return renders[(first, request.param)]
