"""Durable jobs worker leases, SLA escalation and breach reasons, auto-close, notifications.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("locked_until", When, nullable=True))
        batch_op.add_column(sa.Column("ticket_id", BigId, nullable=True))
        batch_op.create_index("ix_jobs_state_locked_until", ["state", "locked_until"])
        batch_op.create_index(batch_op.f("ix_jobs_ticket_id"), ["ticket_id"])

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_close_at", When, nullable=True))
        batch_op.add_column(sa.Column("status_changed_at", When, nullable=True))
    # the current status began at its last status event, or at creation
    op.execute(
        "UPDATE tickets SET status_changed_at = COALESCE("
        "(SELECT MAX(e.created_at) FROM ticket_events e "
        "WHERE e.ticket_id = tickets.id AND e.kind = 'status'), tickets.created_at)"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_auto_close_at", ["auto_close_at"])
        batch_op.create_index("ix_tickets_status_changed", ["status", "status_changed_at", "id"])

    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.alter_column("escalation", server_default=None)
        batch_op.add_column(sa.Column("auto_close_business_hours", sa.Integer(), nullable=True))

    op.create_table(
        "sla_breach_reasons",
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_sla_breach_reasons_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sla_breach_reasons_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breach_reasons")),
    )
    op.create_index(
        "ix_sla_breach_reasons_ticket", "sla_breach_reasons", ["ticket_id", "kind", "cycle"]
    )

    op.create_table(
        "notifications",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("ticket_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("read_at", When, nullable=True),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_notifications_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "read_at", "id"])
    op.create_index("ux_notifications_user_key", "notifications", ["user_id", "key"], unique=True)
    op.create_index(op.f("ix_notifications_ticket_id"), "notifications", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("sla_breach_reasons")
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_column("auto_close_business_hours")
        batch_op.drop_column("escalation")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_changed")
        batch_op.drop_index("ix_tickets_auto_close_at")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("auto_close_at")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_ticket_id"))
        batch_op.drop_index("ix_jobs_state_locked_until")
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("locked_by")
