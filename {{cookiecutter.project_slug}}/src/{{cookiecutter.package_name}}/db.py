"""The database extension: one pooled engine per app.

Hot reads are `Read`s: SQLAlchemy Core statements compiled once and run on a cursor of a pooled
autocommit connection. Writes and anything else that needs the ORM use the request's Session
(`db.session`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, MetaData, Select, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler

from .config import SERVICE_NAME, Settings, ensure_sqlite_directory

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

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
    on a fresh connection (`mark_for_retry`), and a write always pings first. A failed ping
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
    # A cursor on such a connection, for `Read`s; tests point it elsewhere too.
    read_cursor: Callable[[], AbstractContextManager[DBAPICursor]]
    # Each Read's statement compiled for this engine, or None where it must run on a Connection.
    read_plans: dict[Read, SQLCompiler | None] = field(default_factory=dict)


# Set in the WSGI environ by the error handler when a safe request failed on a dead connection.
RETRY_KEY = f"{__package__}.retry_on_fresh_connection"


def mark_for_retry(connection_invalidated: bool) -> None:
    """Ask the request layer to run the current request once more, if that is safe.

    SQLAlchemy empties the pool when it sees a dead connection (after a failover or a restart),
    so the second run gets a fresh one and the client never sees that the first failed.
    """
    if connection_invalidated and request.method in READ_ONLY_METHODS:
        request.environ.setdefault(RETRY_KEY, True)


def take_retry(environ: WSGIEnvironment) -> bool:
    """Whether the request was marked for a retry that has not run yet; true once at most."""
    if environ.get(RETRY_KEY) is True:
        environ[RETRY_KEY] = False
        return True
    return False


class LostConnectionError(Exception):
    """A pooled connection died under a `Read`; it has been dropped from the pool."""


class PooledCursor:
    """`with PooledCursor(engine) as cursor`: a cursor on a pooled autocommit DBAPI connection.

    The checkout runs the pool's events (the idle ping) like any other, and the connection goes
    back to the pool at the end of the block. One found dead is invalidated instead, so the pool
    never hands it out again, and LostConnectionError is raised. A class rather than a generator
    because every read goes through it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> DBAPICursor:
        self.connection = self.engine.raw_connection()
        try:
            self.cursor = self.connection.cursor()
        except BaseException:
            self.connection.close()
            raise
        return self.cursor

    def __exit__(self, _kind: type[BaseException] | None, error: BaseException | None, _traceback: Any) -> None:
        dialect = self.engine.dialect
        try:
            self.cursor.close()
            if isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
                error, self.connection.dbapi_connection, None
            ):
                self.connection.invalidate(error)
                raise LostConnectionError from error
        finally:
            self.connection.close()


def compile_for_cursor(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> SQLCompiler | None:
    """`statement` compiled for `dialect`, or None when its parameters need more than a DBAPI cursor.

    That is when a type converts values on their way in (a TypeDecorator), when the dialect wants
    positional parameters (SQLite), or when SQLAlchemy renders some parameters at execution time
    (expanding IN lists): those are SQLAlchemy's to do.
    """
    compiled = statement.compile(dialect=dialect)
    if dialect.positional or compiled.literal_execute_params or compiled.post_compile_params:
        return None
    converts = any(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in compiled.binds.values())
    return None if converts else compiled


def converts_results(
    statement: Select[*tuple[Any, ...]], dialect: Dialect, description: Sequence[Sequence[Any]]
) -> bool:
    """Whether a selected column's type converts what the driver returns, as the driver described it.

    Some types decide by the driver's own type code (psycopg2's NUMERIC or FLOAT), so this can only be
    told once a cursor has run the statement.
    """
    return any(
        column.type.dialect_impl(dialect).result_processor(dialect, described[1])
        for column, described in zip(statement.selected_columns, description, strict=True)
    )


# A Read not yet run on this engine.
_UNPLANNED: Any = object()


class Read:
    """A SELECT on a hot read path: `Read(select(...)).rows(limit=20)`, `.row(item_id=1)`.

    SQLAlchemy builds and compiles the statement (once per engine), owns the pool and classifies
    errors; the statement then runs straight on a DBAPI cursor, which skips the per-execution work
    of a Connection and a Result. That work, not the round trip, is most of what a one-row read
    costs a worker. Rows come back as plain tuples in the order of the selected columns.

    A statement whose values need converting (`compile_for_cursor`, `converts_results`) runs on a
    Connection instead, and so does a read whose connection turned out to be dead: SQLAlchemy then
    replaces the pool and reports the error exactly as for any other statement. Reads on a cursor
    fire no `before_cursor_execute` events. Build Reads once, at import time: each keeps one
    compiled form per engine.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement

    def rows(self, **params: Any) -> Sequence[tuple[Any, ...]]:
        """Every row the statement selects."""
        rows: Sequence[tuple[Any, ...]] = self._run(params, one=False)
        return rows

    def row(self, **params: Any) -> tuple[Any, ...] | None:
        """The first row, or None."""
        row: tuple[Any, ...] | None = self._run(params, one=True)
        return row

    def _run(self, params: dict[str, Any], *, one: bool) -> Any:
        state: DatabaseState = current_app.extensions["database"]
        plans = state.read_plans
        compiled = plans.get(self, _UNPLANNED)
        if compiled is _UNPLANNED:
            compiled = compile_for_cursor(self.statement, state.engine.dialect)
            if compiled is None:
                plans[self] = None
        if compiled is not None:
            try:
                with state.read_cursor() as cursor:
                    cursor.execute(compiled.string, compiled.construct_params(params))
                    if self not in plans:  # The first run: the driver has just described the columns.
                        converts = converts_results(self.statement, state.engine.dialect, cursor.description)
                        plans[self] = None if converts else compiled
                    if plans[self] is not None:
                        return cursor.fetchone() if one else cursor.fetchall()
            except LostConnectionError:
                pass  # Once more on a Connection, which gets a fresh one or reports the outage.
        with state.read_connection() as connection:
            result = connection.execute(self.statement, params)
            return result.first() if one else result.all()


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
            read_cursor=partial(PooledCursor, engine),
        )
        app.teardown_appcontext(self._close_session)

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
