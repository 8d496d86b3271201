"""The database extension: one pooled SQLAlchemy engine per app and one Session per request.

- Read-only unless a request may write, on PostgreSQL: every connection starts with
  `default_transaction_read_only=on`. Requests with safe methods (GET, HEAD, OPTIONS) run in
  autocommit, each statement its own read-only transaction, so a read costs one round trip and a
  view that writes by mistake fails with nothing stored. Other requests get a transaction that
  starts with `SET TRANSACTION READ WRITE`. Nothing is ever retried: a failed request fails, and
  the client decides.
- Pinging (`check_on_checkout`): a connection leaving the pool is replaced when the server has
  ended its session (a restart, a failover, a rotation ending sessions, an idle timeout): the
  server's goodbye has made its socket readable, which a zero-timeout `select` sees without a
  round trip. One idle longer than PING_AFTER_IDLE_SECONDS also gets a `SELECT 1`, for networks
  that drop connections silently. SQLAlchemy's `pool_pre_ping` would pay a round trip on every
  request, doubling a one-row read's. A connection that dies mid-request still fails that request
  (503), and the next one gets a fresh connection.
- Reads (`db.connection`): the hot reads are SQLAlchemy Core statements built once at import, their
  rows validated by the response's pydantic model; a read request without a session runs them on a
  pooled connection of its own. On a one-row GET, a `Session` and the ORM's loading cost more CPU
  than everything else the app adds (the template's benchmark, `nox -s bench`, measures it). Writes
  change ORM objects through `db.session`, where identity, flush order and `onupdate` earn their
  cost. Either works in any request, and both share the request's one connection.
- The one shortcut (`db.first_row`): a read by key, the one-row GET, runs its Core statement,
  compiled once, on a psycopg2 cursor instead of through SQLAlchemy's execution (events, execution
  context, result object), and a read without a connection yet borrows a pooled one for that one
  statement instead of opening a `Connection` for the request. That saves ~140 µs of CPU per read,
  about a quarter of the request's, and took the benchmark's one-row read from 0.62 to 0.73 of bare
  psycopg2's rate (docs/reliability.md). The row comes back as psycopg2 returns it, without
  SQLAlchemy's type processing (plain columns only); its SQL gets a trace span of its own.
  Everything else goes through SQLAlchemy.
- Credentials are asked for per new connection (`database_secret.py`): IAM tokens for the app's role,
  or the secret's password, re-read once when the server rejects it, so a rotation needs no restart.
"""

from __future__ import annotations

import functools
import logging
import select
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack, closing, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import Select, TextClause
from sqlalchemy.sql.compiler import SQLCompiler

from .database_secret import Credentials, CredentialsError, credentials_for, is_authentication_failure
from .observability import sql_span, trace_engine
from .settings import SERVICE_NAME, Settings

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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


def database_url(settings: Settings, instance_path: str | Path) -> URL:
    """DATABASE_URL; or DATABASE_HOST's database (credentials come per connection); or, in development,
    a SQLite file in the app's instance folder (an absolute path, whatever the working directory)."""
    if settings.database_url:
        return make_url(settings.database_url)
    if settings.database_host:
        return URL.create(
            "postgresql+psycopg2",
            host=settings.database_host,
            port=settings.database_port,
            database=settings.database_name,
        )
    return URL.create("sqlite", database=str(Path(instance_path).resolve() / "dev.sqlite3"))


def connect_args(settings: Settings, *, migration: bool = False) -> dict[str, Any]:
    """psycopg2's connection arguments: timeouts, the application name, and TLS to RDS."""
    options = [
        f"-c statement_timeout={settings.database_statement_timeout_ms}",
        f"-c lock_timeout={settings.database_lock_timeout_ms}",
        "-c default_transaction_read_only=on",  # Writes ask for it (see _read_write).
    ]
    if migration:
        # A migration waits for its locks no longer than this, then fails rather than queueing
        # every request behind it; its own statements may take as long as they need.
        options = [f"-c lock_timeout={settings.database_lock_timeout_ms}", "-c statement_timeout=0"]
    args: dict[str, Any] = {
        "connect_timeout": settings.database_connect_timeout,
        "options": " ".join(options),
        "application_name": SERVICE_NAME + ("-migration" if migration else ""),
    }
    if settings.database_ca_bundle and settings.database_host:  # RDS; not a local DATABASE_URL.
        args.update(sslmode="verify-full", sslrootcert=settings.database_ca_bundle)
    return args


def build_engine(
    settings: Settings, instance_path: str | Path, credentials: Credentials | None = None, *, migration: bool = False
) -> Engine:
    """A pooled engine with the settings' timeouts; no connection is opened here."""
    url = database_url(settings, instance_path)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": settings.database_connect_timeout})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
        return engine
    engine = create_engine(
        url,
        # Reads run in autocommit; a request that may write asks for a transaction (WRITES). The
        # default is the reads' because switching a psycopg2 connection's level costs a round trip.
        isolation_level="AUTOCOMMIT",
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_connect_timeout,
        # Recycled before RDS IAM tokens or proxies would end them; also spreads reconnects.
        pool_recycle=1800,
        connect_args=connect_args(settings, migration=migration),
    )
    if credentials is not None:
        event.listen(engine, "do_connect", _logging_in_with(credentials))
    if not migration:
        event.listen(engine, "begin", _read_write)
    check_on_checkout(engine)
    return engine


# A pooled connection idle for longer than this gets a real ping before it is used again.
PING_AFTER_IDLE_SECONDS = 30.0


def check_on_checkout(engine: Engine) -> None:
    """Replace, as it leaves the pool, a connection the server has ended (see the module's docstring)."""
    dbapi_error = engine.dialect.loaded_dbapi.Error

    def remember_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in"] = time.monotonic()

    def check(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None:
            return  # Opened just now.
        # An idle connection has nothing to read unless the server has said goodbye (or closed it).
        ended, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
        if ended:
            raise DisconnectionError("the server ended this pooled connection")
        if time.monotonic() - checked_in > PING_AFTER_IDLE_SECONDS:
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except dbapi_error as error:
                raise DisconnectionError("an idle pooled connection failed its ping") from error

    event.listen(engine, "checkin", remember_checkin)
    # DisconnectionError from a checkout listener makes the pool open a fresh connection instead.
    event.listen(engine, "checkout", check)


# The execution options of a connection that may write: a transaction, read-write.
WRITES = {"isolation_level": "READ COMMITTED"}


def _read_write(connection: Connection) -> None:
    # Only a transaction asked for with WRITES is read-write; autocommit reads stay read-only.
    if connection.get_execution_options().get("isolation_level") == WRITES["isolation_level"]:
        connection.exec_driver_sql("SET TRANSACTION READ WRITE")


def _logging_in_with(credentials: Credentials) -> Any:
    def do_connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        used = credentials.current()
        cparams.update(used)
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as error:
            # Rejected: the password may have been rotated. Ask once for fresh credentials.
            if not is_authentication_failure(error) or not credentials.refresh(used):
                raise
            cparams.update(credentials.current())
            return dialect.connect(*cargs, **cparams)

    return do_connect


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks savepoints; SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass
class DatabaseState:
    """What one app holds: its engine and the factories of its sessions."""

    engine: Engine  # On PostgreSQL, autocommit and read-only: reads.
    write_engine: Engine  # The same pool, in read-write transactions.
    sessions: sessionmaker[Session]  # On write_engine.
    # Opens the connection of a read without a session: engine.connect (in the tests, their transaction's).
    read_connection: Callable[[], AbstractContextManager[Connection]]
    read_sessions: sessionmaker[Session]  # Autocommit, read-only statements: for safe methods.
    # Lends `first_row` a pooled DBAPI connection for one statement (in the tests, their transaction's).
    borrow_connection: Callable[[], AbstractContextManager[PoolProxiedConnection]]


@dataclass(frozen=True)
class DatabaseProblem:
    """How a database error is answered: status, a stable code, a message, and when to retry."""

    status: int
    code: str
    message: str
    retry_after: int | None = 1


# SQLSTATEs (PostgreSQL's error codes) that are the database's state, not the request's fault.
_BY_SQLSTATE = {
    "57014": DatabaseProblem(504, "database_timeout", "The database did not answer in time."),
    "55P03": DatabaseProblem(503, "database_busy", "The data is locked by another request; retry shortly."),
    "40P01": DatabaseProblem(503, "database_busy", "The request met a deadlock; retry shortly."),
    "40001": DatabaseProblem(503, "database_busy", "The request conflicted with another; retry shortly."),
}
UNAVAILABLE = DatabaseProblem(503, "database_unavailable", "The database is unavailable; retry shortly.")
AUTHENTICATION = DatabaseProblem(
    503, "database_authentication_failed", "The service cannot log in to its database; retry shortly."
)
POOL_EXHAUSTED = DatabaseProblem(503, "database_busy", "Every database connection is busy; retry shortly.")
# SQLite (development) raises OperationalError for its file's state and for mistakes alike ("no such
# table" is SQLITE_ERROR): only the file's state is answered as the database's; a mistake stays a 500.
_BY_SQLITE_ERROR = {
    "SQLITE_BUSY": DatabaseProblem(503, "database_busy", "The database file is locked; retry shortly."),
    "SQLITE_CANTOPEN": UNAVAILABLE,
    "SQLITE_IOERR": UNAVAILABLE,
}


def classify(error: BaseException) -> DatabaseProblem | None:
    """The answer to a database error, logged with the database's own message; None if not the database's."""
    if isinstance(error, PoolTimeoutError):
        problem: DatabaseProblem | None = POOL_EXHAUSTED
        detail = "connection pool exhausted"
    elif isinstance(error, CredentialsError):
        problem, detail = UNAVAILABLE, str(error)
    else:
        original: BaseException = error.orig if isinstance(error, DBAPIError) and error.orig else error
        sqlstate = getattr(original, "pgcode", None)
        # The server's message names the role and host, never the password.
        detail = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
        if sqlstate in _BY_SQLSTATE:
            problem = _BY_SQLSTATE[sqlstate]
        elif is_authentication_failure(original):
            problem = AUTHENTICATION
        elif isinstance(error, DBAPIError) and error.connection_invalidated:
            problem = UNAVAILABLE
        elif type(original).__module__ == "sqlite3":
            problem = _BY_SQLITE_ERROR.get(getattr(original, "sqlite_errorname", None) or "")
        else:
            dbapi = type(original).__module__.split(".")[0]
            operational = type(original).__name__ in ("OperationalError", "InterfaceError")
            problem = UNAVAILABLE if operational and dbapi == "psycopg2" else None
        if problem is not None and sqlstate:
            detail = f"{sqlstate}: {detail}"
    if problem is not None:
        logger.warning("database error: %s", detail, extra={"code": problem.code})
    return problem


class Database:
    """Attached with `init_app`; `db.session` is the current request's session."""

    def init_app(self, app: Flask, settings: Settings) -> None:
        engine = build_engine(settings, app.instance_path, credentials_for(settings))
        trace_engine(app, engine)
        write_engine = engine
        if engine.dialect.name == "postgresql":
            write_engine = engine.execution_options(**WRITES)
        app.extensions["database"] = DatabaseState(
            engine=engine,
            write_engine=write_engine,
            sessions=sessionmaker(bind=write_engine, expire_on_commit=False),
            read_sessions=sessionmaker(bind=engine, expire_on_commit=False),
            read_connection=engine.connect,
            borrow_connection=lambda: closing(engine.raw_connection()),
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def state(app: Flask | None = None) -> DatabaseState:
        """The engine and session factories of `app` (default: the current app)."""
        state: DatabaseState = (app or current_app).extensions["database"]
        return state

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def session(self) -> Session:
        """The session of the current application context, created on first use."""
        if "db_session" not in g:
            state = self.state()
            if not _reading():
                g.db_session = state.sessions()
            elif "db_connection" in g:  # A read that has its connection already: the session joins it.
                g.db_session = state.read_sessions(bind=g.db_connection)
            else:
                g.db_session = state.read_sessions()
        session: Session = g.db_session
        return session

    @property
    def connection(self) -> Connection:
        """The request's connection, for SQLAlchemy Core statements.

        Its session's (the same transaction) when it has one or may write; for a read without one, a
        pooled connection of its own, closed when the request ends.
        """
        if "db_session" in g or not _reading():
            return self.session.connection()
        if "db_connection" not in g:
            g.db_cleanup = ExitStack()
            g.db_connection = g.db_cleanup.enter_context(self.state().read_connection())
        connection: Connection = g.db_connection
        return connection

    def first_row(self, statement: Select[Any] | TextClause, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of a read `statement` as a dict of its columns, or None: the module's "one shortcut".

        On the request's connection when it has one (so in its transaction); in a read that has none,
        on a pooled connection borrowed for this statement only. Off PostgreSQL, an ordinary `execute`.
        """
        state = self.state()
        dialect = state.engine.dialect
        compiled = _compiled(statement, dialect)
        if dialect.name != "postgresql":
            row = self.connection.execute(statement, params).first()
            return row._asdict() if row is not None else None
        borrowed = _reading() and "db_session" not in g and "db_connection" not in g
        with state.borrow_connection() if borrowed else nullcontext(self.connection.connection) as pooled:
            cursor = pooled.cursor()
            try:
                with sql_span(current_app, compiled.string, state.engine.url.database):
                    cursor.execute(compiled.string, compiled.construct_params(params))
                row = cursor.fetchone()
                names = [column[0] for column in cursor.description]
            except dialect.loaded_dbapi.Error as error:
                # What SQLAlchemy's execution would do: a connection that died is not pooled again.
                if dialect.is_disconnect(error, pooled.dbapi_connection, cursor):
                    (pooled if borrowed else self.connection).invalidate(error)
                raise
            finally:
                cursor.close()
        return dict(zip(names, row, strict=True)) if row is not None else None

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()
        g.pop("db_connection", None)
        cleanup: ExitStack | None = g.pop("db_cleanup", None)
        if cleanup is not None:
            cleanup.close()


# Keyed by the statement object: meant for statements built once at import; bounded, so one built
# per request costs its compilation each time but cannot grow the cache.
@functools.lru_cache(maxsize=64)
def _compiled(statement: Select[Any] | TextClause, dialect: Dialect) -> SQLCompiler:
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        # Their SQL is only finished at execution (an IN list, for one).
        raise ValueError("db.first_row cannot run a statement with expanding parameters; use db.connection.execute")
    return compiled


def _reading() -> bool:
    return has_request_context() and request.method in SAFE_METHODS


db = Database()
