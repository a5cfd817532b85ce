"""The front-door bot on WhatsApp and Telegram, their per-sender limit and WhatsApp's
templates synced from Meta (#17, #18): a channel's bot flow and WhatsApp Business Account id,
when its templates were last read from Meta, a bot menu's buttons on an outbound message, and
the bot's run on a ticket of another channel than the widget.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messaging_channels") as batch:
        batch.add_column(sa.Column("bot_flow_key", sa.String(80), nullable=True))
        batch.add_column(sa.Column("waba_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("templates_synced_at", When, nullable=True))
    with op.batch_alter_table("channel_messages") as batch:
        batch.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
    op.create_table(
        "bot_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("bot_flow_id", BigId, sa.ForeignKey("bot_flows.id", ondelete="SET NULL")),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("bot_node", sa.String(80)),
        sa.Column("bot_retries", sa.Integer(), nullable=False),
        sa.Column("bot_vars", sa.JSON(), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("ended_at", When),
        sa.Column("ended_by", sa.String(20), nullable=False),
        sa.UniqueConstraint("ticket_id", name="uq_bot_runs_ticket"),
        sa.CheckConstraint("state IN ('bot', 'waiting')", name="ck_bot_runs_state"),
    )


def downgrade() -> None:
    op.drop_table("bot_runs")
    with op.batch_alter_table("channel_messages") as batch:
        batch.drop_column("buttons")
    with op.batch_alter_table("messaging_channels") as batch:
        batch.drop_column("templates_synced_at")
        batch.drop_column("waba_id")
        batch.drop_column("bot_flow_key")
