"""Give created_at and updated_at the server default now(), like the other columns' defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPS = ("created_at", "updated_at")


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column's default in place; PostgreSQL gets plain ALTERs.
    with op.batch_alter_table("items") as batch:
        for column in TIMESTAMPS:
            batch.alter_column(column, existing_type=sa.DateTime(timezone=True), server_default=sa.func.now())


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for column in TIMESTAMPS:
            batch.alter_column(column, existing_type=sa.DateTime(timezone=True), server_default=None)
