"""The database extension: one pooled engine per app and one session per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import SERVICE_NAME, Settings, ensure_sqlite_directory

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
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,  # A connection dropped by a failover or idle timeout is replaced.
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


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks savepoints; let SQLAlchemy emit BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


@dataclass
class DatabaseState:
    """What one app holds: its engine and the factory of its sessions."""

    engine: Engine
    sessions: sessionmaker[Session]


class Database:
    """Attached with `init_app`; `db.session` is the current request's session."""

    def init_app(self, app: Flask, settings: Settings) -> None:
        engine = build_engine(settings)
        app.extensions["database"] = DatabaseState(
            engine=engine, sessions=sessionmaker(bind=engine, expire_on_commit=False)
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
            g.db_session = self.state().sessions()
        session: Session = g.db_session
        return session

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
