"""Take a template update the way a team does: `cruft create` at an earlier template commit, commit the
project, `cruft update` to this template, and record what changed and whether anything conflicted.

Each combination is created and updated once per test process; the update tests and the `generated`
tests (which run the updated projects' own nox sessions) share the results.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bakery import NAMED_COMBOS, render, tool
from template_history import TemplateRepo, build_template_repo, git

# What `git apply -3` leaves in a file it could not merge.
CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)
# `git status --porcelain` letters (index or work tree, whichever is set).
STATUS = {"M": "modified", "A": "added", "?": "added", "D": "deleted", "R": "renamed", "U": "conflicted"}
# Files cruft and git own, and what the update itself rewrites: never compared with a fresh render.
NOT_RENDERED = {".cruft.json"}

_ROOT = Path(tempfile.mkdtemp(prefix="updates-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)


@dataclass
class Update:
    """One `cruft update` of a committed project, and what it left behind."""

    project: Path
    answers: dict[str, str]
    output: str = ""
    changed: dict[str, list[str]] = field(default_factory=dict)  # git status letter -> paths
    rejects: list[str] = field(default_factory=list)
    conflicted: list[str] = field(default_factory=list)
    differs_from_fresh_render: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{len(paths)} {kind}" for kind, paths in sorted(self.changed.items()))
        total = sum(len(paths) for paths in self.changed.values())
        return f"{total} files changed ({counts}); {len(self.rejects) + len(self.conflicted)} conflicts"


@cache
def template_repo() -> TemplateRepo:
    return build_template_repo(_ROOT / "template")


def cruft(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [tool("cruft"), *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"cruft {' '.join(args)} failed:\n{output}"
    return output


@cache
def created_earlier(combo: str) -> Path:
    """The combination created with `cruft create` at the earlier template commit, committed to git."""
    repo = template_repo()
    out = _ROOT / combo
    answers = json.dumps(NAMED_COMBOS[combo])
    cruft(
        "create",
        "--no-input",
        "--checkout",
        repo.earlier,
        "--output-dir",
        str(out),
        "--extra-context",
        answers,
        str(repo.path),
        cwd=_ROOT,
    )
    (project,) = out.iterdir()
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", "Project generated from the template", cwd=project)
    return project


def recorded_answers(project: Path) -> dict[str, str]:
    """The answers the project was made with, as cruft recorded them (derived keys included)."""
    context = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    return {key: value for key, value in context.items() if not key.startswith("_")}


def versions_leaving_the_menu(answers: dict[str, str]) -> dict[str, str]:
    """Choice answers the current template no longer offers, moved to its default, as a team must do in
    the update that drops them (docs/updates.md): e.g. a Kubernetes version whose standard support ends."""
    menu = json.loads((template_repo().path / "cookiecutter.json").read_text())
    return {
        question: offered[0]
        for question, offered in menu.items()
        if isinstance(offered, list) and question in answers and answers[question] not in offered
    }


@cache
def updated(combo: str) -> Update:
    """The combination updated to this template; compared with a fresh render before anything runs in it."""
    project = created_earlier(combo)
    moved = versions_leaving_the_menu(recorded_answers(project))
    extra = ("--variables-to-update", json.dumps(moved)) if moved else ()
    update = apply_update(project, *extra)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--message", "Template update", cwd=project)
    return update


@cache
def answers_changed(combo: str, question: str, answer: str) -> Update:
    """The updated combination with one answer changed (`cruft update --variables-to-update`), in a clone
    of its repository: the `generated` tests may be running nox in the updated project meanwhile."""
    project = _ROOT / f"{combo}-{question}-{answer}" / updated(combo).project.name
    git("clone", "--quiet", str(updated(combo).project), str(project), cwd=_ROOT)
    variables = json.dumps({question: answer})
    return apply_update(project, "--variables-to-update", variables)


def apply_update(project: Path, *extra: str) -> Update:
    repo = template_repo()
    output = cruft("update", "--skip-apply-ask", "--checkout", repo.current, *extra, cwd=project)
    # The updated project must equal a fresh render of the answers it now records: a default that
    # changed since the project was made does not change a recorded answer.
    update = Update(project, recorded_answers(project), output)
    for line in git("status", "--porcelain", "--untracked-files=all", cwd=project).splitlines():
        kind = STATUS[line[:2].strip()[0]]
        update.changed.setdefault(kind, []).append(line[3:])
    update.rejects = sorted(str(path.relative_to(project)) for path in project.rglob("*.rej"))
    update.conflicted = git("diff", "--name-only", "--diff-filter=U", cwd=project).split()
    update.conflicted += [
        name
        for name in sorted(set(update.changed.get("modified", []) + update.changed.get("added", [])))
        if (project / name).is_file() and CONFLICT_MARKER.search((project / name).read_text(errors="replace"))
    ]
    update.differs_from_fresh_render = differences(project, render(**update.answers))
    return update


def differences(project: Path, fresh: Path) -> list[str]:
    """Paths whose presence or content differ between the updated project and a fresh render."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(root).parts
        }

    mine, theirs = files(project), files(fresh)
    names = (set(mine) | set(theirs)) - NOT_RENDERED
    return sorted(name for name in names if mine.get(name) != theirs.get(name))
