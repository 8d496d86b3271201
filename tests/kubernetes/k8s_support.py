"""Render every overlay of every bake once per session, the staging and production ones the way `invoke deploy` does,
and the cluster overlays (k8s/cluster, what `invoke cluster.setup` applies) as committed.

An overlay only depends on a few answers, so bakes whose overlay reads the same files share one
render. Each overlay renders as committed; staging and production are then rendered as deployed,
after the two edits `invoke deploy` makes — the image pinned by digest (what `kustomize edit set
image app=<url>@<digest>` writes) and the Terraform outputs written into `config.env`. The e2e
overlay is used as committed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bakery import OPTIONS, every_combo, render, tool

# Overlays deployed to AWS by `invoke deploy`, and the kind cluster of the end-to-end workflow; then
# the cluster overlays `invoke cluster.setup` applies (named cluster-<env>).
DEPLOYED = ("staging", "production")
OVERLAYS = (*DEPLOYED, "e2e")
CLUSTER_OVERLAYS = tuple(f"cluster-{env}" for env in OVERLAYS)


def overlay_folder(env: str) -> str:
    """Where an overlay lives under k8s/."""
    if env.startswith("cluster-"):
        return f"cluster/overlays/{env.removeprefix('cluster-')}"
    return f"overlays/{env}"


# Stands for the digest the deploy workflow's build job outputs.
DIGEST = "sha256:" + "5e" * 32
TERRAFORM_OUTPUTS = {
    "DATABASE_HOST": "db.internal.example",
    "DATABASE_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0-AbCdEf",
    "DATABASE_USER": "app_from_terraform",
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


COMBOS = every_combo()


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


@dataclass
class Render:
    """One distinct rendered overlay: the file the slow oracles read, and its parsed objects."""

    env: str
    path: Path
    docs: list[dict]


@dataclass
class Overlay:
    """One overlay of one bake, rendered as deployed (e2e: as committed); bakes may share a Render."""

    project: Path
    answers: dict[str, str]
    env: str
    render: Render

    @property
    def docs(self) -> list[dict]:
        return self.render.docs

    @property
    def path(self) -> Path:
        return self.render.path

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


def readable(name: str) -> str:
    """A combo id as a folder name (checkov and the validator report files by path)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name)


KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def overlay_digest(k8s: Path, env: str) -> str:
    """A hash of every file the overlay can read: its folder and the folders it names as resources,
    components or bases, followed transitively. Bakes whose overlays have the same inputs render the
    same manifests, so each distinct overlay is rendered once (unreferenced folders, e.g. the other
    overlays, do not count)."""
    folders, queue = set(), [k8s / overlay_folder(env)]
    while queue:
        folder = queue.pop().resolve()
        if folder in folders:
            continue
        folders.add(folder)
        for name in KUSTOMIZATION_FILES:
            if (folder / name).is_file():
                spec = yaml.load((folder / name).read_text(), Loader=SAFE_LOADER) or {}
                for key in ("resources", "components", "bases"):
                    queue += [folder / entry for entry in spec.get(key) or [] if (folder / entry).is_dir()]
    sha = hashlib.sha256()
    root = k8s.resolve()
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
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
    # Like tasks/_manifests.fill_env_file: set the keys the file has, append the ones it lacks.
    filled = [
        f"{key}={TERRAFORM_OUTPUTS[key]}" if (key := line.split("=", 1)[0]) in TERRAFORM_OUTPUTS else line
        for line in lines
    ]
    filled += [f"{key}={value}" for key, value in TERRAFORM_OUTPUTS.items() if key not in keys]
    config.write_text("\n".join(filled) + "\n")
    return overlay


def kustomize(directory: Path) -> str:
    result = run([tool("kubectl"), "kustomize", str(directory)])
    if result.returncode:
        pytest.fail(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def bakes() -> dict[str, tuple[dict[str, str], Path]]:
    """combo id -> (answers, generated project)."""
    started = time.monotonic()
    result = {}
    for name, answers in COMBOS.items():
        project = render(**answers)
        if not (project / "k8s").is_dir():
            pytest.fail(f"bake {name}: the generated project has no k8s/ directory")
        result[name] = (answers, project)
    report(f"timing: rendered {len(result)} bakes, {time.monotonic() - started:.1f}s")
    return result


@pytest.fixture(scope="session")
def renders(bakes, tmp_path_factory) -> dict[tuple[str, str], Overlay]:
    """(combo id, overlay) -> the overlay rendered as deployed; committed overlays must render too.

    Each distinct overlay (by its inputs) is rendered once, on a small thread pool; each distinct
    manifest is written once, to `<first combo>/<overlay>.yaml` under one folder the slow oracles scan.
    """
    started = time.monotonic()
    scan = tmp_path_factory.mktemp("rendered")
    work = tmp_path_factory.mktemp("overlays")
    first: dict[str, tuple[str, str, Path]] = {}  # overlay digest -> (combo, env, project)
    digest_of = {}
    for name, (_, project) in bakes.items():
        for env in (*OVERLAYS, *CLUSTER_OVERLAYS):
            digest = overlay_digest(project / "k8s", env)
            first.setdefault(digest, (name, env, project))
            digest_of[(name, env)] = digest

    def one(job: tuple[str, str, Path]) -> str:
        name, env, project = job
        committed = kustomize(project / "k8s" / overlay_folder(env))
        if env not in DEPLOYED:
            return committed
        workdir = work / readable(name) / env
        shutil.copytree(project / "k8s", workdir / "k8s")
        return kustomize(prepare_deploy(workdir / "k8s", env))

    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = dict(zip(first, pool.map(one, first.values()), strict=True))
    calls = sum(2 if env in DEPLOYED else 1 for _, env, _ in first.values())
    kustomized = time.monotonic()
    by_text: dict[str, Render] = {}
    by_digest = {}
    for digest, (name, env, _) in first.items():
        if texts[digest] not in by_text:
            path = scan / readable(name) / f"{env}.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(texts[digest])
            docs = [doc for doc in yaml.load_all(texts[digest], Loader=SAFE_LOADER) if doc]
            by_text[texts[digest]] = Render(env, path, docs)
        by_digest[digest] = by_text[texts[digest]]
    result = {
        (name, env): Overlay(bakes[name][1], bakes[name][0], env, by_digest[digest])
        for (name, env), digest in digest_of.items()
    }
    report(
        f"timing: kubectl kustomize of {len(first)} distinct overlays of {len(result)} "
        f"({calls} calls: committed, and staging/production as deployed) on 2 threads, "
        f"{kustomized - started:.1f}s; {len(by_text)} distinct manifests parsed, {time.monotonic() - kustomized:.1f}s"
    )
    return result


def distinct_renders(renders: dict[tuple[str, str], Overlay]) -> list[Render]:
    """Each distinct rendered manifest once."""
    return list({id(overlay.render): overlay.render for overlay in renders.values()}.values())


def by_version(renders: dict[tuple[str, str], Overlay]) -> dict[str, list[Render]]:
    """Kubernetes version -> the distinct manifests of the bakes that deploy to it."""
    groups: dict[str, dict[int, Render]] = {}
    for overlay in renders.values():
        groups.setdefault(overlay.kubernetes_version, {})[id(overlay.render)] = overlay.render
    return {version: list(group.values()) for version, group in groups.items()}


@dataclass
class OracleRun:
    argv: list[str]
    result: subprocess.CompletedProcess[str]
    seconds: float


@pytest.fixture(scope="session")
def oracle_runs(request, renders) -> dict[str, OracleRun]:
    """The slow oracles, run side by side on two threads: checkov once over the folder of every
    render, kubernetes-validate once per Kubernetes version. Only those the selected tests use run."""
    wanted = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    files = [render.path for render in distinct_renders(renders)]
    checkov = os.environ.get("CHECKOV_BIN")
    if "checkov_results" in wanted and checkov:
        # --compact leaves the code blocks out of the JSON: printing them cost checkov more than its checks.
        # Without PYTHONDONTWRITEBYTECODE, checkov's venv keeps its compiled modules after the first run.
        scan = files[0].parent.parent
        assert all(path.parent.parent == scan for path in files), "every render must live under one scanned folder"
        argv = [checkov, "--skip-download", "--framework", "kubernetes", "--output", "json", "--compact", "-d"]
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        commands["checkov"] = ([*argv, str(scan)], env)
    if "validation" in wanted:
        for version, group in by_version(renders).items():
            argv = [tool("kubernetes-validate"), "--strict", "--quiet", "-k", f"{version}.0"]
            commands[f"kubernetes-validate {version}"] = ([*argv, *(str(render.path) for render in group)], None)

    def timed(command: tuple[list[str], dict[str, str] | None]) -> OracleRun:
        started = time.monotonic()
        result = run(command[0], env=command[1])
        return OracleRun(command[0], result, time.monotonic() - started)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(commands, pool.map(timed, commands.values()), strict=True))
    report(
        f"timing: {len(runs)} oracle runs side by side on 2 threads, {time.monotonic() - started:.1f}s: "
        + ", ".join(f"{name} {oracle.seconds:.1f}s" for name, oracle in runs.items())
    )
    return runs


@pytest.fixture(params=list(COMBOS), ids=list(COMBOS))
def combo(request) -> str:
    return request.param


@pytest.fixture(params=OVERLAYS)
def rendered(request, combo, renders) -> Overlay:
    """An app overlay of bake `combo`, rendered as deployed."""
    return renders[(combo, request.param)]


@pytest.fixture(params=CLUSTER_OVERLAYS)
def cluster_rendered(request, combo, renders) -> Overlay:
    """A cluster overlay of bake `combo` (what `invoke cluster.setup` applies)."""
    return renders[(combo, request.param)]


@pytest.fixture(params=(*OVERLAYS, *CLUSTER_OVERLAYS))
def any_rendered(request, combo, renders) -> Overlay:
    """Any overlay of bake `combo`, for the oracles that check every manifest."""
    return renders[(combo, request.param)]
