"""Every query on the jobs table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from atende.jobs.models import Job


def by_key(session: Session, key: str) -> Job | None:
    return session.scalars(select(Job).where(Job.idempotency_key == key)).first()


def get(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def claimable_ids(session: Session, *, now: datetime, limit: int, skip_locked: bool) -> list[int]:
    """Due queued jobs, then running jobs whose lease ran out (their worker died), row-locked
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: concurrent workers take disjoint jobs)."""
    queued = (
        select(Job.id)
        .where(Job.state == "queued", Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    stale = (
        select(Job.id)
        .where(Job.state == "running", Job.locked_until < now)
        .order_by(Job.locked_until, Job.id)
        .limit(limit)
    )
    if skip_locked:
        queued = queued.with_for_update(skip_locked=True)
        stale = stale.with_for_update(skip_locked=True)
    ids = list(session.scalars(queued))
    if len(ids) < limit:
        ids += list(session.scalars(stale.limit(limit - len(ids))))
    return ids


def mark_running(
    session: Session, ids: Sequence[int], *, worker: str, until: datetime
) -> Sequence[Job]:
    session.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(state="running", locked_by=worker, locked_until=until, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.id)).all()


def renew(session: Session, job_id: int, *, worker: str, until: datetime) -> bool:
    """Extend the lease of a job ``worker`` still holds, just before running it; False when it
    was taken over (its lease ran out while earlier jobs of the batch ran)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running", Job.locked_by == worker)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def bury_exhausted(session: Session, *, now: datetime, max_attempts: int) -> int:
    """Running jobs whose lease ran out after their last allowed attempt: the worker died
    running them every time (a crash, an OOM kill). They are parked as dead, not retried."""
    result = session.execute(
        update(Job)
        .where(Job.state == "running", Job.locked_until < now, Job.attempts >= max_attempts)
        .values(
            state="dead",
            finished_at=now,
            locked_by=None,
            locked_until=None,
            last_error="the worker running it stopped (crash or kill) on every attempt",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_queued(session: Session, *, key_prefix: str, reason: str, now: datetime) -> int:
    """Park as dead the queued jobs whose idempotency key starts with ``key_prefix`` (what
    they were for is gone); a running one finishes. Returns how many."""
    pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    result = session.execute(
        update(Job)
        .where(Job.state == "queued", Job.idempotency_key.like(pattern, escape="\\"))
        .values(state="dead", finished_at=now, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def finish(session: Session, job_id: int, *, worker: str, values: dict[str, object]) -> bool:
    """Record a job's outcome if ``worker`` still holds it (its lease may have been taken)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running", Job.locked_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def page(
    session: Session,
    *,
    state: str | None,
    kind: str | None,
    ticket_id: int | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Job]:
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Job.state == state)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    if ticket_id is not None:
        stmt = stmt.where(Job.ticket_id == ticket_id)
    if before_id is not None:
        stmt = stmt.where(Job.id < before_id)
    return session.scalars(stmt).all()


def counts_by_state(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state: int(n) for state, n in rows}
