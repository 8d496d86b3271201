"""tests/interpreters.py on made-up machines: a pyenv root with some versions, shims that refuse."""

from __future__ import annotations

import pytest
from interpreters import NoPython, find_python


def fake_python(path, version: str) -> str:
    """An executable that answers like `pythonX.Y -c ...` printing its version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """An environment that sees only tmp_path: a pyenv root, a shims folder on PATH, no uv-managed Pythons."""
    monkeypatch.chdir(tmp_path)  # uv looks for a .venv from the working directory up.
    shims = tmp_path / "shims"
    shims.mkdir()
    env = {
        "PATH": str(shims),
        "PYENV_ROOT": str(tmp_path / "pyenv"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-pythons"),
        "HOME": str(tmp_path),
    }
    # A pyenv shim for a version that is installed but not selected: found by name, refuses to run.
    (shims / "python3.12").write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    (shims / "python3.12").chmod(0o755)
    return tmp_path, env


def test_the_wanted_version_is_found_in_pyenv_when_its_shim_refuses(machine):
    root, env = machine
    fake_python(root / "pyenv/versions/3.12.1/bin/python3.12", "3.12")
    newest = fake_python(root / "pyenv/versions/3.12.10/bin/python3.12", "3.12")
    python = find_python("3.12", env)
    assert (python.path, python.version, python.note) == (newest, "3.12", "")


def test_a_missing_version_falls_back_to_the_nearest_supported_one_in_one_line(machine):
    root, env = machine
    fake_python(root / "pyenv/versions/3.11.7/bin/python3.11", "3.11")
    newer = fake_python(root / "pyenv/versions/3.13.0/bin/python3.13", "3.13")
    python = find_python("3.12", env)
    assert (python.path, python.version) == (newer, "3.13")
    assert python.note == f"Python 3.12 was not found (pyenv, uv, PATH); using Python 3.13 ({newer}) instead."


def test_a_python_on_path_counts_when_it_runs(machine):
    root, env = machine
    on_path = fake_python(root / "shims/python3.11", "3.11")
    assert find_python("3.11", env).path == on_path


def test_no_supported_python_is_one_sentence_naming_what_to_install(machine):
    _, env = machine
    with pytest.raises(NoPython) as missing:
        find_python("3.12", env)
    assert str(missing.value) == (
        "No Python 3.11, 3.12, 3.13 was found (pyenv, uv, PATH): install Python 3.12, "
        "for example with `pyenv install 3.12` or `uv python install 3.12`."
    )
