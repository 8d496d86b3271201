"""Logs (one JSON line per record and per request), EMF metrics to the agent, and traces."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from {{ cookiecutter.package_name }} import observability
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.observability import MetricsSink, configure_logging, emf_record
from {{ cookiecutter.package_name }}.settings import SERVICE_NAME

from .conftest import MakeApp


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def request_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [line for line in lines(capsys) if line["message"] == "request"]


def test_each_request_writes_one_json_line_at_once(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get("/api/v1/items", headers={"X-Request-ID": "abc-123"})
    (line,) = request_lines(capsys)  # Written as the request ends: nothing waits in a queue.
    assert {key: line[key] for key in ("level", "logger", "method", "path", "status", "request_id")} == {
        "level": "INFO",
        "logger": "{{ cookiecutter.package_name }}.request",
        "method": "GET",
        "path": "/api/v1/items",
        "status": 200,
        "request_id": "abc-123",
    }
    assert line["time"].endswith("+00:00")
    assert isinstance(line["duration_ms"], float)


def test_answered_probes_write_no_line(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/livez/").status_code == 404  # Not a probe: logged.
    assert [line["path"] for line in request_lines(capsys)] == ["/livez/"]


def test_client_and_server_errors_are_logged_louder(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get("/no-such-page")
    (line,) = request_lines(capsys)
    assert (line["status"], line["level"]) == (404, "WARNING")


def test_non_ascii_path_is_logged_as_sent(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    client.get("/caf\u00e9")
    (line,) = request_lines(capsys)
    assert line["path"] == "/caf\u00e9"


@pytest.mark.parametrize("incoming", ["abc-123", "Root=1-5759e988-bd862e3fe1be46a994272793"])
def test_sane_incoming_request_id_is_echoed(client: FlaskClient, incoming: str) -> None:
    assert client.get("/livez", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "x" * 129, "has space", "<script>"])
def test_unsafe_incoming_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    sent = client.get("/livez", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert sent != incoming
    assert len(sent) == 32


def test_every_logger_writes_json_with_its_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 42)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("somewhere").exception("failed", extra={"item_id": 7})
    gunicorn, failure = lines(capsys)
    assert (gunicorn["logger"], gunicorn["level"], gunicorn["message"]) == (
        "gunicorn.error",
        "INFO",
        "Booting worker with pid: 42",
    )
    assert failure["item_id"] == 7
    assert "ValueError: boom" in failure["exception"]


def test_werkzeugs_own_request_lines_are_dropped_but_not_its_other_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.info("%s - - [%s] %s", "127.0.0.1", "29/Nov/2026 12:00:00", '"GET /livez HTTP/1.1" 200 -')
    werkzeug.info(" * Running on http://127.0.0.1:5000")
    (line,) = lines(capsys)
    assert line["message"] == " * Running on http://127.0.0.1:5000"


def test_the_emf_record_follows_the_specification() -> None:
    """The EMF specification: `_aws` at the root with a Timestamp in ms and CloudWatchMetrics, each
    directive with a Namespace, Dimensions (arrays of names of root string members, ≤ 30) and Metrics
    (≤ 100, each a Name of a root member holding a number, an optional Unit from CloudWatch's list)."""
    record = emf_record("production", 503, 12.3456, 1_764_417_600_000)
    aws = record["_aws"]
    assert aws["Timestamp"] == 1_764_417_600_000
    (directive,) = aws["CloudWatchMetrics"]
    assert directive["Namespace"] == SERVICE_NAME
    assert 1 <= len(directive["Namespace"]) <= 255
    for dimension_set in directive["Dimensions"]:
        assert len(dimension_set) <= 30
        for name in dimension_set:
            assert isinstance(record[name], str)
    assert [metric["Name"] for metric in directive["Metrics"]] == ["Latency", "Requests", "ClientErrors", "Errors"]
    for metric in directive["Metrics"]:
        assert metric["Unit"] in ("Milliseconds", "Count")
        assert isinstance(record[metric["Name"]], int | float)
    assert (record["Latency"], record["Requests"], record["ClientErrors"], record["Errors"]) == (12.346, 1, 0, 1)
    assert (record["Service"], record["Environment"]) == (SERVICE_NAME, "production")


@pytest.fixture
def agent() -> Iterator[socket.socket]:
    """A UDP socket standing in for the CloudWatch agent's EMF endpoint."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5)
        yield listener


def test_each_request_sends_its_emf_record_to_the_agent(make_app: MakeApp, agent: socket.socket) -> None:
    port = agent.getsockname()[1]
    app = make_app(AWS_EMF_AGENT_ENDPOINT=f"udp://127.0.0.1:{port}")
    app.test_client().get("/livez")  # An answered probe: no record.
    app.test_client().get("/no-such-page")
    record = json.loads(agent.recv(65536))
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == SERVICE_NAME
    assert (record["Requests"], record["ClientErrors"], record["Errors"], record["Environment"]) == (1, 1, 0, "test")
    app.extensions["metrics"].socket.close()


def test_a_missing_agent_never_fails_a_request() -> None:
    sink = MetricsSink("udp://127.0.0.1:9")  # Nothing listens on the discard port.
    for _ in range(3):
        sink.send(emf_record("test", 200, 1.0, 0))
    if sink.socket is not None:
        sink.socket.close()


def test_requests_and_their_sql_are_traced(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = InMemorySpanExporter()
    endpoints: list[str] = []

    def span_exporter(endpoint: str) -> InMemorySpanExporter:
        endpoints.append(endpoint)
        return exporter

    monkeypatch.setattr(observability, "span_exporter", span_exporter)
    app = make_app(OTEL_EXPORTER_OTLP_ENDPOINT="http://agent:4316")
    app.add_url_rule("/_probe/<int:number>", view_func=lambda number: {"one": db.session.scalar(text("SELECT 1"))})
    assert app.test_client().get("/_probe/7").status_code == 200
    assert app.test_client().get("/readyz").status_code == 200  # Probes are not traced.
    assert app.test_client().get("/api/v1/items/2000000000").status_code == 404  # Its SQL ran: db.first_row.
    app.extensions["tracer_provider"].force_flush()
    spans = exporter.get_finished_spans()
    assert endpoints == ["http://agent:4316"]

    def statements_under(name: str) -> list[str]:
        (parent,) = [span for span in spans if span.name == name]
        children = [span for span in spans if span.parent and span.parent.span_id == parent.context.span_id]
        statements = [str((child.attributes or {}).get("db.statement")) for child in children]
        return [statement for statement in statements if statement != "BEGIN"]  # SQLite: BEGIN

    assert statements_under("GET /_probe/<int:number>") == ["SELECT 1"]
    (item_read,) = statements_under("GET /api/v1/items/<int:item_id>")
    assert item_read.startswith("SELECT items.id, items.name,")
    assert "FROM items \nWHERE items.id = " in item_read
    assert not [span for span in spans if span.name == "GET /readyz"]
    app.extensions["tracer_provider"].shutdown()


def test_tracing_is_off_without_an_endpoint(client: FlaskClient) -> None:
    assert "tracer_provider" not in client.application.extensions
