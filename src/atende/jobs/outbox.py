"""Enqueue durable jobs inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.jobs.models import Job


def enqueue(
    session: Session,
    kind: str,
    *,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    **payload: Any,
) -> Job:
    job = Job(kind=kind, payload=payload, idempotency_key=idempotency_key)
    if run_at is not None:
        job.run_at = run_at
    session.add(job)
    return job
