"""Live chat (#18): widgets, visitors, chats, the client ids of visitors' messages, bot flows.

Revision ID: 0019
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0019"
down_revision: str | None = "0021"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_widgets",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("text_color", sa.String(7), nullable=False),
        sa.Column("greeting", sa.String(500), nullable=False),
        sa.Column("calendar_id", BigId, sa.ForeignKey("calendars.id", ondelete="SET NULL")),
        sa.Column("queue_id", BigId, sa.ForeignKey("queues.id", ondelete="SET NULL")),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("prechat", sa.String(10), nullable=False),
        sa.Column("bot_flow_key", sa.String(80)),
        sa.Column("inactivity_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.CheckConstraint(
            "prechat IN ('email', 'phone', 'either')", name="ck_chat_widgets_prechat"
        ),
        sa.UniqueConstraint("key", name="uq_chat_widgets_key"),
    )
    op.create_table(
        "chat_visitors",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "widget_id",
            BigId,
            sa.ForeignKey("chat_widgets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("created_at", When, nullable=False),
        sa.Column("last_seen_at", When, nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_chat_visitors_token_hash"),
    )
    op.create_index("ix_chat_visitors_widget_id", "chat_visitors", ["widget_id"])
    op.create_table(
        "bot_flows",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", When, nullable=False),
        sa.Column("published_at", When),
        sa.UniqueConstraint("key", "version", name="uq_bot_flows_key_version"),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')", name="ck_bot_flows_status"
        ),
    )
    op.create_table(
        "chats",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "widget_id",
            BigId,
            sa.ForeignKey("chat_widgets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "visitor_id",
            BigId,
            sa.ForeignKey("chat_visitors.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("answered_at", When),
        sa.Column("ended_at", When),
        sa.Column("ended_by", sa.String(10), nullable=False),
        sa.Column("last_activity_at", When, nullable=False),
        sa.Column("visitor_read_message_id", sa.BigInteger()),
        sa.Column("agent_read_message_id", sa.BigInteger()),
        sa.Column("related_ticket_ids", sa.JSON(), nullable=False),
        sa.Column("bot_flow_id", BigId, sa.ForeignKey("bot_flows.id", ondelete="SET NULL")),
        sa.Column("bot_node", sa.String(80)),
        sa.Column("bot_retries", sa.Integer(), nullable=False),
        sa.Column("bot_vars", sa.JSON(), nullable=False),
        sa.UniqueConstraint("ticket_id", name="uq_chats_ticket_id"),
        sa.CheckConstraint("state IN ('bot', 'waiting', 'active', 'ended')", name="ck_chats_state"),
    )
    op.create_index("ix_chats_state_started", "chats", ["state", "started_at"])
    op.create_index("ix_chats_visitor", "chats", ["visitor_id", "started_at"])
    op.create_table(
        "chat_client_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("chat_id", BigId, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column(
            "message_id", BigId, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
        ),
        sa.UniqueConstraint("chat_id", "client_id", name="uq_chat_client_messages"),
    )


def downgrade() -> None:
    op.drop_table("chat_client_messages")
    op.drop_index("ix_chats_visitor", table_name="chats")
    op.drop_index("ix_chats_state_started", table_name="chats")
    op.drop_table("chats")
    op.drop_table("bot_flows")
    op.drop_index("ix_chat_visitors_widget_id", table_name="chat_visitors")
    op.drop_table("chat_visitors")
    op.drop_table("chat_widgets")
