"""The database extension: one pooled engine per app.

Reads run SQLAlchemy Core statements on a pooled autocommit Connection (`read_connection`); writes
and anything else that needs the ORM use the request's Session (`db.session`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from .config import SERVICE_NAME, Settings, ensure_sqlite_directory

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# A pooled connection unused for this long is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 5.0

# Stable constraint names, so Alembic migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def build_engine(settings: Settings) -> Engine:
    """A pooled engine with the timeouts the settings ask for; no connection is opened here."""
    url = settings.database_url
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_directory(url)
        engine = create_engine(url, connect_args={"timeout": settings.connect_timeout})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        ping_idle_connections(engine)
        return engine
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",  # For reads; writes use a READ COMMITTED transaction (see Database).
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_timeout=settings.connect_timeout,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": settings.connect_timeout,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
            "application_name": SERVICE_NAME,
        },
    )
    ping_idle_connections(engine)
    return engine


def ping_idle_connections(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Pre-ping a pooled connection at checkout, but only when it has sat idle for a while.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, which costs a round trip per request and
    halves the throughput of a one-row read. Connections are lost to failovers, restarts and idle
    timeouts, which an idle connection meets; a read on a busy one that dies anyway is run again
    on a fresh connection (`RetryOnDisconnect`), and a write always pings first. A failed ping
    raises DisconnectionError, so the pool quietly opens a new connection instead.
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error

    def remember_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in"] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None:
            return  # Opened just now.
        # A write is pinged whatever its idle time: unlike a read, it cannot be retried safely.
        writing = has_request_context() and request.method not in READ_ONLY_METHODS
        if time.monotonic() - checked_in < idle_seconds and not writing:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # In case the driver opened a transaction for the ping.
        except dbapi_error as error:
            raise DisconnectionError("idle connection failed its ping") from error

    event.listen(engine, "checkin", remember_checkin)
    event.listen(engine, "checkout", ping_if_idle)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks savepoints; let SQLAlchemy emit BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


# Requests that must not write. On PostgreSQL their session runs in autocommit, which saves the
# BEGIN and ROLLBACK round trips a transaction costs; every other request gets a transaction.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class DatabaseState:
    """What one app holds: its engine, the factories of its sessions and of its read connections."""

    engine: Engine
    write_engine: Engine  # The same pool, with transactions (READ COMMITTED on PostgreSQL).
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    # A pooled autocommit connection for one read, used in a `with`; tests point it elsewhere.
    read_connection: Callable[[], AbstractContextManager[Connection]]


# Set in the WSGI environ by the error handler when a safe request failed on a dead connection.
RETRY_KEY = f"{__package__}.retry_on_fresh_connection"


def mark_for_retry(connection_invalidated: bool) -> None:
    """Ask `RetryOnDisconnect` to run the current request again, if that is safe."""
    if connection_invalidated and request.method in READ_ONLY_METHODS:
        request.environ.setdefault(RETRY_KEY, True)


class RetryOnDisconnect:
    """WSGI middleware: a safe request that failed on a dead pooled connection runs once more.

    SQLAlchemy empties the pool when it sees a dead connection (after a failover or a restart),
    so the second attempt gets a fresh one and the client never sees that the first failed.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in READ_ONLY_METHODS:
            return self.app(environ, start_response)
        held: list[tuple[str, list[tuple[str, str]], Any]] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            held.append((status, headers, exc_info))
            return lambda _data: None

        body = self.app(environ, hold)
        if environ.get(RETRY_KEY) is True:
            environ[RETRY_KEY] = False  # Only once.
            getattr(body, "close", lambda: None)()
            return self.app(environ, start_response)
        start_response(*held[-1])
        return body


def read_connection() -> AbstractContextManager[Connection]:
    """A pooled autocommit Connection of the current app for one read: `with read_connection() as c`.

    The read paths of the API run SQLAlchemy Core statements on it rather than going through an ORM
    Session: a one-row read costs a fraction of the Python work (no session, identity map or
    instance loading), while the statements stay SQLAlchemy's, cached once compiled. The
    connection goes back to the pool at the end of the `with`, before the response is encoded.
    """
    state: DatabaseState = current_app.extensions["database"]
    return state.read_connection()


class Database:
    """Attached with `init_app`; `db.session` is the current request's session."""

    def init_app(self, app: Flask, settings: Settings) -> None:
        engine = build_engine(settings)
        write_engine = (
            engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="READ COMMITTED")
        )
        app.extensions["database"] = DatabaseState(
            engine=engine,
            write_engine=write_engine,
            sessions=sessionmaker(bind=write_engine, expire_on_commit=False),
            read_sessions=sessionmaker(bind=engine, expire_on_commit=False),
            read_connection=engine.connect,
        )
        app.teardown_appcontext(self._close_session)
        app.wsgi_app = RetryOnDisconnect(app.wsgi_app)  # type: ignore[method-assign]

    @staticmethod
    def state(app: Flask | None = None) -> DatabaseState:
        """The engine and session factory of `app` (default: the current app)."""
        state: DatabaseState = (app or current_app).extensions["database"]
        return state

    @property
    def session(self) -> Session:
        """The session of the current application context, created on first use."""
        if "db_session" not in g:
            state = self.state()
            reading = has_request_context() and request.method in READ_ONLY_METHODS
            g.db_session = (state.read_sessions if reading else state.sessions)()
        session: Session = g.db_session
        return session

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
