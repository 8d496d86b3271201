"""The template's test pyramid: one session per layer, each in its own pinned venv.

`nox` runs every default session; `nox -s bench` runs the benchmark. Set TEST_DATABASE_URL to a
PostgreSQL URL (and REQUIRE_POSTGRES=1 to make its absence a failure, as CI does; CI also sets
REQUIRE_GRAPHVIZ=1, so a missing graphviz fails the docs checks instead of skipping them).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nox

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "tests"))

from interpreters import NoPython, find_python  # noqa: E402  (tests/ is put on sys.path above)

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "lint",
    "bake",
    "terraform",
    "kubernetes",
    "crosslayer",
    "workflows",
    "rehearsal",
    "generated",
    "reliability",
]


def template_python() -> str:
    """The template's own sessions run on Python 3.11, else the nearest supported one (said in one line)."""
    try:
        python = find_python("3.11")
    except NoPython as missing:
        raise SystemExit(str(missing)) from None
    if python.note:
        print(python.note, file=sys.stderr)
    return python.path


# By path: pyenv's shims may not run it by name (python3.11) here.
PYTHON = template_python()
CHECKOV_VENV = HERE / ".nox" / "_checkov"
PASSED_ENV = ("TEST_DATABASE_URL", "REQUIRE_POSTGRES", "REQUIRE_GRAPHVIZ")
# The template's own Python; the generated project's is linted inside each bake, with its own config.
TEMPLATE_PYTHON = ["hooks", "tests", "bench", "noxfile.py", "tasks.py"]


def checkov_bin(session: nox.Session) -> str:
    """checkov pins an old `packaging`, so it lives in a venv of its own, built once."""
    checkov = CHECKOV_VENV / "bin" / "checkov"
    if not checkov.exists():
        session.run("uv", "venv", "--quiet", "--python", PYTHON, str(CHECKOV_VENV), external=True)
        session.run(
            "uv",
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(CHECKOV_VENV / "bin" / "python"),
            "-r",
            "requirements/checkov.txt",
            external=True,
        )
    return str(checkov)


def run_layer(
    session: nox.Session,
    layer: str,
    *paths: str,
    checkov: bool = False,
    compile_bytecode: bool = False,
) -> None:
    """Install the layer's pinned requirements and run its tests (tests/<layer>, or paths), timing both.

    compile_bytecode=True compiles the venv's modules once, at install (uv does not by default), for
    layers whose tests start many Python processes from it (invoke, moto, kubernetes-validate): where
    PYTHONDONTWRITEBYTECODE is set, as on CI machines of this kind, each process would otherwise
    compile every module it imports again, seconds each. Elsewhere compiling costs more than it saves.
    """
    started = time.monotonic()
    session.install("-r", f"requirements/{layer}.txt", env={"UV_COMPILE_BYTECODE": "1"} if compile_bytecode else None)
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    if checkov:
        env["CHECKOV_BIN"] = checkov_bin(session)
    installed = time.monotonic()
    session.run("pytest", *(paths or [f"tests/{layer}"]), *(session.posargs or ["-q"]), env=env)
    session.log(f"timing: {layer}: install {installed - started:.0f}s, tests {time.monotonic() - installed:.0f}s")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Lint the template's own Python (hooks, tests, tasks, bench)."""
    session.install("-r", "requirements/lint.txt")
    paths = session.posargs or TEMPLATE_PYTHON
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python=PYTHON)
def bake(session: nox.Session) -> None:
    """Render the all-pairs matrix; check hooks, every file's syntax and lint, hadolint."""
    run_layer(session, "bake")


@nox.session(python=PYTHON)
def terraform(session: nox.Session) -> None:
    """Terraform: parse, fmt, provider-schema check, module wiring, checkov, invariants."""
    run_layer(session, "terraform", checkov=True)


@nox.session(python=PYTHON)
def kubernetes(session: nox.Session) -> None:
    """Kubernetes: kustomize render, kubernetes-validate, checkov, invariants."""
    run_layer(session, "kubernetes", checkov=True, compile_bytecode=True)


@nox.session(python=PYTHON)
def crosslayer(session: nox.Session) -> None:
    """Relations between layers on every bake: timeouts, capacity, connections, body sizes, architecture."""
    run_layer(session, "crosslayer")


@nox.session(python=PYTHON)
def workflows(session: nox.Session) -> None:
    """GitHub Actions: actionlint, workflow JSON schema, zizmor, checkov, job graph."""
    run_layer(session, "workflows", checkov=True, compile_bytecode=True)


@nox.session(python=PYTHON)
def rehearsal(session: nox.Session) -> None:
    """Day 1 and Day 2 walked as the generated guides write them, against moto, a Terraform stand-in,
    the job graph and the project's fake Kubernetes API (bakes default and two-accounts)."""
    run_layer(session, "rehearsal", compile_bytecode=True)


@nox.session(python=PYTHON)
def generated(session: nox.Session) -> None:
    """The README set-up in a fresh clone; cruft updates from an earlier template; the lock; the updated
    projects' own nox sessions (tests on PostgreSQL, lint, typing, docs)."""
    run_layer(session, "generated", "tests/generated", "tests/update")


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """The default project under its gunicorn on PostgreSQL: hostile input and faults."""
    run_layer(session, "reliability")


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Benchmark the generated app against bare Flask baselines (prints ratios)."""
    session.install("-r", "requirements/bench.txt")
    session.run("python", "bench/run.py", *session.posargs)
