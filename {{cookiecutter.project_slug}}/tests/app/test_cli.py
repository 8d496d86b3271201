"""`flask db-upgrade` migrates the app's database."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, inspect
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
