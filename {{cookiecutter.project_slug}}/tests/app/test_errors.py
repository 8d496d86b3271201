"""Errors are JSON with a stable shape and never carry a stack trace."""

from __future__ import annotations

import json

import psycopg2
import pytest
from flask import Flask, request
from flask.ctx import RequestContext
from flask.testing import FlaskClient
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import RequestEntityTooLarge

from {{ cookiecutter.package_name }}.errors import ApiError, allowed, validation_failed
from {{ cookiecutter.package_name }}.openapi import check_request

from .conftest import MakeApp
from .oidc import Issuer


def bearer(issuer: Issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token()}"}


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


def test_body_over_the_limit_is_json_413(make_app: MakeApp, issuer: Issuer) -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    payload = json.dumps({"name": "x", "description": "y" * 2000})
    response = app.test_client().post(
        "/api/v1/items", data=payload, content_type="application/json", headers=bearer(issuer)
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def chunked_post(app: Flask, body: bytes, issuer: Issuer) -> RequestContext:
    """A POST whose body arrives chunked, with no Content-Length (as gunicorn hands it over)."""
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked", **bearer(issuer)}
    environ = {"wsgi.input_terminated": True}
    context = app.test_request_context(
        "/api/v1/items", method="POST", data=body, headers=headers, environ_overrides=environ
    )
    context.request.environ.pop("CONTENT_LENGTH", None)
    return context


def test_a_chunked_body_past_the_limit_is_413(app: Flask, issuer: Issuer) -> None:
    body = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    with chunked_post(app, body, issuer), pytest.raises(RequestEntityTooLarge):
        check_request()


def test_a_chunked_body_within_the_limit_is_read(app: Flask, issuer: Issuer) -> None:
    with chunked_post(app, b'{"name": "a"}', issuer):
        check_request()
        assert request.get_json() == {"name": "a"}


def test_unexpected_error_is_json_500_without_a_trace(make_app: MakeApp, capsys: pytest.CaptureFixture[str]) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals")

    app = make_app()
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
def app_without_database(make_app: MakeApp) -> Flask:
    # Nothing listens on port 1, so every connection attempt is refused at once.
    return make_app(DATABASE_URL="postgresql://app@127.0.0.1:1/app", DATABASE_CONNECT_TIMEOUT="1")


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/items"), ("get", "/api/v1/items/1"), ("post", "/api/v1/items")],
)
def test_database_down_is_json_503(app_without_database: Flask, issuer: Issuer, method: str, path: str) -> None:
    client = app_without_database.test_client()
    response = getattr(client, method)(path, json={"name": "x"}, headers=bearer(issuer))
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
def test_driver_and_pool_failures_are_json_503(make_app: MakeApp, error: Exception, code: str) -> None:
    # These escape SQLAlchemy's wrapping (a checkout on a connection that just died, a full pool).
    def fail() -> str:
        raise error

    app = make_app()
    app.add_url_rule("/fail", view_func=fail)
    response = app.test_client().get("/fail")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("schema", "sentence"),
    [
        ({"type": "string", "minLength": 1, "maxLength": 5}, "must be a string of 1 to 5 characters"),
        ({"type": "string", "maxLength": 5}, "must be a string of at most 5 characters"),
        ({"type": "string", "minLength": 2}, "must be a string of at least 2 characters"),
        ({"type": "string", "description": "lowercase"}, "must be a string, lowercase"),
        ({"type": "integer", "minimum": 0, "maximum": 9}, "must be a whole number from 0 to 9"),
        ({"type": "integer", "minimum": 1}, "must be a whole number of at least 1"),
        ({"type": "integer", "maximum": 9}, "must be a whole number of at most 9"),
        ({"type": "number"}, "must be a number"),
        ({"type": "boolean"}, "must be true or false"),
        ({"enum": ["a", "b"]}, "must be one of a, b"),
        ({"type": "array"}, "must be of type array"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, None),
    ],
)
def test_allowed_says_what_a_schema_allows(schema: dict[str, object], sentence: str | None) -> None:
    assert allowed(schema) == sentence


class Pet(BaseModel):
    legs: int = Field(ge=0, le=8)


def test_a_model_the_view_does_not_declare_gets_pydantics_sentence(app: Flask) -> None:
    with pytest.raises(ValidationError) as raised:
        Pet.model_validate({"legs": 9})
    with app.test_request_context("/api/v1/items"), pytest.raises(ApiError) as error:
        validation_failed(raised.value)
    assert (error.value.status, error.value.fields) == (422, {"legs": "Input should be less than or equal to 8"})
