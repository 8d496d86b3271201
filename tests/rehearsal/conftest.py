"""The rehearsal walks the generated guides on two bakes: the defaults (one account, private API) and
two accounts (public API limited to CIDRs, cluster administrators answered)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bakery import NAMED_COMBOS, render  # noqa: E402  (tests/ is put on sys.path above)
from guide import setup_steps  # noqa: E402
from walk import Walk, WalkFailed  # noqa: E402

REHEARSED = ["default", "two-accounts"]


def fresh(where: Path, **answers: str) -> Path:
    """A copy of the bake for ``answers`` that one walk may change (the walk leaves state in it)."""
    project = where / "project"
    shutil.copytree(render(**answers), project, symlinks=True)
    return project


def walked(project: Path, scratch: Path, steps=None, trusting_github=("staging",)) -> Walk:
    """A walk of SETUP.md's steps on ``project``; ``walk.failure`` says where it stopped, if it did."""
    walk = Walk(project, scratch, trusting_github)
    walk.failure = None
    try:
        walk.walk(steps if steps is not None else setup_steps(project))
    except WalkFailed as failed:
        walk.failure = str(failed)
    return walk


def walked_day1(bake: str, scratch: Path) -> Walk:
    return walked(fresh(scratch, **NAMED_COMBOS[bake]), scratch / "walk")


@pytest.fixture(scope="session")
def day1_walks(request, tmp_path_factory):
    """Day 1 walked once per bake the selected tests need, the bakes side by side: a walk mostly waits
    on the processes it starts (invoke, moto, the stand-ins), and the two share nothing but this process."""
    needed = {item.callspec.params["day1"] for item in request.session.items if "day1" in item.fixturenames}
    scratches = {bake: tmp_path_factory.mktemp(f"walk-{bake}") for bake in REHEARSED if bake in needed}
    for bake in scratches:
        render(**NAMED_COMBOS[bake])  # Here, not in the threads: bakery's cache of renders is not thread-safe.
    with ThreadPoolExecutor(len(scratches)) as pool:
        futures = {bake: pool.submit(walked_day1, bake, scratch) for bake, scratch in scratches.items()}
    # Every walk has ended here. The ones that got through are closed at the end even when another
    # failed: its failure is raised below, and their servers must not outlive it.
    with ExitStack() as walks_open:
        for future in futures.values():
            if future.exception() is None:
                walks_open.callback(future.result().close)
        yield {bake: future.result() for bake, future in futures.items()}


@pytest.fixture(scope="session", params=REHEARSED)
def day1(request, day1_walks):
    """One bake's Day-1 walk; Day 2 goes on from where it ended."""
    return day1_walks[request.param]


def task_flags(project: Path) -> dict[str, set[str]]:
    """Every task of the project's collection and the flags invoke's parser gives it."""
    script = (
        "import json, tasks\n"
        "print(json.dumps({name: sorted('--' + n.replace('_', '-') for a in tasks.ns[name].get_arguments()"
        " for n in a.names if len(n) > 1) for name in tasks.ns.task_names}))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True)
    return {name: set(flags) for name, flags in json.loads(done.stdout).items()}
