"""Field Desk visits and appointments on tickets; a plan's discount on paid visits (seed 002).

Revision ID: 0017
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(
            sa.Column(
                "field_desk_discount_percent", sa.Integer(), nullable=False, server_default="0"
            )
        )
    op.create_table(
        "visits",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("starts_at", When, nullable=False),
        sa.Column("ends_at", When, nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column(
            "assignee_id", BigId, sa.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("billing", sa.String(20), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("accepted_by", sa.String(200), nullable=False),
        sa.Column("accepted_at", When),
        sa.Column("reminder", sa.String(20), nullable=False),
        sa.Column("remind_minutes_before", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.String(500), nullable=False),
        sa.Column("created_by_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.CheckConstraint("kind IN ('field_desk', 'appointment')", name="ck_visits_kind"),
        sa.CheckConstraint(
            "status IN ('scheduled', 'on_the_way', 'done', 'cancelled')", name="ck_visits_status"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ck_visits_window"),
    )
    op.create_index("ix_visits_ticket_id", "visits", ["ticket_id"])
    op.create_index("ix_visits_assignee_starts", "visits", ["assignee_id", "starts_at"])
    op.create_index("ix_visits_starts", "visits", ["starts_at"])


def downgrade() -> None:
    op.drop_table("visits")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("field_desk_discount_percent")
