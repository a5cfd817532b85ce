"""SLA policies: each target may count on its own clock (a calendar of its own, or 24x7).

``sla_policies.target_clocks``: ``{"resolution": {"clock": "24x7", "calendar_id": null}, ...}``;
a target not named counts on the policy's calendar (every policy so far).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target_clocks", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.alter_column("target_clocks", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_column("target_clocks")
