"""The README's first command: `invoke demo` renders the defaults and serves the app on SQLite."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from bakery import TEMPLATE_DIR


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_invoke_demo_serves_the_default_project_on_sqlite(tmp_path):
    invoke = Path(sys.executable).parent / "invoke"
    result = subprocess.run(
        [str(invoke), "demo", "--check", "--output", str(tmp_path), "--port", str(free_port())],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(result.stdout[-3000:], result.stderr[-3000:])
    assert result.returncode == 0
    assert "created:" in result.stdout and "read back:" in result.stdout
    assert (tmp_path / "example-service" / "instance" / "dev.sqlite3").exists()
