"""Render every bake once and gather the distinct `.github/` trees into one folder the linters scan together.

The `.github/` tree depends on a few answers only, so byte-identical trees are linted once, and each
linter runs once over all of them (each start-up costs seconds; a run over five trees costs little more).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path

import pytest
import yaml
from bakery import every_combo, render

# Lines worth reading after a quiet run: per-stage timing and the oracles' counts.
REPORT: list[str] = []


def report(line: str) -> None:
    REPORT.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    if REPORT:
        terminalreporter.section("workflows: timing and oracle counts")
        for line in REPORT:
            terminalreporter.write_line(line)


# Besides the matrix, one bake with Graviton nodes: its deploy.yml builds arm64 under QEMU, a step the
# other bakes do not have, so the linters must see it too.
COMBOS = every_combo() | {"graviton": {"node_instance_type": "m7g.large"}}


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


def tree_digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


@cache
def load_yaml(path: Path) -> dict:
    """A workflow as data (parsed once); PyYAML reads the bare key `on` as True, so it is put back."""
    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if True in data:
        data["on"] = data.pop(True)
    return data


class Bake:
    """One distinct `.github/` tree (copied under the scan folder) and the answers that made it."""

    def __init__(self, name: str, answers: dict[str, str], root: Path, project: Path) -> None:
        self.name = name
        self.answers = answers
        self.project = project
        self.slug = project.name
        self.root = root
        self.github = root / ".github"

    def workflow(self, name: str) -> dict:
        path = self.github / "workflows" / name
        assert path.exists(), f".github/workflows/{name} is missing"
        return load_yaml(path)

    def workflows(self) -> dict[str, dict]:
        return {path.name: load_yaml(path) for path in sorted((self.github / "workflows").glob("*.yml"))}

    def yaml_files(self) -> list[Path]:
        return sorted(self.github.rglob("*.yml"))


@pytest.fixture(scope="session")
def bakes(tmp_path_factory) -> dict[str, Bake]:
    """combo id -> its distinct `.github/` tree (combos with identical trees share one Bake)."""
    started = time.monotonic()
    scan = tmp_path_factory.mktemp("github-trees")
    by_digest: dict[str, Bake] = {}
    result = {}
    for name, answers in COMBOS.items():
        project = render(**answers)
        github = project / ".github"
        if not github.is_dir():
            pytest.fail(f"bake {name}: the generated project has no .github/ directory")
        digest = tree_digest(github)
        if digest not in by_digest:
            # Named after the first combo with this tree, so the linters' file paths say which bake it is.
            root = scan / re.sub(r"[^A-Za-z0-9.-]+", "_", name)
            shutil.copytree(github, root / ".github")
            by_digest[digest] = Bake(name, answers, root, project)
        result[name] = by_digest[digest]
    report(
        f"timing: rendered {len(result)} bakes, {len(by_digest)} distinct .github trees, "
        f"{time.monotonic() - started:.1f}s"
    )
    return result


@pytest.fixture(scope="session")
def distinct(bakes) -> list[Bake]:
    return list({id(bake): bake for bake in bakes.values()}.values())


@pytest.fixture(params=list(COMBOS), ids=list(COMBOS))
def bake(request, bakes) -> Bake:
    return bakes[request.param]
