"""The WSGI layer every request passes through, around a plain WSGI app instead of the service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest
from werkzeug.test import Client

from {{ cookiecutter.package_name }}.db import RETRY_KEY
from {{ cookiecutter.package_name }}.observability import REQUEST_ID_HEADER
from {{ cookiecutter.package_name }}.request_layer import RequestLayer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class Body(list[bytes]):
    closed = False

    def close(self) -> None:
        self.closed = True


def layer(app: WSGIApplication) -> Client:
    return Client(RequestLayer(app, environment="test", headers=[("X-Api", "1")], static_headers=[("X-Static", "1")]))


def test_a_request_marked_for_retry_runs_once_more_and_only_the_second_answer_is_sent() -> None:
    bodies: list[Body] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ.setdefault(RETRY_KEY, True)  # As the error handler marks it, every time it fails.
        bodies.append(Body([f"run {len(bodies) + 1}".encode()]))
        start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain")])
        return bodies[-1]

    response = layer(app).get("/api/v1/items")
    assert response.get_data() == b"run 2"
    assert len(bodies) == 2  # Marked again on the second run, but retried only once.
    assert bodies[0].closed
    assert response.headers.getlist("X-Api") == ["1"]
    assert len(response.headers.getlist(REQUEST_ID_HEADER)) == 1


def test_static_files_get_their_own_headers() -> None:
    def app(_environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"file"]

    response = layer(app).get("/static/robots.txt")
    assert response.headers["X-Static"] == "1"
    assert "X-Api" not in response.headers


def test_an_app_that_writes_its_body_is_told_to_return_it() -> None:
    def app(_environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"too early")
        return []

    with pytest.raises(RuntimeError, match="return the body instead"):
        layer(app).get("/")
