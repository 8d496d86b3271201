"""Security headers on every response."""

from __future__ import annotations

from flask.testing import FlaskClient

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.security import HEADERS, HSTS


def test_api_responses_carry_the_headers_and_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/api/v1/items")
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_error_responses_carry_the_headers(client: FlaskClient) -> None:
    response = client.get("/missing")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served_and_cacheable(client: FlaskClient) -> None:
    response = client.get("/static/robots.txt")
    assert response.status_code == 200
    assert b"User-agent" in response.data
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_deployed_environments_send_hsts() -> None:
    app = create_app({"APP_ENV": "staging", "DATABASE_URL": "postgresql://app@127.0.0.1:1/app"})
    response = app.test_client().get("/livez")
    assert response.headers["Strict-Transport-Security"] == HSTS
