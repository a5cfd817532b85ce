"""SLA policies: each target may count on its own clock (a calendar of its own, or 24x7), and
private (staff-only) targets beside the public ones.

``sla_policies.target_clocks``: ``{"resolution": {"clock": "24x7", "calendar_id": null}, ...}``;
a target not named counts on the policy's calendar (every policy so far).
``sla_policies.private_targets``: ``{"first_response_minutes": 20, ...}``; a ticket's private
clocks are ``ticket_sla_targets`` rows whose kind is ``private_<kind>`` (the kind columns grow
to 40 characters).

Revision ID: 0013
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        for column in ("target_clocks", "private_targets"):
            batch_op.add_column(
                sa.Column(column, sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
            )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        for column in ("target_clocks", "private_targets"):
            batch_op.alter_column(column, server_default=None)
    for table in ("ticket_sla_targets", "sla_breach_reasons"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "kind", existing_type=sa.String(length=20), type_=sa.String(length=40)
            )


def downgrade() -> None:
    op.execute("DELETE FROM ticket_sla_targets WHERE kind LIKE 'private%'")
    op.execute("DELETE FROM sla_breach_reasons WHERE kind LIKE 'private%'")
    for table in ("ticket_sla_targets", "sla_breach_reasons"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "kind", existing_type=sa.String(length=40), type_=sa.String(length=20)
            )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_column("private_targets")
        batch_op.drop_column("target_clocks")
