"""The report of replies sent despite the reply check's warnings (#16): each agent's public
reply says whether it carried findings, indexed with its time; existing replies are filled in
from their stored findings.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reply_warned", sa.Boolean(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE messages SET reply_warned = "
            "COALESCE(json_array_length(reply_check -> 'findings'), 0) > 0 "
            "WHERE reply_check IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE messages SET reply_warned = "
            "COALESCE(json_array_length(json_extract(reply_check, '$.findings')), 0) > 0 "
            "WHERE reply_check IS NOT NULL"
        )
    op.create_index("ix_messages_reply_warned_created", "messages", ["reply_warned", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_reply_warned_created", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reply_warned")
