"""The tables' defaults, and stored moments as the API reports them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.db import Base
from {{ cookiecutter.package_name }}.items import ItemOut
from {{ cookiecutter.package_name }}.models import Item


def item(moment: datetime) -> Item:
    return Item(id=1, name="n", description="", quantity=0, created_at=moment, updated_at=moment)


def test_naive_timestamps_are_reported_as_utc() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)  # noqa: DTZ001  (what SQLite hands back)
    assert ItemOut.model_validate(item(naive)).model_dump(mode="json")["created_at"] == "2026-01-02T03:04:05Z"


def test_aware_timestamps_are_kept() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ItemOut.model_validate(item(moment)).model_dump(mode="json")["updated_at"] == "2026-01-02T03:04:05Z"


def test_rows_written_in_sql_get_the_declared_defaults(db: Session) -> None:
    db.execute(text("INSERT INTO items (name) VALUES ('raw')"))
    row = db.execute(text("SELECT description, quantity, created_at, updated_at FROM items WHERE name = 'raw'")).one()
    assert row[:2] == ("", 0)
    stored = ItemOut.model_validate({"id": 1, "name": "raw", "description": "", "quantity": 0, **row._mapping})
    assert stored.created_at == stored.updated_at
    assert abs(datetime.now(UTC) - stored.created_at).total_seconds() < 60


def test_the_models_server_defaults_are_the_migrations(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("Alembic compares SQLite's server defaults as raw text ('' against \"\"); PostgreSQL's are exact")
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
