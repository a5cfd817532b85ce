"""Reports (#19): the metric facts written when things happen, and each ticket's measuring state
(docs/metrics.md).

Revision ID: 0020
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metric_facts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", _ID, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("agent_id", _ID),
        sa.Column("queue_id", _ID),
        sa.Column("organization_id", _ID),
        sa.Column("plan_id", _ID),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("ended_at", _AT, nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("business_seconds", sa.Integer, nullable=False),
        sa.Column("met", sa.Boolean),
    )
    op.create_index("ix_metric_facts_metric_ended", "metric_facts", ["metric", "ended_at"])
    op.create_index(
        "ix_metric_facts_agent_metric_ended", "metric_facts", ["agent_id", "metric", "ended_at"]
    )
    op.create_index(
        "ix_metric_facts_queue_metric_ended", "metric_facts", ["queue_id", "metric", "ended_at"]
    )
    op.create_index(
        "ix_metric_facts_org_metric_ended",
        "metric_facts",
        ["organization_id", "metric", "ended_at"],
    )
    op.create_index("ix_metric_facts_ticket", "metric_facts", ["ticket_id"])
    op.create_table(
        "ticket_metric_state",
        sa.Column(
            "ticket_id", _ID, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("state", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_metric_state")
    op.drop_index("ix_metric_facts_ticket", "metric_facts")
    op.drop_index("ix_metric_facts_org_metric_ended", "metric_facts")
    op.drop_index("ix_metric_facts_queue_metric_ended", "metric_facts")
    op.drop_index("ix_metric_facts_agent_metric_ended", "metric_facts")
    op.drop_index("ix_metric_facts_metric_ended", "metric_facts")
    op.drop_table("metric_facts")
