"""The engine's pool and timeouts, and the per-request session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.errors
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import (
    Integer,
    Numeric,
    String,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from {{ cookiecutter.package_name }} import items
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.db import (
    PING_AFTER_IDLE_SECONDS,
    Database,
    PooledCursor,
    Read,
    build_engine,
    compile_for_cursor,
    db,
)

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


def test_item_reads_run_on_a_cursor_on_postgresql(app: Flask, client: FlaskClient) -> None:
    created = client.post("/api/v1/items", json={"name": "read me"})
    assert client.get(created.headers["Location"]).get_json()["name"] == "read me"
    assert client.get("/api/v1/items").get_json()["items"][0]["name"] == "read me"
    plans = Database.state(app).read_plans
    postgres = Database.state(app).engine.dialect.name == "postgresql"
    # psycopg2 returns every column as the API needs it; SQLite's driver takes positional parameters.
    assert (plans[items.SELECT_ONE] is not None) == postgres
    assert (plans[items.SELECT_PAGE] is not None) == postgres


class Shouted(TypeDecorator[str]):
    """A type that converts values on the way out, as an application's own type might."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: str | None, _dialect: Any) -> str | None:
        return None if value is None else value.upper()


def test_reads_that_need_sqlalchemy_run_on_a_connection(app: Flask) -> None:
    converting = Read(select(literal("quiet", Shouted())))
    expanding = Read(select(literal_column("1")).where(literal_column("1").in_(bindparam("ids", expanding=True))))
    state = Database.state(app)
    assert compile_for_cursor(expanding.statement, state.engine.dialect) is None
    with app.test_request_context("/api/v1/items"):
        assert converting.row() == ("QUIET",)
        assert converting.row() == ("QUIET",)  # Once known, without trying the cursor first.
        assert expanding.rows(ids=[1, 2]) == [(1,)]
        assert expanding.rows(ids=[2]) == []
    assert state.read_plans[converting] is None
    assert state.read_plans[expanding] is None


def test_a_read_returns_what_sqlalchemy_would(app: Flask) -> None:
    # psycopg2 returns NUMERIC as Decimal already, so on PostgreSQL this one stays on the cursor.
    numeric = Read(select(literal(Decimal("1.50"), Numeric(4, 2)), literal_column("'text'")))
    with app.test_request_context("/api/v1/items"):
        assert numeric.row() == (Decimal("1.50"), "text")
        assert numeric.row() == (Decimal("1.50"), "text")
    postgres = Database.state(app).engine.dialect.name == "postgresql"
    assert (Database.state(app).read_plans[numeric] is not None) == postgres


def test_a_read_takes_a_pooled_autocommit_cursor_and_returns_it(app: Flask) -> None:
    state = Database.state(app)
    postgres = state.engine.dialect.name == "postgresql"
    cursors: list[Any] = []
    pool = state.engine.pool

    @contextmanager
    def spied_cursor() -> Iterator[Any]:
        with PooledCursor(state.engine) as cursor:
            cursors.append(cursor)
            assert pool.checkedout() == 1  # type: ignore[attr-defined]
            yield cursor

    state.read_cursor = spied_cursor
    read = Read(select(literal_column("41") + bindparam("one", type_=Integer)))
    with app.test_request_context("/api/v1/items"):
        assert read.row(one=1) == (42,)
        assert read.rows(one=2) == [(43,)]
    assert pool.checkedout() == 0  # type: ignore[attr-defined]  # Back before the response is encoded.
    assert len(cursors) == (2 if postgres else 0)  # SQLite's positional parameters take a Connection.
    if postgres:
        assert cursors[0].connection.autocommit


def test_a_cursor_that_cannot_be_opened_gives_its_connection_back(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Database.state(app).engine
    checkout = engine.raw_connection

    class WithoutCursors:
        def __init__(self) -> None:
            self.connection = checkout()

        def cursor(self) -> Any:
            raise OSError("no cursor today")

        def close(self) -> None:
            self.connection.close()

    monkeypatch.setattr(engine, "raw_connection", WithoutCursors)
    with pytest.raises(OSError, match="no cursor today"), PooledCursor(engine):
        pass
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_read_on_a_dead_connection_runs_again_on_a_fresh_one(make_app: MakeApp, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the test kills the server side of a pooled connection")
    app = make_app(DATABASE_POOL_SIZE="1")
    backend_pid = Read(select(func.pg_backend_pid()))
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with app.test_request_context("/api/v1/items"):
        pid = backend_pid.row()
        assert pid is not None
        with admin.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid[0]})")
        # Used a moment ago, so not pinged: the read itself finds the connection dead.
        assert backend_pid.row() not in (None, pid)
    assert Database.state(app).engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    admin.dispose()


def test_a_read_that_fails_otherwise_raises_and_keeps_its_connection(make_app: MakeApp, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the test runs into the server's statement_timeout")
    app = make_app(DATABASE_POOL_SIZE="1", DATABASE_STATEMENT_TIMEOUT_MS="100")
    backend_pid = Read(select(func.pg_backend_pid()))
    sleep = Read(select(func.pg_sleep(1)))
    with app.test_request_context("/api/v1/items"):
        pid = backend_pid.row()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            sleep.row()
        assert backend_pid.row() == pid


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
        pytest.skip("needs PostgreSQL: the test kills the server side of pooled connections")
    app = make_app(DATABASE_POOL_SIZE="2")
    client = app.test_client()
    engine = Database.state(app).engine
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def kill_pooled_connections() -> None:
        with engine.connect() as first, engine.connect() as second:
            pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() for c in (first, second)]
        with admin.connect() as connection:
            for pid in pids:
                connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")

    # The read's cursor finds its connection dead and its Connection the other one: SQLAlchemy
    # replaces the pool, and the request runs once more on a fresh connection.
    kill_pooled_connections()
    assert client.get("/api/v1/items").status_code == 200
    kill_pooled_connections()
    # A write is not repeated; it pings its connection first, finds it dead and takes a fresh one.
    created = client.post("/api/v1/items", json={"name": "written once"})
    assert created.status_code == 201
    assert client.delete(created.headers["Location"]).status_code == 204  # Leave the database as found.
    admin.dispose()
