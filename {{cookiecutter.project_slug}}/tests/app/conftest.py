"""Fixtures of the app tests.

The run uses PostgreSQL when TEST_DATABASE_URL is set (a fresh database `test_<random>` is created
on that server and dropped at the end, so parallel runs never meet) and a SQLite file otherwise;
REQUIRE_POSTGRES=1 makes the SQLite fallback an error. The schema is built with the Alembic
migrations, so every run tests them. Each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.settings import ENVIRONMENT_KEYS, with_driver

from ..conftest import USED_DATABASES
from .oidc import AUDIENCE, Issuer, serve_issuer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def migrate(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations against `url`, as `alembic upgrade` would."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server of `admin_url`, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    server = with_driver(make_url(admin_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        shown = server.render_as_string(hide_password=True)
        pytest.exit(f"TEST_DATABASE_URL={shown} is unreachable: {error.orig}", returncode=1)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


NewDatabase = Callable[[], AbstractContextManager[str]]


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> NewDatabase:
    """Makes empty databases of the kind this run uses (PostgreSQL or SQLite)."""
    admin_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not admin_url and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.exit("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set.", returncode=1)

    @contextmanager
    def make() -> Iterator[str]:
        if admin_url:
            with postgres_database(admin_url) as url:
                yield url
        else:
            yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"

    return make


@pytest.fixture(scope="session")
def database_url(new_database: NewDatabase) -> Iterator[str]:
    """The run's database, migrated to the newest revision."""
    with new_database() as url:
        USED_DATABASES.append(make_url(url).render_as_string(hide_password=True))
        migrate(url)
        yield url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the shell running the tests."""
    for key in ENVIRONMENT_KEYS:
        monkeypatch.delenv(key, raising=False)


@contextmanager
def logging_kept() -> Iterator[None]:
    """Puts the root logger's handlers and level back as they were when the block ends."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def logging_as_found() -> Iterator[None]:
    """create_app sends every logger to stdout as JSON; put logging back so later tests (tasks/) see
    only their own output."""
    with logging_kept():
        yield


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """The tests' OIDC issuer: a local key whose JWKS is served on loopback."""
    with serve_issuer() as issuer:
        yield issuer


@pytest.fixture
def auth_settings(issuer: Issuer) -> dict[str, str]:
    """Settings that make an app trust the tests' issuer."""
    return {"OIDC_ISSUER_URL": issuer.url, "OIDC_JWKS_URL": issuer.jwks_url, "OIDC_AUDIENCE": AUDIENCE}


@pytest.fixture(scope="module")
def app(database_url: str, issuer: Issuer) -> Iterator[Flask]:
    """The app of a test module, shared by its tests (building one for each test cost a third of the
    app tests' time). Tests must not change it: one that adds a route or a hook, or swaps a view,
    builds its own with `make_app`. `db` puts back what it binds."""
    with logging_kept():
        app = create_app(
            {
                "APP_ENV": "test",
                "DATABASE_URL": database_url,
                "ENABLE_TEST_ROUTES": "1",
                "TESTING": True,
                "OIDC_ISSUER_URL": issuer.url,
                "OIDC_JWKS_URL": issuer.jwks_url,
                "OIDC_AUDIENCE": AUDIENCE,
            }
        )
        views = dict(app.view_functions)
        yield app
        Database.state(app).engine.dispose()
    # Flask refuses new routes and hooks once an app has served a request, but not a swapped view.
    assert app.view_functions == views, "a test changed the module's app; it should build its own (make_app)"


MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(database_url: str, auth_settings: dict[str, str]) -> Iterator[MakeApp]:
    """Builds extra apps (test database and issuer unless overridden); their pools are closed afterwards."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        made.append(create_app({"APP_ENV": "test", "DATABASE_URL": database_url, **auth_settings, **overrides}))
        return made[-1]

    yield make
    for made_app in made:
        Database.state(made_app).engine.dispose()


@pytest.fixture
def db(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    The app's own sessions join the same connection through savepoints, so its commits are seen
    by the test and undone with everything else. The app's factories are bound back afterwards.
    """
    state = Database.state(app)
    connection = state.write_engine.connect()
    transaction = connection.begin()
    for factory in (state.sessions, state.read_sessions):
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    # Reads see the test's rows; the connection stays open.
    monkeypatch.setattr(state, "read_connection", lambda: nullcontext(connection))
    monkeypatch.setattr(state, "borrow_connection", lambda: nullcontext(connection.connection))
    session = state.sessions()
    yield session
    session.close()
    transaction.rollback()
    connection.close()
    # As Database.init_app made them (SQLAlchemy's default join mode).
    state.sessions.configure(bind=state.write_engine, join_transaction_mode="conservative_savepoint")
    state.read_sessions.configure(bind=state.engine, join_transaction_mode="conservative_savepoint")


@pytest.fixture
def client(app: Flask, db: Session, issuer: Issuer) -> FlaskClient:
    """A client that sends a valid bearer token with every request (`anonymous` sends none)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issuer.token()}"
    return client


@pytest.fixture
def anonymous(app: Flask, db: Session) -> FlaskClient:
    """A client without a token."""
    return app.test_client()
