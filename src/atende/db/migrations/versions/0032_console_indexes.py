"""The console's inbox at a million tickets (#16). Its default order, by SLA due, reads the
tickets with a running clock through a partial index on (sla_due_at, id) instead of sorting
every matching ticket (partial: the others are read by number, and SQLite must not walk the
index's NULLs for them). "Breaching soon" reads the few clocks past their warning through
(state, warning_at), and "SLA breached" the breached clocks still owed through (state, met_at)
rather than every breached clock ever kept. The unresolved tickets (the open work every view
but "all" is about, a small and recent part of the table) have a partial index of their own,
with the columns the views read (queue, assignee, SLA due): PostgreSQL answers them from the
index alone.

Revision ID: 0032
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0030"
branch_labels = None
depends_on = None


UNRESOLVED = "status IN ('new', 'open', 'pending_customer', 'pending_internal', 'scheduled')"


def upgrade() -> None:
    op.create_index(
        "ix_tickets_unresolved",
        "tickets",
        ["id", "queue_id", "assignee_id", "sla_due_at"],
        postgresql_where=sa.text(UNRESOLVED),
        sqlite_where=sa.text(UNRESOLVED),
    )
    op.create_index(
        "ix_tickets_sla_due",
        "tickets",
        ["sla_due_at", "id"],
        postgresql_where=sa.text("sla_due_at IS NOT NULL"),
        sqlite_where=sa.text("sla_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_ticket_sla_targets_state_warning", "ticket_sla_targets", ["state", "warning_at"]
    )
    op.create_index("ix_ticket_sla_targets_state_met", "ticket_sla_targets", ["state", "met_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_sla_targets_state_met", table_name="ticket_sla_targets")
    op.drop_index("ix_ticket_sla_targets_state_warning", table_name="ticket_sla_targets")
    op.drop_index("ix_tickets_sla_due", table_name="tickets")
    op.drop_index("ix_tickets_unresolved", table_name="tickets")
