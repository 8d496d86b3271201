"""Find a Python interpreter for a wanted version wherever pyenv or uv can see one, or on PATH.

On a pyenv machine only the global version's `python3.X` runs: the shims of the other installed
versions exist on PATH but fail ("command not found ... exists in 3.12.1") unless PYENV_VERSION
lists them, and uv neither looks in pyenv's folders nor can download an interpreter offline. So each
candidate is run once before it is used. When the wanted version is nowhere, the nearest other
supported version is used and a one-line note says so; when none is found, one sentence says what
to install. `invoke demo`, the template's sessions and the tests that run generated projects all ask
here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# The Python versions a generated project supports (the `python_version` question's choices).
SUPPORTED = ("3.11", "3.12", "3.13")


class NoPython(RuntimeError):
    """No supported interpreter runs on this machine."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str
    note: str = ""  # One line, set when this is not the version that was asked for.


def find_python(wanted: str, env: Mapping[str, str] | None = None) -> Interpreter:
    """An interpreter of the wanted version, else of the nearest other supported version."""
    env = os.environ if env is None else env
    if wanted not in SUPPORTED:
        raise NoPython(f"Python {wanted} is not supported here: use one of {', '.join(SUPPORTED)}.")
    for version in by_nearness(wanted):
        if path := locate(version, env):
            if version == wanted:
                return Interpreter(path, version)
            note = f"Python {wanted} was not found (pyenv, uv, PATH); using Python {version} ({path}) instead."
            return Interpreter(path, version, note)
    raise NoPython(
        f"No Python {', '.join(SUPPORTED)} was found (pyenv, uv, PATH): install Python {wanted}, "
        f"for example with `pyenv install {wanted}` or `uv python install {wanted}`."
    )


def by_nearness(wanted: str) -> list[str]:
    """The supported versions, the wanted one first, then the nearest (the newer one on a tie)."""
    minor = int(wanted.split(".")[1])
    return sorted(SUPPORTED, key=lambda v: (abs(int(v.split(".")[1]) - minor), -int(v.split(".")[1])))


def locate(version: str, env: Mapping[str, str]) -> str | None:
    """The first candidate for this version that really runs it."""
    return next((path for path in candidates(version, env) if runs(path, version, env)), None)


def candidates(version: str, env: Mapping[str, str]) -> Iterator[str]:
    """Where pyenv keeps the version (newest patch first), what `uv python find` says, then PATH."""
    if root := pyenv_root(env):
        found = Path(root).glob(f"versions/{version}.*/bin/python{version}")
        yield from sorted(map(str, found), key=patch_level, reverse=True)
    if uv := shutil.which("uv", path=env.get("PATH")) or bundled_uv():
        answer = subprocess.run(
            [uv, "python", "find", "--no-project", version],
            capture_output=True,
            text=True,
            env={**env, "UV_PYTHON_DOWNLOADS": "never"},
            check=False,
        )
        if answer.returncode == 0 and answer.stdout.strip():
            yield answer.stdout.strip()
    if on_path := shutil.which(f"python{version}", path=env.get("PATH")):
        yield on_path


def pyenv_root(env: Mapping[str, str]) -> str | None:
    if root := env.get("PYENV_ROOT"):
        return root
    if pyenv := shutil.which("pyenv", path=env.get("PATH")):
        answer = subprocess.run([pyenv, "root"], capture_output=True, text=True, env=dict(env), check=False)
        return answer.stdout.strip() or None
    return None


def bundled_uv() -> str | None:
    """The uv of the `uv` package in this environment (requirements.txt installs it)."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return find_uv_bin()


def patch_level(path: str) -> tuple[int, ...]:
    """`.../versions/3.12.10/bin/python3.12` -> (3, 12, 10); a name that is not all numbers sorts last."""
    name = Path(path).parents[1].name
    return tuple(int(part) for part in name.split(".")) if name.replace(".", "").isdigit() else ()


def runs(path: str, version: str, env: Mapping[str, str]) -> bool:
    """Whether the candidate starts and is the version it claims (a pyenv shim may refuse to run)."""
    try:
        answer = subprocess.run(
            [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return answer.returncode == 0 and answer.stdout.strip() == version
