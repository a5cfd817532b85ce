"""Saved views of the console's ticket list (#16).

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.String(2000), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_views")
