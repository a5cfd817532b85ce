"""Tag lists read in creation order from ticket_tags' own index.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_at", atende.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE ticket_tags SET created_at = "
        "(SELECT tickets.created_at FROM tickets WHERE tickets.id = ticket_tags.ticket_id)"
    )
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at",
            existing_type=atende.db.base.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.drop_index("ix_ticket_tags_tag")
        batch_op.create_index(
            "ix_ticket_tags_tag_created", ["tag", "created_at", "ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_tags_tag_created")
        batch_op.create_index("ix_ticket_tags_tag", ["tag", "ticket_id"], unique=False)
        batch_op.drop_column("created_at")
