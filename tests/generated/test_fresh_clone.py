"""The README's first command, typed into a fresh clone on a machine where the project's Python does not
resolve by name: it must still render the project and serve the app.

The clone is of this repository at HEAD (what a newcomer gets). `python3.12` is made to fail on PATH the
way a pyenv shim of a non-global version does, PYENV_VERSION is unset, and nothing else is exported.
The second README command (the whole suite) is what CI runs; it is not run again inside itself.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from bakery import TEMPLATE_DIR, default_answer
from interpreters import find_python

WANTED = default_answer("python_version")
# What pyenv prints for a version that is installed but not selected; exit 127, like a missing command.
REFUSING_SHIM = f"""#!/bin/sh
echo "pyenv: python{WANTED}: command not found (a stand-in for a version that is not selected)" >&2
exit 127
"""


def readme_command(marker: str, readme: Path) -> str:
    """The shell command in the fenced block after `<!-- marker -->` (as .ci/run reads the test command)."""
    lines = readme.read_text().split(f"<!-- {marker} -->\n", 1)[1].splitlines()
    assert lines[0].startswith("```"), f"README: <!-- {marker} --> must be followed by a fenced block"
    return "\n".join(lines[1 : lines.index("```", 1)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_clone(destination: Path) -> Path:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=TEMPLATE_DIR, capture_output=True, text=True, check=True)
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(TEMPLATE_DIR), str(destination)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head.stdout.strip()], cwd=destination, check=True)
    return destination


def machine_without_the_version(shims: Path) -> dict[str, str]:
    shims.mkdir()
    (shims / f"python{WANTED}").write_text(REFUSING_SHIM)
    (shims / f"python{WANTED}").chmod(0o755)
    # A newcomer's shell: no pyenv selection, and none of the venv variables nox sets for this session.
    drop = {"PYENV_VERSION", "VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT"}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    return env


def request(url: str, data: dict | None = None, token: str = "") -> dict:
    body = json.dumps(data).encode() if data is not None else None
    headers = {"Content-Type": "application/json"} if body else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=5) as answer:
        return json.loads(answer.read())


def wait_until_ready(url: str, server: subprocess.Popen, seconds: int) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the demo command exited ({server.returncode}) before serving"
        try:
            request(url)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def test_the_readme_demo_command_serves_the_app_from_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    env = machine_without_the_version(tmp_path / "shims")
    refused = subprocess.run([f"python{WANTED}", "-c", "pass"], env=env, capture_output=True, check=False)
    assert refused.returncode != 0, f"python{WANTED} still resolves: this would not test the finder"
    expected = find_python(WANTED, env)
    port = free_port()
    command = f"{readme_command('demo-command', clone / 'README.md')} --port {port}"
    log = tmp_path / "demo.log"
    started = time.monotonic()
    with log.open("w") as output:
        server = subprocess.Popen(
            ["bash", "-c", command], cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{base}/readyz", server, seconds=300)
        # The demo prints the development token a write needs (`  TOKEN=...`), as a newcomer would copy it.
        (token,) = re.findall(r"^  TOKEN=(\S+)$", log.read_text(), re.MULTILINE)
        created = request(f"{base}/api/v1/items", {"name": "from a fresh clone"}, token)
        assert request(f"{base}/api/v1/items/{created['id']}")["name"] == "from a fresh clone"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        printed = log.read_text()
        print(printed[-3000:])
    print(f"timing: fresh clone to serving: {time.monotonic() - started:.0f}s")
    # Which interpreter it took, in one line: the wanted version found outside PATH, or a fallback.
    assert (expected.note or f"Python {expected.version}: {expected.path}") in printed.splitlines()
    venv_python = clone / "build" / "example-service" / ".venv" / "bin" / "python"
    version = subprocess.run([str(venv_python), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith(f"Python {expected.version}.")
