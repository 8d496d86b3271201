"""`flask db-upgrade` migrates the app's database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .conftest import ALEMBIC_INI


def test_db_upgrade_creates_the_schema(
    new_database: Callable[[], AbstractContextManager[str]], make_app: Callable[..., Flask]
) -> None:
    with new_database() as url:
        app = make_app(DATABASE_URL=url)
        result = app.test_cli_runner().invoke(args=["db-upgrade", "--config", str(ALEMBIC_INI)])
        assert result.exit_code == 0, result.output
        assert "database upgraded to head" in result.output
        engine = create_engine(url, poolclass=NullPool)
        assert "items" in inspect(engine).get_table_names()
        engine.dispose()


def test_db_upgrade_names_a_missing_config(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    missing = tmp_path / "alembic.ini"
    result = make_app().test_cli_runner().invoke(args=["db-upgrade", "--config", str(missing)])
    assert result.exit_code == 1
    assert f"{missing} does not exist; run from the project root or pass --config." in result.output


def test_db_upgrade_creates_and_grants_the_apps_own_role(
    new_database: Callable[[], AbstractContextManager[str]], make_app: Callable[..., Flask]
) -> None:
    role = f"app_{uuid.uuid4().hex[:12]}"
    with new_database() as url:
        if not url.startswith("postgresql"):
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): roles and grants")
        app = make_app(DATABASE_URL=url, DATABASE_USER=role)
        for _ in range(2):  # Idempotent: every deploy runs it.
            result = app.test_cli_runner().invoke(args=["db-upgrade", "--config", str(ALEMBIC_INI)])
            assert result.exit_code == 0, result.output
            assert f"role {role} granted" in result.output
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            rights = connection.execute(
                text(
                    "SELECT rolcanlogin, rolsuper,"
                    " has_table_privilege(:role, 'items', 'SELECT, INSERT, UPDATE, DELETE'),"
                    " has_table_privilege(:role, 'items', 'TRUNCATE') FROM pg_roles WHERE rolname = :role"
                ),
                {"role": role},
            ).one()
        engine.dispose()
        assert tuple(rights) == (True, False, True, False)
    admin = create_engine(make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()
