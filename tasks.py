"""Maintainer tasks for the template: render and run a demo project, show the test matrix, clean up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cookiecutter.main import cookiecutter
from invoke import Exit, task

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "tests"))


def uv() -> str:
    """The uv binary installed by requirements.txt (much faster venvs than pip)."""
    from uv import find_uv_bin

    return find_uv_bin()


def probe(url: str, *, data: bytes | None = None, attempts: int = 50) -> dict:
    """The JSON body of a 2xx answer from url, retrying while the server starts."""
    headers = {"Content-Type": "application/json"} if data else {}
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=5) as answer:
                return json.loads(answer.read() or b"{}")
        except OSError:
            time.sleep(0.2)
    raise Exit(f"demo: {url} did not answer with 2xx in {attempts * 0.2:.0f}s.")


@task(
    help={
        "output": "folder to render the project into (default: build)",
        "port": "local port for the app (default: 8000)",
        "check": "start the app, create and read one item, then stop (what the tests run)",
    }
)
def demo(c, output="build", port=8000, check=False):
    """Render the default project and run its app locally on SQLite (Ctrl-C stops it)."""
    # cookiecutter's API, not its command: `.venv/bin/invoke demo` runs without the venv on PATH.
    project = Path(cookiecutter(str(HERE), no_input=True, overwrite_if_exists=True, output_dir=output)).resolve()
    venv = project / ".venv"
    answers = json.loads((project / ".cookiecutter.json").read_text())
    python, package = answers["python_version"], answers["package_name"]
    c.run(f"{uv()} venv --quiet --allow-existing --python {python} {venv}")
    c.run(f"{uv()} pip install --quiet --python {venv / 'bin' / 'python'} -e {project}")
    env = {"PORT": str(port), "WEB_CONCURRENCY": "2", "APP_ENV": "development"}
    env = {**os.environ, **env, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DATABASE_URL", None)  # The demo runs on the embedded SQLite default.
    with c.cd(str(project)):
        c.run("alembic upgrade head", env=env)
    command = ["gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", f"{package}.wsgi:app"]
    if not check:
        print(f"Serving http://127.0.0.1:{port}/api/v1/items (Ctrl-C to stop)")
        subprocess.run(command, cwd=project, env=env, check=False)
        return
    server = subprocess.Popen(command, cwd=project, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        print("readyz:", probe(f"{base}/readyz"))
        created = probe(f"{base}/api/v1/items", data=json.dumps({"name": "demo item"}).encode())
        print("created:", created)
        print("read back:", probe(f"{base}/api/v1/items/{created['id']}"))
    finally:
        server.terminate()
        server.wait(timeout=30)


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
