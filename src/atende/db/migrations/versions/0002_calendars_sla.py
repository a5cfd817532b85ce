"""calendars, SLA policies and per-ticket SLA clocks

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekly_hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=True),
        sa.Column("extra_closed", sa.JSON(), nullable=False),
        sa.Column("partial_days", sa.JSON(), nullable=False),
        sa.Column("open_on_holidays", sa.Boolean(), nullable=False),
        sa.Column("created_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_calendars_name")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "calendar_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("next_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("warning_percent", sa.Integer(), nullable=False),
        sa.Column("pause_statuses", sa.JSON(), nullable=False),
        sa.Column("chat_resolution_starts_at_chat_end", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_calendars"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sla_policies_calendar_id"), ["calendar_id"], unique=False
        )
        batch_op.create_index("ix_sla_policies_position", ["position", "id"], unique=False)

    op.create_table(
        "ticket_sla",
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("policy_name", sa.String(length=120), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("evaluated_at", atende.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_ticket_sla_policy_id_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_sla_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_sla")),
    )
    with op.batch_alter_table("ticket_sla", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_sla_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "ticket_sla_targets",
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("policy_name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("started_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warning_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("met_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", atende.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("business_seconds_used", sa.Integer(), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_ticket_sla_targets_policy_id_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_sla_targets_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "kind", name=op.f("pk_ticket_sla_targets")),
    )
    with op.batch_alter_table("ticket_sla_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_sla_targets_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index("ix_ticket_sla_targets_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_sla_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_sla_targets_state_due")
        batch_op.drop_index(batch_op.f("ix_ticket_sla_targets_policy_id"))

    op.drop_table("ticket_sla_targets")
    with op.batch_alter_table("ticket_sla", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_sla_policy_id"))

    op.drop_table("ticket_sla")
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_policies_position")
        batch_op.drop_index(batch_op.f("ix_sla_policies_calendar_id"))

    op.drop_table("sla_policies")
    op.drop_table("calendars")
