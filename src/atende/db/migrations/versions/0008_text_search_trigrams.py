"""Trigram indexes for the ticket list's text search (``q=``) on PostgreSQL.

``q=`` finds a piece of text anywhere in a ticket's subject or in its messages (``ILIKE
'%text%'``). Without an index, a rare word made PostgreSQL read the whole table (2.7 s at a
million tickets, docs/performance.md). ``pg_trgm``'s GIN indexes answer such a pattern from
the trigrams it contains. SQLite has no such index type: nothing changes there.

Building the indexes reads the whole of ``tickets`` and ``messages`` once and holds writes to
them meanwhile (about a minute per million messages on a small machine).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_tickets_subject_trgm ON tickets USING gin (subject gin_trgm_ops)")
    op.execute("CREATE INDEX ix_messages_body_trgm ON messages USING gin (body_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_messages_body_trgm")
    op.execute("DROP INDEX IF EXISTS ix_tickets_subject_trgm")
