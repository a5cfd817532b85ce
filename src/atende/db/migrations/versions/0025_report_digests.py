"""The weekly e-mail digest of the reports (#19): one subscription row per supervisor.

Revision ID: 0025
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0025"
down_revision: str | None = "0022"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_digests",
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("weekly", sa.Boolean(), nullable=False),
        sa.Column("last_week", sa.Date(), nullable=True),
        sa.Column("updated_at", When, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_digests")
