"""Liveness never needs the database; readiness does."""

from __future__ import annotations

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


def test_readyz_is_503_when_the_database_is_down() -> None:
    response = unreachable_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unavailable"}}


def test_livez_stays_up_when_the_database_is_down() -> None:
    assert unreachable_app().test_client().get("/livez").status_code == 200
