"""The configuration audit trail; built-in ticket types as rows; the on-call review mark.

* ``audit_entries``: who changed which configuration record, when, from what to what
  (docs/audit.md). No foreign key to ``users``: the trail outlives a deleted user.
* The built-in ticket types (question, incident, problem, request, cancellation, task) become
  rows with real ids and Portuguese labels, so that an admin can relabel them; a row already
  configured keeps its label unless it had none.
* ``tickets.on_call_reviewed_at`` / ``on_call_reviewed_by_id``: a supervisor's weekly review of
  a ticket opened on call (docs/routing.md). No foreign key: adding one would rebuild the
  tickets table on SQLite (and its text-search triggers); the reviewer's id is kept as the
  audit trail keeps an actor's.

Revision ID: 0015
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)

BUILTIN_TYPES = (
    ("question", "Dúvida"),
    ("incident", "Incidente"),
    ("problem", "Problema"),
    ("request", "Solicitação"),
    ("cancellation", "Cancelamento"),
    ("task", "Tarefa"),
)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", BigId, nullable=False),
        sa.Column("entity_label", sa.String(length=200), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_entity", "audit_entries", ["entity_type", "entity_id", "id"])
    op.create_index("ix_audit_entries_actor", "audit_entries", ["actor_id", "id"])
    op.create_index("ix_audit_entries_at", "audit_entries", ["at", "id"])

    types = sa.table(
        "ticket_types",
        sa.column("name", sa.String),
        sa.column("label", sa.String),
        sa.column("active", sa.Boolean),
    )
    conn = op.get_bind()
    existing = {
        row[0]: row[1] for row in conn.execute(sa.select(types.c.name, types.c.label)).all()
    }
    missing = [
        {"name": name, "label": label, "active": True}
        for name, label in BUILTIN_TYPES
        if name not in existing
    ]
    if missing:
        op.bulk_insert(types, missing)
    for name, label in BUILTIN_TYPES:
        if name in existing and existing[name] in ("", name):
            conn.execute(types.update().where(types.c.name == name).values(label=label))

    op.add_column("tickets", sa.Column("on_call_reviewed_at", When, nullable=True))
    op.add_column("tickets", sa.Column("on_call_reviewed_by_id", BigId, nullable=True))


def downgrade() -> None:
    # natively (SQLite 3.35+): a batch rebuild would drop the tickets' text-search triggers
    op.execute("ALTER TABLE tickets DROP COLUMN on_call_reviewed_by_id")
    op.execute("ALTER TABLE tickets DROP COLUMN on_call_reviewed_at")
    op.drop_index("ix_audit_entries_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor", table_name="audit_entries")
    op.drop_index("ix_audit_entries_entity", table_name="audit_entries")
    op.drop_table("audit_entries")
