"""The generated layer's background runs: each project's own nox sessions, started once per test
session and side by side. Nothing else of this layer runs beside them on purpose: the projects' own
suites hold timing-sensitive tests, and the two runs already fill a 2-core machine."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time

import pytest
from bakery import NAMED_COMBOS, default_answer, tool
from generated_runs import COMBOS, project_env, sessions
from interpreters import find_python
from updates import updated


@pytest.fixture(scope="session")
def nox_runs():
    """Start every combo's nox sessions at once, on the interpreter found for its Python; tests wait."""
    with contextlib.ExitStack() as stack:
        runs = {}
        for combo in COMBOS:
            env = project_env(combo)
            project = updated(combo).project
            python = find_python(NAMED_COMBOS[combo].get("python_version", default_answer("python_version")))
            print(python.note or f"{combo}: Python {python.version} from {python.path}")
            log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            # --force-python: the interpreter by path, as pyenv's shims may not run it under its name here.
            argv = [tool("nox"), "--non-interactive", "--force-python", python.path, "-s", *sessions()]
            process = subprocess.Popen(argv, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
            stack.callback(process.kill)  # A no-op once the run has ended.
            runs[combo] = (project, process, log, time.monotonic())
        yield runs
