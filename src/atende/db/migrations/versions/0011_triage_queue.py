"""The triage queue: where a ticket created without a queue (and not routed by a rule) lands.

At most one queue is the triage queue (a partial unique index); the first ticket that needs one
while none is marked creates "Triagem" (queues/line.py).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch_op:
        batch_op.add_column(
            sa.Column("triage", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ux_queues_triage",
        "queues",
        ["triage"],
        unique=True,
        sqlite_where=sa.text("triage"),
        postgresql_where=sa.text("triage"),
    )


def downgrade() -> None:
    op.drop_index("ux_queues_triage", table_name="queues")
    with op.batch_alter_table("queues") as batch_op:
        batch_op.drop_column("triage")
