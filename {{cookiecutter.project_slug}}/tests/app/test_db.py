"""The engine's pool and timeouts, and the per-request session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.db import PING_AFTER_IDLE_SECONDS, Database, build_engine, db, read_connection

from .conftest import MakeApp


class StopConnectError(Exception):
    """Stops a connection attempt once its parameters are known."""


def test_postgres_engine_has_pool_and_timeouts() -> None:
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


def test_reads_autocommit_and_writes_get_a_transaction(app: Flask) -> None:
    state = Database.state(app)
    postgres = state.engine.dialect.name == "postgresql"
    with app.test_request_context("/api/v1/items", method="GET"):
        assert db.session.get_bind() is state.engine
        if postgres:
            assert db.session.connection().connection.dbapi_connection.autocommit  # type: ignore[union-attr]
    with app.test_request_context("/api/v1/items", method="POST"):
        assert db.session.get_bind() is state.write_engine
        if postgres:
            assert not db.session.connection().connection.dbapi_connection.autocommit  # type: ignore[union-attr]
            assert db.session.connection().get_isolation_level() == "READ COMMITTED"
    with app.app_context():  # Outside a request (CLI, shell): transactions.
        assert db.session.get_bind() is state.write_engine


def test_core_reads_use_a_pooled_autocommit_connection_returned_at_once(app: Flask) -> None:
    state = Database.state(app)
    with app.test_request_context("/api/v1/items", method="GET"):
        with read_connection() as connection:
            assert connection.engine is state.engine
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            if state.engine.dialect.name == "postgresql":
                assert connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
            assert state.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert state.engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # Back before the response.


def test_dead_idle_connection_is_replaced_by_the_ping(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the test kills the server side of a pooled connection")
    engine = build_engine(load_settings({"APP_ENV": "test", "DATABASE_URL": database_url, "DATABASE_POOL_SIZE": "1"}))
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def pooled_backend() -> tuple[int, Any]:
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            return pid, connection.connection._connection_record

    def kill(pid: int) -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")

    # A recently used connection is not pinged: its death surfaces as an error (then the pool resets).
    pid, _ = pooled_backend()
    kill(pid)
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    # An idle one is pinged at checkout: kept while it answers, silently replaced once it is dead.
    pid, record = pooled_backend()
    record.info["checked_in"] -= PING_AFTER_IDLE_SECONDS + 1
    assert pooled_backend()[0] == pid
    pid, record = pooled_backend()
    record.info["checked_in"] -= PING_AFTER_IDLE_SECONDS + 1
    kill(pid)
    new_pid, _ = pooled_backend()
    assert new_pid != pid
    engine.dispose()
    admin.dispose()


def test_reads_are_retried_and_writes_ping_on_a_dead_connection(make_app: MakeApp, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the test kills the server side of a pooled connection")
    app = make_app(DATABASE_POOL_SIZE="1")
    client = app.test_client()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def kill_pooled_connection() -> None:
        pid = client.get("/_backend_pid").get_json()["pid"]
        with admin.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")

    @app.get("/_backend_pid")
    def backend_pid() -> dict[str, int]:
        return {"pid": db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()}

    kill_pooled_connection()
    assert client.get("/api/v1/items").status_code == 200
    kill_pooled_connection()
    # A write is not repeated; it pings its connection first, finds it dead and takes a fresh one.
    created = client.post("/api/v1/items", json={"name": "written once"})
    assert created.status_code == 201
    assert client.delete(created.headers["Location"]).status_code == 204  # Leave the database as found.
    admin.dispose()
