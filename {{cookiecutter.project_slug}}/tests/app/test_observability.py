"""One JSON line per request that is also a CloudWatch EMF record; request ids."""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }} import observability
from {{ cookiecutter.package_name }}.config import SERVICE_NAME
from {{ cookiecutter.package_name }}.observability import (
    FLUSH_INTERVAL_SECONDS,
    JsonFormatter,
    flush_lines,
    log_request,
    log_time,
    new_request_id,
    request_line,
)


def fork() -> int:
    """os.fork() without the warning about forking a process that runs threads (the flusher does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def log_path(path: str) -> None:
    """Queue a request's line that tells itself apart by its path."""
    log_request((time.time(), "test", "GET", path, 200, 1.0, "id"))


def paths_in(output: bytes) -> list[str]:
    return [json.loads(line)["path"] for line in output.decode().splitlines()]


def request_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    flush_lines()  # Request lines are queued; the flusher thread may not have run yet.
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [line for line in lines if line["message"] == "request"]


def test_each_request_writes_one_json_line(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    response = client.get("/livez?verbose=1")
    [line] = request_lines(capsys)
    assert line["method"] == "GET"
    assert line["path"] == "/livez"
    assert line["status"] == 200
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"


def test_request_line_is_a_valid_emf_record(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    client.get("/api/v1/items/424242")
    [line] = request_lines(capsys)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == SERVICE_NAME
    assert isinstance(line["_aws"]["Timestamp"], int)
    for dimension_set in directive["Dimensions"]:
        for dimension in dimension_set:
            assert isinstance(line[dimension], str)
    assert (line["Service"], line["Environment"]) == (SERVICE_NAME, "test")
    for metric in directive["Metrics"]:
        assert isinstance(line[metric["Name"]], int | float)
        assert metric["Unit"] in {"Milliseconds", "Count"}
    assert (line["Requests"], line["ClientErrors"], line["Errors"]) == (1, 1, 0)
    assert line["Latency"] == line["duration_ms"]


def test_non_ascii_path_is_logged_as_sent(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert client.get("/caf%C3%A9").status_code == 404
    [line] = request_lines(capsys)
    assert line["path"] == "/caf\u00e9"


@pytest.mark.parametrize("incoming", ["abc-123", "Root=1-5759e988-bd862e3fe1be46a994272793"])
def test_sane_incoming_request_id_is_echoed(client: FlaskClient, incoming: str) -> None:
    response = client.get("/livez", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "x" * 129, "has space", "new\\nline", "<script>"])
def test_unsafe_incoming_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/livez", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated != incoming
    assert len(generated) == 32


def test_request_lines_survive_a_quiet_log_level(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from {{ cookiecutter.package_name }} import create_app
    from {{ cookiecutter.package_name }}.db import Database

    app = create_app({"APP_ENV": "test", "DATABASE_URL": database_url, "LOG_LEVEL": "ERROR"})
    capsys.readouterr()
    app.test_client().get("/livez")
    assert len(request_lines(capsys)) == 1
    Database.state(app).engine.dispose()


def test_formatter_keeps_extra_fields_and_exceptions() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
        import sys

        record.exc_info = sys.exc_info()
    record.order_id = 7
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["message"], entry["order_id"], entry["level"]) == ("failed here", 7, "ERROR")
    assert "ValueError: boom" in entry["exception"]


def test_request_line_escapes_whatever_the_client_sent() -> None:
    line = request_line(
        now=1_767_225_600.5,
        environment='odd "env" 100%',
        method="GET",
        path='/a"b\\c\u00e9\n',
        status=503,
        duration_ms=12.5,
        request_id="id",
    )
    assert line.endswith("}\n")
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert (entry["path"], entry["Environment"]) == ('/a"b\\c\u00e9\n', 'odd "env" 100%')
    assert (entry["status"], entry["Latency"], entry["Errors"], entry["ClientErrors"]) == (503, 12.5, 1, 0)
    assert (entry["time"], entry["_aws"]["Timestamp"]) == ("2026-01-01T00:00:00.500+00:00", 1_767_225_600_500)


@pytest.mark.parametrize(
    "timestamp",
    [0.0, 1_767_225_599.9994, 1_767_225_599.9999996, 1_767_225_600.0, 1_767_225_600.123456, 1_767_225_661.5],
)
def test_log_times_are_what_datetime_would_write(timestamp: float) -> None:
    # Seconds are formatted once and reused; the result must not tell.
    expected = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    assert log_time(timestamp) == expected
    assert log_time(timestamp) == expected


def test_lines_reach_a_pipe_without_a_flush_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "w") as buffered:  # Block-buffered.
        monkeypatch.setattr(sys, "stdout", buffered)
        log_path("/queued")
        # Nothing flushed it here; the process's flusher thread must, within its interval.
        ready, _, _ = select.select([reader], [], [], FLUSH_INTERVAL_SECONDS * 10)
        assert ready, "the line never reached the pipe"
        assert paths_in(os.read(read_end, 65536)) == ["/queued"]
        monkeypatch.undo()


def test_a_forked_worker_writes_its_own_lines_and_not_its_parents() -> None:
    log_path("/warm-up")  # The flusher of this process is running now.
    read_end, write_end = os.pipe()
    # The parent's flusher is held off, so its queued line is still queued, and the lock held, at the fork.
    with observability._write_lock:
        log_path("/from-the-parent")
        child = fork()
        if child == 0:  # The child writes one line and leaves without flushing anything itself.
            os.close(read_end)
            sys.stdout = os.fdopen(write_end, "w")
            log_path("/from-the-child")
            time.sleep(FLUSH_INTERVAL_SECONDS * 10)
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as reader:
        assert paths_in(reader.read()) == ["/from-the-child"]
    flush_lines()


def test_a_long_queue_is_written_by_the_request_that_fills_it(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "w") as buffered:
        monkeypatch.setattr(sys, "stdout", buffered)
        monkeypatch.setattr(observability, "FLUSH_LINES", 3)
        monkeypatch.setattr(observability, "_flusher_running", True)  # Only the requests write.
        log_path("/one")
        log_path("/two")
        assert select.select([reader], [], [], 0.1)[0] == []
        log_path("/three")
        assert paths_in(os.read(read_end, 65536)) == ["/one", "/two", "/three"]
        monkeypatch.undo()


def test_queued_lines_are_written_when_the_process_exits() -> None:
    # No flusher gets to run: the process exits as soon as the line is queued.
    code = (
        "from {{ cookiecutter.package_name }}.observability import log_request; "
        "log_request((0.0, 'test', 'GET', '/last-words', 200, 1.0, 'id'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60)
    assert paths_in(result.stdout) == ["/last-words"]


def test_forked_workers_make_request_ids_of_their_own() -> None:
    read_end, write_end = os.pipe()
    child = fork()
    if child == 0:
        os.write(write_end, new_request_id().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.read().decode() != new_request_id()
