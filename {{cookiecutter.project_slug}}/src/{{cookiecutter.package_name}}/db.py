"""The database extension: one pooled SQLAlchemy engine per app and one Session per request.

- Requests with safe methods (GET, HEAD, OPTIONS) run in read-only transactions on PostgreSQL
  (`BEGIN READ ONLY`): a view that writes by mistake fails, and nothing is stored. Nothing is
  ever retried: a failed request fails, and the client decides.
- Pinging: `pool_pre_ping` runs `SELECT 1` on each connection as it leaves the pool, so a
  connection the server dropped (failover, restart, rotation ending sessions) is replaced before a
  request uses it. It costs one round trip per request; a connection that dies mid-request still
  fails that request (503), and the next one gets a fresh connection.
- Credentials are asked for per new connection (`database_secret.py`): IAM tokens for the app's role,
  or the secret's password, re-read once when the server rejects it, so a rotation needs no restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .database_secret import Credentials, CredentialsError, credentials_for, is_authentication_failure
from .observability import trace_engine
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
    options = [f"-c statement_timeout={settings.database_statement_timeout_ms}"]
    options.append(f"-c lock_timeout={settings.database_lock_timeout_ms}")
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
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_connect_timeout,
        pool_pre_ping=True,
        # Recycled before RDS IAM tokens or proxies would end them; also spreads reconnects.
        pool_recycle=1800,
        connect_args=connect_args(settings, migration=migration),
    )
    if credentials is not None:
        event.listen(engine, "do_connect", _logging_in_with(credentials))
    return engine


def _logging_in_with(credentials: Credentials) -> Any:
    def do_connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        cparams.update(credentials.current())
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as error:
            # Rejected: the password may have been rotated. Ask once for fresh credentials.
            if not is_authentication_failure(error) or not credentials.refresh():
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

    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]  # Read-only transactions, for safe methods.


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
        else:
            dbapi = type(original).__module__.split(".")[0]
            operational = type(original).__name__ in ("OperationalError", "InterfaceError")
            problem = UNAVAILABLE if operational and dbapi in ("psycopg2", "sqlite3") else None
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
        read_engine = engine
        if engine.dialect.name == "postgresql":
            read_engine = engine.execution_options(postgresql_readonly=True)
        app.extensions["database"] = DatabaseState(
            engine=engine,
            sessions=sessionmaker(bind=engine, expire_on_commit=False),
            read_sessions=sessionmaker(bind=read_engine, expire_on_commit=False),
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
            reading = has_request_context() and request.method in SAFE_METHODS
            g.db_session = (state.read_sessions if reading else state.sessions)()
        session: Session = g.db_session
        return session

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
