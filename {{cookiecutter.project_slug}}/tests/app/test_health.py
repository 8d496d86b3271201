"""Liveness never needs the database; readiness does."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }} import create_app


def test_livez(client: FlaskClient) -> None:
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def unreachable_app() -> Flask:
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": "postgresql://app@127.0.0.1:1/app",
            "DATABASE_CONNECT_TIMEOUT": "1",
        }
    )


def test_readyz_is_503_with_retry_after_and_the_error_body_when_the_database_is_down(
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = unreachable_app().test_client().get("/readyz", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The database is unavailable; retry shortly.",
            "request_id": "probe-1",
        }
    }
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (problem,) = [line for line in logged if line["logger"] == "{{ cookiecutter.package_name }}.db"]
    (request,) = [line for line in logged if line["message"] == "request"]  # A failing probe is logged.
    assert (request["path"], request["status"], request["level"]) == ("/readyz", 503, "ERROR")
    # The database's own message, which names the server but never a password.
    assert problem["message"].startswith('database error: connection to server at "127.0.0.1", port 1 failed')


def test_livez_stays_up_when_the_database_is_down() -> None:
    assert unreachable_app().test_client().get("/livez").status_code == 200
