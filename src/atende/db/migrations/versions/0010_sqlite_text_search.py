"""Trigram full-text indexes for the ticket list's text search (``q=``) on SQLite.

The PostgreSQL counterpart is migration 0008. On SQLite, a text that few tickets hold made the
list walk the whole table (1.3 s at 800,000 tickets, docs/performance.md). FTS5 with the
``trigram`` tokenizer (SQLite 3.34+) finds the tickets whose subject or messages hold a piece
of text. ``tickets_text`` and ``messages_text`` keep their own copy of the text, by the row's
id.

They are filled outside the write path: kept by insert triggers, they halved the creations per
second, since SQLite has one writer. The worker's ``text_index`` sweep adds the rows above a
watermark (``text_index_state``) in bulk (tickets/text_index.py), and the list treats rows
above it as not yet indexed. The one trigger reindexes a subject edited after it was indexed,
which is rare. This migration indexes the rows already there (about 10 s per 800,000
tickets). PostgreSQL: nothing changes.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE tickets_text USING fts5(subject, tokenize='trigram')")
    op.execute("CREATE VIRTUAL TABLE messages_text USING fts5(body_text, tokenize='trigram')")
    op.execute(
        "CREATE TABLE text_index_state (name VARCHAR(20) PRIMARY KEY, last_id BIGINT NOT NULL)"
    )
    op.execute("INSERT INTO tickets_text(rowid, subject) SELECT id, subject FROM tickets")
    op.execute("INSERT INTO messages_text(rowid, body_text) SELECT id, body_text FROM messages")
    op.execute(
        "INSERT INTO text_index_state (name, last_id) VALUES "
        "('tickets', (SELECT coalesce(max(id), 0) FROM tickets)), "
        "('messages', (SELECT coalesce(max(id), 0) FROM messages))"
    )
    op.execute(
        "CREATE TRIGGER tickets_text_subject AFTER UPDATE OF subject ON tickets "
        "WHEN new.id <= (SELECT last_id FROM text_index_state WHERE name = 'tickets') BEGIN "
        "DELETE FROM tickets_text WHERE rowid = new.id; "
        "INSERT INTO tickets_text(rowid, subject) VALUES (new.id, new.subject); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS tickets_text_subject")
    for table in ("text_index_state", "messages_text", "tickets_text"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
