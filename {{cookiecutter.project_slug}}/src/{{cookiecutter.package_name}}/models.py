"""The tables. The API's schemas live beside their routes (items.py); these are what is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, func
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
    # server_default as well: rows written outside the app (SQL, a migration) get the same defaults.
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX), default="", server_default="")
    quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
