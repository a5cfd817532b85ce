"""WhatsApp and Telegram channels, their messages in and out, contacts' handles, the phone log
(#17, docs/channels.md).

Revision ID: 0022
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messaging_channels",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=False),
        sa.Column("app_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("verify_token_hash", sa.String(64), nullable=False),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("webhook_secret_hash", sa.String(64), nullable=False),
        sa.Column("templates", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("name", name="uq_messaging_channels_name"),
        sa.UniqueConstraint("key", name="uq_messaging_channels_key"),
    )
    op.create_table(
        "contact_handles",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("kind", "value", name="uq_contact_handles_kind_value"),
    )
    op.create_index("ix_contact_handles_contact_id", "contact_handles", ["contact_id"])
    op.create_table(
        "channel_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel_id", BigId, sa.ForeignKey("messaging_channels.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE")),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.Column("contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("inbound_item_id", BigId, sa.ForeignKey("inbound_items.id", ondelete="SET NULL")),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error_code", sa.String(20), nullable=False),
        sa.Column("template", sa.JSON()),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_channel_messages_provider_id", "channel_messages", ["provider_id"])
    op.create_index("ix_channel_messages_ticket", "channel_messages", ["ticket_id", "id"])
    op.create_index(
        "ix_channel_messages_window",
        "channel_messages",
        ["contact_id", "channel_id", "direction", "created_at"],
    )
    op.create_table(
        "phone_calls",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("agent_user_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("summary_message_id", BigId, sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.Column("summary_via", sa.String(10), nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_phone_calls_ticket_id", "phone_calls", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("phone_calls")
    op.drop_table("channel_messages")
    op.drop_table("contact_handles")
    op.drop_table("messaging_channels")
