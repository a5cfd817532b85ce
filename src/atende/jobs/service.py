"""Jobs as administrators see them: list, inspect, retry (API and CLI share these)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.jobs import repository
from atende.jobs.models import Job

STATES = ("queued", "running", "done", "dead")
_SECRET_WORDS = ("secret", "token", "password")


def list_jobs(
    session: Session,
    *,
    actor: Actor,
    state: str | None = None,
    kind: str | None = None,
    ticket_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> Sequence[Job]:
    ensure_admin(actor)
    if state is not None and state not in STATES:
        raise ValidationFailed(
            "unknown state {state!r}: one of {states}",
            field="state",
            state=state,
            states=", ".join(STATES),
        )
    return repository.page(
        session, state=state, kind=kind, ticket_id=ticket_id, before_id=before_id, limit=limit
    )


def get_job(session: Session, *, actor: Actor, job_id: int) -> Job:
    ensure_admin(actor)
    job = repository.get(session, job_id)
    if job is None:
        raise NotFound("job {job_id} not found", job_id=job_id)
    return job


def retry(session: Session, *, actor: Actor, job_id: int, now: datetime) -> Job:
    """Queue a dead (or waiting) job to run at once; done and running jobs are refused."""
    job = get_job(session, actor=actor, job_id=job_id)
    if job.state in ("done", "running"):
        raise Conflict(
            "job {job_id} is {state}: only dead or queued jobs can be retried",
            job_id=job_id,
            state=job.state,
        )
    job.state, job.run_at, job.finished_at = "queued", now, None
    job.locked_by, job.locked_until = None, None
    job.attempts = 0
    session.flush()
    return job


def counts(session: Session, *, actor: Actor) -> dict[str, int]:
    ensure_admin(actor)
    found = repository.counts_by_state(session)
    return {state: found.get(state, 0) for state in STATES}


def redacted(payload: Any) -> Any:
    """The payload with secrets masked (webhook secrets, tokens; a URL keeps only its scheme
    and host, since an incoming-webhook URL's path is often its secret) for display."""
    if isinstance(payload, dict):
        return {
            k: "***"
            if any(w in str(k).lower() for w in _SECRET_WORDS)
            else _host_only(v)
            if str(k).lower() == "url" and isinstance(v, str)
            else redacted(v)
            for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [redacted(v) for v in payload]
    return payload


def view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "attempts": job.attempts,
        "run_at": job.run_at,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "last_error": job.last_error,
        "ticket_id": job.ticket_id,
        "idempotency_key": job.idempotency_key,
        "locked_by": job.locked_by,
        "locked_until": job.locked_until,
        "payload": redacted(job.payload or {}),
    }


def _host_only(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or '?'}/***"
    except ValueError:
        return "***"
