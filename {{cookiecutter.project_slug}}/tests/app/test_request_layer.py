"""The WSGI layer every request passes through, around a plain WSGI app instead of the service."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.test import Client

from {{ cookiecutter.package_name }}.observability import MetricsSink
from {{ cookiecutter.package_name }}.request_layer import RequestLayer
from {{ cookiecutter.package_name }}.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class Recorder(MetricsSink):
    def __init__(self) -> None:
        super().__init__("udp://127.0.0.1:9")  # Enabled; nothing is sent, `send` records instead.
        self.records: list[dict[str, Any]] = []

    def send(self, record: dict[str, Any]) -> None:
        self.records.append(record)


def layer(app: WSGIApplication, metrics: MetricsSink | None = None) -> Client:
    wrapped = RequestLayer(
        app,
        settings=Settings(app_env="test", database_url="sqlite://"),
        headers=[("X-Api", "1")],
        static_headers=[("X-Static", "1")],
        metrics=metrics or MetricsSink(""),
    )
    return Client(wrapped)


def answering(status: str) -> WSGIApplication:
    def app(_environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"body"]

    return app


def test_static_files_get_their_own_headers() -> None:
    response = layer(answering("200 OK")).get("/static/robots.txt")
    assert response.headers["X-Static"] == "1"
    assert "X-Api" not in response.headers


def test_a_harmless_request_id_is_kept_and_a_hostile_one_replaced() -> None:
    client = layer(answering("200 OK"))
    assert client.get("/", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert replaced != "<script>"
    assert len(replaced) == 32


@pytest.mark.parametrize(
    ("status", "level", "client_errors", "errors"),
    [("200 OK", "INFO", 0, 0), ("404 NOT FOUND", "WARNING", 1, 0), ("500 INTERNAL SERVER ERROR", "ERROR", 0, 1)],
)
def test_one_line_and_one_metrics_record_per_request(
    status: str, level: str, client_errors: int, errors: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from {{ cookiecutter.package_name }}.observability import configure_logging

    configure_logging("INFO")
    metrics = Recorder()
    layer(answering(status), metrics).get("/api/v1/items", headers={"X-Request-ID": "r-1"})
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["level"] == level
    assert line["message"] == "request"
    assert line["logger"] == "{{ cookiecutter.package_name }}.request"
    assert (line["method"], line["path"], line["status"], line["request_id"]) == (
        "GET",
        "/api/v1/items",
        int(status[:3]),
        "r-1",
    )
    assert "_aws" not in line  # Metrics go to the agent, not through the log pipeline.
    (record,) = metrics.records
    assert (record["Requests"], record["ClientErrors"], record["Errors"]) == (1, client_errors, errors)
