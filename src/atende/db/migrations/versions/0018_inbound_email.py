"""The inbound pipeline (items any channel received), e-mails in and out, addresses' state.

Revision ID: 0018
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0018"
down_revision: str | None = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_items",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("provider_id", sa.String(500), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", When),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="SET NULL")),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.UniqueConstraint("kind", "channel", "provider_id", name="uq_inbound_items_provider"),
    )
    op.create_index("ix_inbound_items_state_id", "inbound_items", ["state", "id"])
    op.create_table(
        "email_records",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("header_id", sa.String(500), nullable=False),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE")),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.Column("contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("inbound_item_id", BigId, sa.ForeignKey("inbound_items.id", ondelete="SET NULL")),
        sa.Column("sender", sa.String(254), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("in_reply_to", sa.String(500), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When),
    )
    op.create_index("ix_email_records_header_id", "email_records", ["header_id"])
    op.create_index("ix_email_records_ticket", "email_records", ["ticket_id", "id"])
    op.create_index("ix_email_records_sender_created", "email_records", ["sender", "created_at"])
    op.create_index("ix_email_records_contact_id", "email_records", ["contact_id"])
    op.create_table(
        "email_addresses",
        sa.Column("address", sa.String(254), primary_key=True),
        sa.Column("bouncing", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_table(
        "imap_mailboxes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(254), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger()),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_polled_at", When),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("name", name="uq_imap_mailboxes_name"),
    )


def downgrade() -> None:
    op.drop_table("imap_mailboxes")
    op.drop_table("email_addresses")
    op.drop_table("email_records")
    op.drop_table("inbound_items")
