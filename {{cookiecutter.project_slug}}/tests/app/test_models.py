"""The model's JSON form."""

from __future__ import annotations

from datetime import UTC, datetime

from {{ cookiecutter.package_name }}.models import Item


def test_naive_timestamps_are_reported_as_utc() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)  # noqa: DTZ001  (what SQLite hands back)
    item = Item(id=1, name="n", description="", quantity=0, created_at=naive, updated_at=naive)
    assert item.to_dict()["created_at"] == "2026-01-02T03:04:05+00:00"


def test_aware_timestamps_are_kept() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = Item(id=1, name="n", description="", quantity=0, created_at=moment, updated_at=moment)
    assert item.to_dict()["updated_at"] == "2026-01-02T03:04:05+00:00"
