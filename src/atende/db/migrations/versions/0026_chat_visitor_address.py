"""Live chat abuse limits (#18): the client address that made each visitor.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_visitors") as batch:
        batch.add_column(sa.Column("created_from", sa.String(64), nullable=True))
    op.create_index(
        "ix_chat_visitors_created_from", "chat_visitors", ["created_from", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_chat_visitors_created_from", table_name="chat_visitors")
    with op.batch_alter_table("chat_visitors") as batch:
        batch.drop_column("created_from")
