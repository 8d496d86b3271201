"""The sample resource's table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base

NAME_MAX = 100
DESCRIPTION_MAX = 1000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Item(Base):
    """An item: a uniquely named thing with a quantity."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="")
    quantity: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        """The JSON representation the API returns."""
        return item_json(self.id, self.name, self.description, self.quantity, self.created_at, self.updated_at)


# The table's columns in the order of `item_json`'s parameters, for Core reads (see items.py).
ITEM_COLUMNS = tuple(
    Item.__table__.c[name] for name in ("id", "name", "description", "quantity", "created_at", "updated_at")
)


def item_json(
    id: int,
    name: str,
    description: str,
    quantity: int,
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, Any]:
    """The JSON representation of an item, from an instance's attributes or a row of ITEM_COLUMNS."""
    return {
        "id": id,
        "name": name,
        "description": description,
        "quantity": quantity,
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at),
    }


def _iso(moment: datetime) -> str:
    # SQLite drops the zone; every stored moment is UTC, so say so explicitly.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()
