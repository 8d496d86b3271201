"""The generated project's uv.lock: it matches pyproject.toml for every answer, and installing from it
in a clean venv needs no index and refuses a file whose hash differs from the lock's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from bakery import NAMED_COMBOS, all_pairs, combo_id, render, tool
from interpreters import find_python

COMBOS = list(NAMED_COMBOS.values()) + all_pairs()


# nox's uv sessions point these at the session's own venv; here they would redirect uv away from the project.
SESSION_VARIABLES = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT")


def uv(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    outer = {name: value for name, value in os.environ.items() if name not in SESSION_VARIABLES}
    return subprocess.run([tool("uv"), *args], cwd=cwd, capture_output=True, text=True, env=outer | env, check=False)


def python_of(project: Path) -> str:
    return find_python((project / ".python-version").read_text().strip()).path


@pytest.mark.parametrize("answers", COMBOS, ids=combo_id)
def test_the_lock_matches_pyproject_offline_without_a_cache(answers, tmp_path):
    project = render(**answers)
    # An empty cache and no network: the check reads only uv.lock and pyproject.toml.
    check = uv("lock", "--check", "--offline", "--python", python_of(project), cwd=project, UV_CACHE_DIR=str(tmp_path))
    assert check.returncode == 0, check.stderr


def test_a_pin_the_lock_does_not_have_is_caught(tmp_path):
    project = shutil.copytree(render(), tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"flask==3.1.3"', '"flask==3.1.2"'))
    check = uv("lock", "--check", "--offline", "--python", python_of(project), cwd=project)
    assert check.returncode != 0


def locked_versions(project: Path) -> dict[str, str]:
    lock = tomllib.loads((project / "uv.lock").read_text())
    return {package["name"]: package["version"] for package in lock["package"]}


def test_the_lock_installs_offline_in_a_clean_venv(tmp_path):
    project = shutil.copytree(render(), tmp_path / "project")
    python = python_of(project)
    # What the Dockerfile runs. The first sync may download (it fills uv's cache, as a developer's first
    # `nox` does); the second, into a new venv, must find everything in the cache and the lock alone.
    install = ("sync", "--locked", "--no-dev", "--no-editable", "--python", python)
    warm = uv(*install, cwd=project, UV_PROJECT_ENVIRONMENT=str(tmp_path / "warm"))
    assert warm.returncode == 0, warm.stderr
    clean = uv(*install, "--offline", cwd=project, UV_PROJECT_ENVIRONMENT=str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    frozen = uv("pip", "freeze", "--python", str(tmp_path / "clean" / "bin" / "python"), cwd=project)
    lines = frozen.stdout.splitlines()
    # The project itself, built from its folder; every other line is a `name==version` the lock pins.
    assert f"example-service @ {project.as_uri()}" in lines
    installed = dict(line.split("==") for line in lines if "==" in line)
    assert len(installed) == len(lines) - 1
    locked = locked_versions(project)
    assert {name: locked[name] for name in installed} == installed
    assert {"flask", "gunicorn", "sqlalchemy", "psycopg2-binary"} <= set(installed)
    assert "pytest" not in installed  # The dev extra stays out of the image.


def test_a_file_whose_hash_differs_from_the_lock_is_refused(tmp_path):
    project = shutil.copytree(render(), tmp_path / "project")
    lock = project / "uv.lock"
    text = lock.read_text()
    start = text.index('name = "itsdangerous"')
    end = text.index("[[package]]", start)
    tampered = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, text[start:end])
    lock.write_text(text[:start] + tampered + text[end:])
    env = {"UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    install = uv("sync", "--locked", "--no-dev", "--python", python_of(project), cwd=project, **env)
    assert install.returncode != 0
    assert "Hash mismatch" in install.stderr
