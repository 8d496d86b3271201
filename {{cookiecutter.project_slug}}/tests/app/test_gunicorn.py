"""The real server: gunicorn with the project's config, probes, and a graceful SIGTERM."""

from __future__ import annotations

import gc
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }} import serve

from .conftest import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    """The server as the container starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.serve"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = start(
        {
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "ENABLE_TEST_ROUTES": "1",
        }
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            get(f"{base}/livez", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.communicate()[1][-2000:]}")
            time.sleep(0.1)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_probes_and_graceful_shutdown(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = server
    assert get(f"{base}/readyz")[0] == 200
    assert get(f"{base}/api/v1/items?limit=1")[0] == 200
    slow: dict[str, object] = {}
    request = threading.Thread(target=lambda: slow.update(result=get(f"{base}/_test/slow?seconds=1")))
    request.start()
    time.sleep(0.5)  # The slow request is in flight when SIGTERM arrives, with half a second to go.
    process.send_signal(signal.SIGTERM)
    request.join(timeout=10)
    assert slow["result"] == (200, b'{"slept":1.0}\n')
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]  # Every line is JSON, gunicorn's too.
    paths = [line["path"] for line in lines if line.get("message") == "request"]
    assert "/_test/slow" in paths
    loggers = {line["logger"] for line in lines}
    assert "gunicorn.error" in loggers
    assert "Booting worker with pid" in " ".join(
        line["message"] for line in lines if line["logger"] == "gunicorn.error"
    )


def test_configuration_error_stops_the_server_with_one_message() -> None:
    process = start({"PORT": str(free_port()), "APP_ENV": "production", "DATABASE_URL": ""})
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "DATABASE_URL (or DATABASE_HOST) is required when APP_ENV is production." in stderr
    assert "Traceback" not in stderr


def test_a_bad_server_setting_stops_the_server_with_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process: gunicorn would read WEB_CONCURRENCY before any of our code if it started first.
    monkeypatch.setenv("WEB_CONCURRENCY", "abc")
    monkeypatch.setenv("GUNICORN_KEEPALIVE", "-1")
    with pytest.raises(SystemExit) as raised:
        serve.main()
    assert str(raised.value) == (
        "invalid configuration:\n"
        "  WEB_CONCURRENCY='abc': must be a whole number.\n"
        "  GUNICORN_KEEPALIVE='-1': Input should be greater than or equal to 1."
    )


def test_gunicorn_keeps_idle_connections_longer_than_the_load_balancer() -> None:
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert settings["keepalive"] == 75
    assert settings["accesslog"] is None


def test_the_master_freezes_what_it_loaded_before_workers_fork() -> None:
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    settings["when_ready"](None)
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
