"""Migrations: the real `alembic` command up (and down, in-process), and no drift from the models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.db import Base

from .conftest import ALEMBIC_INI, PROJECT_ROOT

NewDatabase = Callable[[], AbstractContextManager[str]]


def alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `alembic` command line from the project root, configured like the app."""
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": url}
    command = [str(Path(sys.executable).with_name("alembic")), *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_alembic_upgrade_and_downgrade_for_real(new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    with new_database() as url:
        upgraded = alembic(url, "upgrade", "head")
        assert upgraded.returncode == 0, upgraded.stderr
        assert {"items", "alembic_version"} <= tables(url)
        # Down in this process, configured the same way (the environment): a second `alembic`
        # process would cost its seconds of imports again and test nothing more.
        monkeypatch.setenv("APP_ENV", "test")
        monkeypatch.setenv("DATABASE_URL", url)
        command.downgrade(alembic_config(), "base")
        assert "items" not in tables(url)


def test_alembic_reports_bad_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nobody@nowhere/db")
    with pytest.raises(SystemExit, match="DATABASE_URL='mysql://nobody@nowhere/db': uses 'mysql'"):
        command.upgrade(alembic_config(), "head")


def test_models_match_the_migrations(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_offline_sql_can_be_rendered(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal/app")
    command.upgrade(alembic_config(), "head", sql=True)
    assert "CREATE TABLE items" in capsys.readouterr().out


def alembic_config() -> Config:
    """The project's Alembic configuration, as the `alembic` command reads it."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logging"] = False
    return config
