"""Automation rules, canned replies and time-based rule firings.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("time", sa.JSON(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_rules_name")),
    )
    op.create_index("ix_rules_event_position", "rules", ["event", "position", "id"])

    op.create_table(
        "canned_replies",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("name", name=op.f("uq_canned_replies_name")),
    )

    op.create_table(
        "rule_firings",
        sa.Column("rule_id", BigId, nullable=False),
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("status_changed_at", When, nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("fired_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["rules.id"],
            name=op.f("fk_rule_firings_rule_id_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_rule_firings_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_firings")),
        sa.UniqueConstraint(
            "rule_id", "ticket_id", "status_changed_at", name="uq_rule_firings_period"
        ),
    )
    op.create_index(op.f("ix_rule_firings_ticket_id"), "rule_firings", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("rule_firings")
    op.drop_table("canned_replies")
    op.drop_table("rules")
