"""A throw-away git repository holding two versions of the template: an earlier one and this one.

cruft updates a project from one template commit to another, so the update tests need both in one
repository. The earlier version is read from the recorded commit when this clone has it; CI may run
on a shallow clone, which does not, so a snapshot of the same files (`git archive` of that commit,
committed beside this module) stands in. A test checks the two agree wherever both exist.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bakery import TEMPLATE_DIR

# main before the update metadata, the lock and the docs site existed (2026-11, issue 15).
BASELINE_COMMIT = "40534916a936f4dba8be068fcc00e60e975ea034"
SNAPSHOT = Path(__file__).with_name(f"baseline-{BASELINE_COMMIT[:7]}.tar.gz")
# What cookiecutter reads from a template; the rest of this repository (tests, bench) is not rendered.
RENDERED_PATHS = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    earlier: str  # commit holding the earlier template
    current: str  # commit holding this work tree's template files
    earlier_source: str  # "recorded commit <sha>" or "committed snapshot <file>"


def git(*args: str, cwd: Path, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=os.environ | GIT_IDENTITY, check=False
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}: {result.stderr.decode()}"
    return result.stdout.decode()


def has_baseline_commit() -> bool:
    probe = subprocess.run(
        ["git", "cat-file", "-e", f"{BASELINE_COMMIT}^{{commit}}"], cwd=TEMPLATE_DIR, capture_output=True, check=False
    )
    return probe.returncode == 0


def archive_of_baseline_commit() -> bytes:
    """The rendered paths at the recorded commit, as an uncompressed tar (from this clone's history)."""
    result = subprocess.run(
        ["git", "archive", "--format=tar", BASELINE_COMMIT, *RENDERED_PATHS],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        check=True,
    )
    return result.stdout


def baseline_archive() -> tuple[bytes, str]:
    """The earlier template as a tar, and where it came from."""
    if has_baseline_commit():
        return archive_of_baseline_commit(), f"recorded commit {BASELINE_COMMIT[:12]}"
    return gzip.decompress(SNAPSHOT.read_bytes()), f"committed snapshot {SNAPSHOT.name} (this clone lacks the commit)"


def tracked_template_files() -> list[str]:
    listed = git("ls-files", "-z", "--", *RENDERED_PATHS, cwd=TEMPLATE_DIR)
    return [name for name in listed.split("\0") if name and (TEMPLATE_DIR / name).is_file()]


def build_template_repo(root: Path) -> TemplateRepo:
    """Commit the earlier template, then this work tree's tracked template files on top of it."""
    root.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=root)
    archive, source = baseline_archive()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--message", f"earlier template ({source})", cwd=root)
    earlier = git("rev-parse", "HEAD", cwd=root).strip()
    for name in RENDERED_PATHS:
        target = root / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for name in tracked_template_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE_DIR / name, root / name)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--allow-empty", "--message", "this template", cwd=root)
    return TemplateRepo(root, earlier, git("rev-parse", "HEAD", cwd=root).strip(), source)
