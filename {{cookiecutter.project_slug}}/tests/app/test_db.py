"""The engine's pool and timeouts, the per-request session, read-only safe methods, no retries,
error classification, and credentials that are asked for per connection."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool, QueuePool

from {{ cookiecutter.package_name }}.database_secret import CredentialsError
from {{ cookiecutter.package_name }}.db import (
    PING_AFTER_IDLE_SECONDS,
    Database,
    _logging_in_with,
    build_engine,
    classify,
    connect_args,
    database_url,
    db,
)
from {{ cookiecutter.package_name }}.items import ITEM_BY_ID
from {{ cookiecutter.package_name }}.models import Item
from {{ cookiecutter.package_name }}.settings import Settings, load_settings

from .conftest import MakeApp


class StopConnectError(Exception):
    """Stops a connection attempt once its parameters are known."""


def connect_parameters(engine: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        seen.update(params)
        raise StopConnectError

    with pytest.raises(StopConnectError):
        engine.connect()
    engine.dispose()
    return seen


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite has no read-only transactions or backends to end")
    return database_url


def test_the_postgres_engine_has_a_pool_and_timeouts() -> None:
    settings = load_settings(
        {
            "APP_ENV": "test",
            "DATABASE_URL": "postgresql://app@db.internal/app",
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT_MS": "2500",
            "DATABASE_LOCK_TIMEOUT_MS": "700",
            "DATABASE_POOL_SIZE": "7",
        }
    )
    engine = build_engine(settings, "/srv/instance")
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.size() == 7
    seen = connect_parameters(engine)
    assert seen["connect_timeout"] == 3
    assert seen["options"] == "-c statement_timeout=2500 -c lock_timeout=700 -c default_transaction_read_only=on"
    assert seen["host"] == "db.internal"
    assert "sslmode" not in seen


def test_the_migration_engine_waits_for_locks_a_bounded_time_and_verifies_rds_tls() -> None:
    settings = Settings(
        app_env="production",
        database_host="db.internal",
        database_name="app",
        database_secret_id="s",
        database_ca_bundle="/etc/ssl/certs/rds-global-bundle.pem",
    )
    args = connect_args(settings, migration=True)
    assert args["options"] == "-c lock_timeout=3000 -c statement_timeout=0"
    assert (args["sslmode"], args["sslrootcert"]) == ("verify-full", "/etc/ssl/certs/rds-global-bundle.pem")
    assert args["connect_timeout"] == 5


def test_the_development_sqlite_file_is_in_the_instance_folder_wherever_the_app_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = database_url(Settings(), "instance")
    assert url.database == str(tmp_path / "instance" / "dev.sqlite3")
    assert Path(url.database).is_absolute()


@pytest.fixture
def probe_app(make_app: MakeApp, postgres: str) -> Iterator[tuple[Flask, list[str]]]:
    """An app with routes that misbehave on purpose; `runs` records every run of a view."""
    app = make_app(DATABASE_POOL_SIZE="1", DATABASE_STATEMENT_TIMEOUT_MS="200")
    runs: list[str] = []

    def write() -> Response:
        runs.append(request.method)
        db.session.execute(text("CREATE TABLE IF NOT EXISTS probe_writes (id int)"))
        db.session.execute(text("INSERT INTO probe_writes VALUES (1)"))
        db.session.commit()
        return jsonify(written=True)

    def write_core() -> Response:  # Core statements on db.connection; the session commits them.
        runs.append(request.method)
        db.connection.execute(text("CREATE TABLE IF NOT EXISTS probe_writes (id int)"))
        db.connection.execute(text("INSERT INTO probe_writes VALUES (1)"))
        db.session.commit()
        return jsonify(written=True)

    def die() -> Response:
        runs.append(request.method)
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return jsonify(survived=True)

    def die_first_row() -> Response:  # The same death below SQLAlchemy's execution (db.first_row).
        runs.append(request.method)
        db.first_row(text("SELECT pg_terminate_backend(pg_backend_pid())"), {})
        return jsonify(survived=True)

    def sleep() -> Response:
        db.session.execute(text("SELECT pg_sleep(1)"))
        return jsonify(slept=True)

    def sleep_first_row() -> Response:
        db.first_row(text("SELECT pg_sleep(1)"), {})
        return jsonify(slept=True)

    app.add_url_rule("/_probe/write", view_func=write, methods=["GET", "POST"])
    app.add_url_rule("/_probe/write-core", view_func=write_core, methods=["GET", "POST"])
    app.add_url_rule("/_probe/die", view_func=die, methods=["GET", "POST"])
    app.add_url_rule("/_probe/die-first-row", view_func=die_first_row, methods=["GET"])
    app.add_url_rule("/_probe/sleep", view_func=sleep, methods=["GET"])
    app.add_url_rule("/_probe/sleep-first-row", view_func=sleep_first_row, methods=["GET"])
    yield app, runs
    admin = create_engine(postgres, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS probe_writes"))
    admin.dispose()


def stored_rows(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT to_regclass('probe_writes') IS NOT NULL"))
        count = connection.scalar(text("SELECT count(*) FROM probe_writes")) if exists else 0
    engine.dispose()
    return int(count or 0)


@pytest.mark.parametrize("view", ["/_probe/write", "/_probe/write-core"])
def test_a_get_that_writes_fails_and_stores_nothing(
    probe_app: tuple[Flask, list[str]], postgres: str, view: str
) -> None:
    app, runs = probe_app
    response = app.test_client().get(view)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert stored_rows(postgres) == 0
    # The same view through POST writes: the guard is the method, not the view.
    assert app.test_client().post(view).status_code == 200
    assert stored_rows(postgres) == 1
    assert runs == ["GET", "POST"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_requests_core_statements_and_session_share_one_connection(make_app: MakeApp, method: str) -> None:
    app = make_app()
    engine = Database.state(app).engine
    with app.test_request_context("/", method=method):
        connection = db.connection  # First, as a read does.
        assert db.session.connection() is connection
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        app.do_teardown_appcontext()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_first_row_in_a_write_reads_in_the_writes_transaction(make_app: MakeApp) -> None:
    app = make_app()
    with app.test_request_context("/", method="POST"):
        item = Item(name="not committed")
        db.session.add(item)
        db.session.flush()
        row = db.first_row(ITEM_BY_ID, {"item_id": item.id})
        db.session.rollback()
        app.do_teardown_appcontext()
    assert row is not None
    assert row["name"] == "not committed"


@pytest.mark.parametrize(("view", "method"), [("die", "GET"), ("die", "POST"), ("die-first-row", "GET")])
def test_a_request_whose_connection_dies_is_never_run_again(
    probe_app: tuple[Flask, list[str]], view: str, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, runs = probe_app
    response = app.test_client().open(f"/_probe/{view}", method=method)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert runs == [method]
    # The dead connection was dropped, not handed back to the pool to fail its reset there.
    assert not [record for record in caplog.records if record.name.startswith("sqlalchemy.pool")]
    # The next request gets a fresh connection.
    assert app.test_client().get("/readyz").status_code == 200


@pytest.mark.parametrize("view", ["sleep", "sleep-first-row"])
def test_a_statement_timeout_is_504_database_timeout(probe_app: tuple[Flask, list[str]], view: str) -> None:
    app, _ = probe_app
    response = app.test_client().get(f"/_probe/{view}")
    assert response.status_code == 504
    assert response.get_json()["error"]["code"] == "database_timeout"
    assert response.get_json()["error"]["message"] == "The database did not answer in time."


def test_a_connection_the_server_ended_is_replaced_before_use(make_app: MakeApp, postgres: str) -> None:
    app = make_app(DATABASE_POOL_SIZE="1")
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    engine = Database.state(app).engine
    with engine.connect() as connection:
        first = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        # Only this pool's connection: other test processes share the server.
        ended = connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    assert ended
    time.sleep(0.2)  # The server's goodbye reaches the socket.
    assert client.get("/readyz").status_code == 200
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != first


def test_only_a_connection_idle_for_long_is_pinged(make_app: MakeApp, postgres: str) -> None:
    engine = Database.state(make_app(DATABASE_POOL_SIZE="1")).engine
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def last_statement_at_checkout(age: float) -> str:
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            record = connection.connection._connection_record
        assert record is not None
        record.info["checked_in"] -= age
        with engine.connect(), admin.connect() as watcher:  # Checked out: what did the check send?
            query = watcher.scalar(text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
        return str(query)

    assert last_statement_at_checkout(0) == "SELECT pg_backend_pid()"  # No round trip for a busy pool.
    assert last_statement_at_checkout(PING_AFTER_IDLE_SECONDS + 1) == "SELECT 1"
    admin.dispose()


class FakeError(Exception):
    def __init__(self, message: str, pgcode: str | None = None) -> None:
        super().__init__(message)
        self.pgcode = pgcode


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (FakeError("canceling statement due to statement timeout", "57014"), 504, "database_timeout"),
        (FakeError("deadlock detected", "40P01"), 503, "database_busy"),
        (FakeError("canceling statement due to lock timeout", "55P03"), 503, "database_busy"),
        (
            psycopg2.OperationalError('FATAL:  password authentication failed for user "app"'),
            503,
            "database_authentication_failed",
        ),
        (psycopg2.OperationalError("could not connect to server"), 503, "database_unavailable"),
        (CredentialsError("DATABASE_SECRET_ID='s' could not be read: AccessDenied."), 503, "database_unavailable"),
    ],
)
def test_database_errors_are_told_apart(error: Exception, status: int, code: str) -> None:
    problem = classify(error)
    assert problem is not None
    assert (problem.status, problem.code) == (status, code)


def test_an_error_of_the_request_itself_is_not_the_databases() -> None:
    assert classify(FakeError("cannot execute INSERT in a read-only transaction", "25006")) is None


def sqlite_error(tmp_path: Path, statement: str) -> sqlite3.Error:
    """The error SQLite itself raises for `statement` on a fresh file, with its error name."""
    try:
        with closing(sqlite3.connect(tmp_path / "db.sqlite3", timeout=0)) as connection:
            connection.execute(statement)
    except sqlite3.Error as error:
        return error
    raise AssertionError(f"{statement!r} did not fail")


def test_a_missing_table_on_sqlite_is_a_mistake_not_an_outage(tmp_path: Path) -> None:
    # A migration not applied yet: retrying would never help, so no 503 tells the client to.
    assert classify(sqlite_error(tmp_path, "SELECT * FROM orders")) is None


def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").mkdir()  # A directory where the file should be.
    problem = classify(sqlite_error(tmp_path, "SELECT count(*) FROM sqlite_master"))
    assert problem is not None
    assert (problem.status, problem.code) == (503, "database_unavailable")


def test_a_locked_sqlite_file_is_busy(tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        problem = classify(sqlite_error(tmp_path, "SELECT count(*) FROM sqlite_master"))
    finally:
        holder.close()
    assert problem is not None
    assert (problem.status, problem.code) == (503, "database_busy")


class Rotating:
    """Credentials whose first password is stale; refresh() brings the current one."""

    def __init__(self) -> None:
        self.password = "old"
        self.refreshes = 0

    def current(self) -> dict[str, str]:
        return {"user": "app", "password": self.password}

    def refresh(self, rejected: dict[str, str]) -> bool:
        assert rejected == {"user": "app", "password": "old"}
        self.refreshes += 1
        self.password = "new"
        return True


class FakeDialect:
    class loaded_dbapi:  # noqa: N801  (the attribute SQLAlchemy's dialects have)
        OperationalError = psycopg2.OperationalError

    def __init__(self, accepted: str, failure: str = 'FATAL:  password authentication failed for user "app"') -> None:
        self.accepted, self.failure, self.attempts = accepted, failure, []  # type: ignore[var-annotated]

    def connect(self, **params: str) -> str:
        self.attempts.append(params["password"])
        if params["password"] != self.accepted:
            raise psycopg2.OperationalError(self.failure)
        return "connection"


def test_a_rejected_password_is_read_again_once() -> None:
    credentials, dialect = Rotating(), FakeDialect(accepted="new")
    assert _logging_in_with(credentials)(dialect, None, (), {}) == "connection"
    assert dialect.attempts == ["old", "new"]
    assert credentials.refreshes == 1


def test_other_connection_failures_do_not_reread_the_password() -> None:
    credentials, dialect = Rotating(), FakeDialect(accepted="new", failure="could not connect to server")
    with pytest.raises(psycopg2.OperationalError, match="could not connect"):
        _logging_in_with(credentials)(dialect, None, (), {})
    assert credentials.refreshes == 0
