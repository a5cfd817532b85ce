"""Enqueue durable jobs inside the caller's transaction (the transactional outbox).

A job exists if and only if the change that caused it commits. A job with an idempotency key
is enqueued at most once: enqueueing the same key again returns the job already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.db.base import utcnow
from atende.jobs import repository
from atende.jobs.models import Job


def enqueue_many(session: Session, kind: str, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Enqueue several jobs of one ``kind`` at once, each ``(idempotency key, payload)``, in one
    statement; a key already enqueued is skipped (``ON CONFLICT DO NOTHING``), as `enqueue`
    would return the job already there."""
    if not items:
        return
    now = utcnow()
    rows = [
        {
            "kind": kind, "payload": payload, "idempotency_key": key, "state": "queued",
            "attempts": 0, "run_at": now, "last_error": "", "created_at": now,
            "ticket_id": payload.get("ticket_id")
            if isinstance(payload.get("ticket_id"), int) else None,
        }
        for key, payload in items
    ]  # fmt: skip
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Job).on_conflict_do_nothing(index_elements=["idempotency_key"]), rows)


def enqueue(
    session: Session,
    kind: str,
    *,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    **payload: Any,
) -> Job:
    ticket_id = payload.get("ticket_id")
    job = Job(
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        ticket_id=ticket_id if isinstance(ticket_id, int) else None,
    )
    if run_at is not None:
        job.run_at = run_at
    if idempotency_key is None:
        session.add(job)
        session.flush()
        return job
    existing = repository.by_key(session, idempotency_key)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:  # enqueued at the same moment by another transaction
        found = repository.by_key(session, idempotency_key)
        assert found is not None
        return found
    return job
