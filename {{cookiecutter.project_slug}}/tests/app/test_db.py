"""The engine's pool and timeouts, and the per-request session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.db import Database, build_engine, db


class StopConnectError(Exception):
    """Stops a connection attempt once its parameters are known."""


def test_postgres_engine_has_pre_ping_and_timeouts() -> None:
    settings = load_settings(
        {
            "APP_ENV": "test",
            "DATABASE_URL": "postgresql://app@db.internal/app",
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT_MS": "2500",
            "DATABASE_POOL_SIZE": "7",
        }
    )
    engine = build_engine(settings)
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool._pre_ping
    assert engine.pool.size() == 7
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        seen.update(params)
        raise StopConnectError

    with pytest.raises(StopConnectError):
        engine.connect()
    assert seen["connect_timeout"] == 3
    assert seen["options"] == "-c statement_timeout=2500"
    assert seen["host"] == "db.internal"
    engine.dispose()


def test_statement_timeout_reaches_the_server(app: Flask) -> None:
    url = Database.state(app).engine.url
    with app.app_context():
        if url.get_backend_name() == "postgresql":
            value = db.session.execute(text("SHOW statement_timeout")).scalar_one()
            assert value == "5s"
        else:
            assert db.session.execute(text("SELECT 1")).scalar_one() == 1


def test_session_is_one_per_context_and_closed_after(app: Flask) -> None:
    with app.app_context():
        first = db.session
        assert db.session is first
    with app.app_context():
        assert db.session is not first


def test_development_sqlite_directory_is_created(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path / "instance")
    engine = build_engine(settings)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    assert (tmp_path / "instance" / "dev.sqlite3").is_file()
    assert make_url(str(engine.url)).database == str(tmp_path / "instance" / "dev.sqlite3")
