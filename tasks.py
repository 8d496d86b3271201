"""Maintainer tasks for the template: render and run a demo project, re-lock the generated project's
dependencies, show the test matrix, clean up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter
from invoke import Exit, task

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "tests"))

from interpreters import Interpreter, NoPython, find_python  # noqa: E402  (tests/ is put on sys.path above)

# Jinja's delimiters: uv.lock is rendered by cookiecutter, so none may appear in it.
JINJA_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")


def uv() -> str:
    """The uv binary installed by requirements.txt (much faster venvs than pip)."""
    from uv import find_uv_bin

    return find_uv_bin()


@task(
    help={
        "output": "folder to render the project into (default: build)",
        "port": "local port for the app (default: 8000)",
    }
)
def demo(c, output="build", port=8000):
    """Render the default project and run its app locally on SQLite (Ctrl-C stops it)."""
    # cookiecutter's API, not its command: `.venv/bin/invoke demo` runs without the venv on PATH.
    project = Path(cookiecutter(str(HERE), no_input=True, overwrite_if_exists=True, output_dir=output)).resolve()
    answers = json.loads((project / ".cookiecutter.json").read_text())
    python = project_python(answers["python_version"])
    venv = project / ".venv"
    # Exactly what uv.lock pins, into the project's .venv (named, so a caller's UV_PROJECT_ENVIRONMENT,
    # which nox sets in its sessions, cannot redirect it), on the interpreter found above.
    with c.cd(str(project)):
        c.run(f"{uv()} sync --locked --quiet --python {python.path}", env={"UV_PROJECT_ENVIRONMENT": str(venv)})
    env = {"PORT": str(port), "WEB_CONCURRENCY": "2", "APP_ENV": "development"}
    env = {**os.environ, **env, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DATABASE_URL", None)  # The demo runs on the embedded SQLite default.
    app = f"{answers['package_name']}.wsgi:app"
    with c.cd(str(project)):
        c.run("alembic upgrade head", env=env)
        # Writes need a bearer token; locally the app trusts a development key (`invoke token` in the project).
        token = c.run(f"flask --app {app} dev-token --minutes 1440", env=env, hide=True).stdout.strip()
    url = f"http://127.0.0.1:{port}/api/v1/items"
    print(f"Serving {url} (Ctrl-C to stop). Reads are public; a write needs the development token:", flush=True)
    print(f"  TOKEN={token}", flush=True)
    headers = '-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json"'
    print(f"""  curl {headers} -d '{{"name": "first"}}' {url}""", flush=True)
    command = ["gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", app]
    subprocess.run(command, cwd=project, env=env, check=False)


def project_python(wanted: str) -> Interpreter:
    """The interpreter for the project's Python version, or the nearest supported one (said in one line)."""
    try:
        python = find_python(wanted)
    except NoPython as missing:
        raise Exit(str(missing)) from None
    print(python.note or f"Python {python.version}: {python.path}", flush=True)
    return python


@task(
    help={
        "upgrade": "move every pin to the newest release pyproject.toml allows "
        "(default: keep each pin the lock has while pyproject.toml still allows it)"
    }
)
def lock(c, upgrade=False):
    """Re-lock the generated project: render the defaults, run `uv lock`, write the templated uv.lock back."""
    template_lock = HERE / "{{cookiecutter.project_slug}}" / "uv.lock"
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(cookiecutter(str(HERE), no_input=True, output_dir=scratch))
        answers = json.loads((project / ".cookiecutter.json").read_text())
        python = project_python(answers["python_version"])
        with c.cd(str(project)):
            c.run(f"{uv()} lock --python {python.path}{' --upgrade' if upgrade else ''}")
        text = templated_lock((project / "uv.lock").read_text(), answers["project_slug"])
    if template_lock.exists() and template_lock.read_text() == text:
        print("uv.lock is unchanged.")
        return
    template_lock.write_text(text)
    print(f"uv.lock written: {text.count('[[package]]')} packages; commit {template_lock.relative_to(HERE)}.")


def templated_lock(text: str, slug: str) -> str:
    """The default project's uv.lock with its own name turned into the slug expression cookiecutter renders."""
    if found := [delimiter for delimiter in JINJA_DELIMITERS if delimiter in text]:
        raise Exit(f"uv.lock contains Jinja delimiters {found}: cookiecutter would render them.")
    own_name = f'name = "{slug}"\n'
    if text.count(own_name) != 1:
        raise Exit(f"uv.lock should name the project {slug!r} exactly once; it does {text.count(own_name)} times.")
    # Every reference too: the dev extra installs the project's own ops extra (`{ name = slug, extras = … }`).
    return text.replace(f'name = "{slug}"', 'name = "{{ cookiecutter.project_slug }}"')


@task
def matrix(c):
    """Print the all-pairs combinations the test pyramid renders."""
    from bakery import all_pairs, combo_id, pairs_covered

    combos = all_pairs()
    for combo in combos:
        print(combo_id(combo))
    print(f"{len(combos)} combinations cover {pairs_covered(combos)} option-value pairs")


@task
def clean(c):
    """Remove rendered demo projects and nox's virtual environments."""
    for path in (HERE / "build", HERE / ".nox"):
        shutil.rmtree(path, ignore_errors=True)
