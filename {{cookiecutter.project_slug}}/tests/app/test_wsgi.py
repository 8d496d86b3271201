"""The WSGI module builds the app from the environment, or exits with one clear message."""

from __future__ import annotations

import runpy

import pytest


def test_wsgi_exposes_the_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    namespace = runpy.run_module("{{ cookiecutter.package_name }}.wsgi")
    app = namespace["app"]
    assert app.test_client().get("/livez").status_code == 200
    app.extensions["database"].engine.dispose()


def test_wsgi_exits_with_the_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(SystemExit) as raised:
        runpy.run_module("{{ cookiecutter.package_name }}.wsgi")
    assert str(raised.value) == (
        "invalid configuration:\n  DATABASE_URL (or DATABASE_HOST) is required when APP_ENV is production."
    )
