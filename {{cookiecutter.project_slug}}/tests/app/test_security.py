"""Security headers on every response, with the exact values browsers act on."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import MakeApp

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/api/v1/items", "/missing", "/livez"])
def test_responses_carry_the_headers_and_are_not_cached(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_static_files_are_served_and_cacheable(client: FlaskClient) -> None:
    response = client.get("/static/robots.txt")
    assert response.status_code == 200
    assert b"User-agent" in response.data
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Cache-Control" not in response.headers or response.headers["Cache-Control"] != "no-store"
    response.close()


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_deployed_environments_send_hsts(make_app: MakeApp, environment: str) -> None:
    app: Flask = make_app(APP_ENV=environment, DATABASE_URL="postgresql://app@127.0.0.1:1/app")
    response = app.test_client().get("/livez")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
