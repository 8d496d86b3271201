"""Errors are JSON with a stable shape and never carry a stack trace."""

from __future__ import annotations

import json

import psycopg2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def test_unknown_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/no/such/path", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert (error["code"], error["request_id"]) == ("not_found", "req-404")


def test_wrong_method_is_json_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/v1/items", json={})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_body_over_the_limit_is_json_413(database_url: str) -> None:
    from {{ cookiecutter.package_name }} import create_app
    from {{ cookiecutter.package_name }}.db import Database

    app = create_app({"APP_ENV": "test", "DATABASE_URL": database_url, "MAX_CONTENT_LENGTH": 1024})
    payload = json.dumps({"name": "x", "description": "y" * 2000})
    response = app.test_client().post("/api/v1/items", data=payload, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    Database.state(app).engine.dispose()


def test_unexpected_error_is_json_500_without_a_trace(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert response.get_json()["error"] == {
        "code": "internal_error",
        "message": "An unexpected error occurred.",
        "request_id": response.headers["X-Request-ID"],
    }
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failure = next(line for line in logged if line["message"] == "unhandled error")
    assert "RuntimeError: secret internals" in failure["exception"]
    assert failure["request_id"] == response.headers["X-Request-ID"]
    assert (logged[-1]["status"], logged[-1]["level"]) == (500, "ERROR")


@pytest.fixture
def app_without_database() -> Flask:
    from {{ cookiecutter.package_name }} import create_app

    # Nothing listens on port 1, so every connection attempt is refused at once.
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": "postgresql://app@127.0.0.1:1/app",
            "DATABASE_CONNECT_TIMEOUT": "1",
        }
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/items"), ("get", "/api/v1/items/1"), ("post", "/api/v1/items")],
)
def test_database_down_is_json_503(app_without_database: Flask, method: str, path: str) -> None:
    client = app_without_database.test_client()
    response = getattr(client, method)(path, json={"name": "x"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "database_unavailable"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (psycopg2.OperationalError("server closed the connection unexpectedly"), "database_unavailable"),
        (psycopg2.InterfaceError("connection already closed"), "database_unavailable"),
        (PoolTimeoutError("QueuePool limit of size 5 overflow 5 reached"), "database_busy"),
    ],
    ids=lambda value: type(value).__name__,
)
def test_driver_and_pool_failures_are_json_503(app: Flask, error: Exception, code: str) -> None:
    # These escape SQLAlchemy's wrapping (a checkout on a connection that just died, a full pool).
    def fail() -> str:
        raise error

    app.add_url_rule("/fail", view_func=fail)
    response = app.test_client().get("/fail")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == code
