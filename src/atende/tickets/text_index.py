"""SQLite's full-text indexes for ``q=`` (migration 0010), filled outside the write path.

`catch_up` adds the subjects and message bodies above the watermark to ``tickets_text`` and
``messages_text`` in bulk, a bounded number per call; the worker runs it every second (the
``text_index`` sweep). The list (tickets/repository.py) reads the watermark too, and treats
the rows above it as not yet indexed: it checks them one by one. On SQLite, ids are handed
out in commit order (one writer at a time), so no row below the watermark can appear later.
PostgreSQL has its trigram indexes (migration 0008): nothing to do there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction

BATCH = 2000  # rows per table and call: a short hold of SQLite's write slot (~60 ms)

# (watermark name, table, indexed column, index table)
INDEXED = (
    ("tickets", "tickets", "subject", "tickets_text"),
    ("messages", "messages", "body_text", "messages_text"),
)


def enabled(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def watermarks(session: Session) -> dict[str, int]:
    """The last indexed id of each table."""
    rows = session.execute(text("SELECT name, last_id FROM text_index_state"))
    return {name: int(last) for name, last in rows}


def catch_up(session: Session, *, batch: int = BATCH) -> int:
    """Index up to ``batch`` new rows of each table; how many were indexed."""
    if not enabled(session):
        return 0
    done = 0
    marks = watermarks(session)
    for name, table, column, index in INDEXED:  # names: this module's constants, not input
        last = marks[name]
        newest = f"SELECT max(id) FROM (SELECT id FROM {table} WHERE id > :last ORDER BY id LIMIT :batch)"  # noqa: E501, S608
        top = session.execute(text(newest), {"last": last, "batch": batch}).scalar()
        if top is None:
            continue
        add = f"INSERT INTO {index}(rowid, {column}) SELECT id, {column} FROM {table} WHERE id > :last AND id <= :top"  # noqa: E501, S608
        session.execute(text(add), {"last": last, "top": top})
        session.execute(
            text("UPDATE text_index_state SET last_id = :top WHERE name = :name"),
            {"top": top, "name": name},
        )
        done += int(top) - last  # ids are dense enough; a count only for the sweep's report
    return done


def sweep(sessions: sessionmaker[Session], now: datetime) -> int:
    """The worker's sweep: catch up in one short transaction (nothing on PostgreSQL)."""
    with transaction(sessions) as session:
        return catch_up(session)
