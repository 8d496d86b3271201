"""The tables' defaults, and stored moments as the API reports them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

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
    insert = text("INSERT INTO items (name, created_at, updated_at) VALUES ('raw', :now, :now)")
    db.execute(insert, {"now": datetime.now(UTC)})
    assert db.execute(text("SELECT description, quantity FROM items WHERE name = 'raw'")).one() == ("", 0)
