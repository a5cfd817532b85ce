"""Reports (#19): the rollup of the metric facts per local day and month, metric and one
dimension, with log-scale histograms, and its watermark (decision 0029, docs/reports.md).

The rollup starts empty with its watermark at 0: the reports read the raw facts above the
watermark, so they stay exact until the worker's ``report_rollup`` sweep (or
``atende reports rollup --rebuild``) has caught up.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_HIST = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "metric_rollups",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("span", sa.String(5), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("dim", sa.String(10), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("seconds", sa.BigInteger, nullable=False),
        sa.Column("business_seconds", sa.BigInteger, nullable=False),
        sa.Column("met", sa.BigInteger, nullable=False),
        sa.Column("hist_s", _HIST, nullable=False),
        sa.Column("hist_b", _HIST, nullable=False),
    )
    op.create_index(
        "ux_metric_rollups_cell",
        "metric_rollups",
        ["dim", "span", "day", "metric", "key"],
        unique=True,
    )
    state = op.create_table(
        "metric_rollup_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("pending", sa.JSON, nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "last_id": 0, "pending": [], "zone": "America/Sao_Paulo"}])


def downgrade() -> None:
    op.drop_table("metric_rollup_state")
    op.drop_index("ux_metric_rollups_cell", table_name="metric_rollups")
    op.drop_table("metric_rollups")
