"""``/api/v1/jobs``: the durable jobs, for administrators (dead jobs can be retried)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import PathId
from atende.jobs import service as job_service
from atende.jobs.schemas import JobCounts, JobOut

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    session: DbSession,
    actor: CurrentActor,
    state: Literal["queued", "running", "done", "dead"] | None = None,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    ticket_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[JobOut]:
    """Newest first; filter by state (e.g. ``dead``), kind or ticket."""
    jobs = job_service.list_jobs(
        session, actor=actor, state=state, kind=kind, ticket_id=ticket_id,
        before_id=decode_id_cursor(cursor), limit=limit + 1,
    )  # fmt: skip
    items = [JobOut(**job_service.view(j)) for j in jobs[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(jobs) > limit and items else None
    return Page[JobOut](items=items, next_cursor=nxt)


@router.get("/jobs/counts", response_model=JobCounts)
def job_counts(session: DbSession, actor: CurrentActor) -> JobCounts:
    return JobCounts(**job_service.counts(session, actor=actor))


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: PathId, session: DbSession, actor: CurrentActor) -> JobOut:
    return JobOut(**job_service.view(job_service.get_job(session, actor=actor, job_id=job_id)))


@router.post("/jobs/{job_id}/retry", response_model=JobOut)
def retry_job(job_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> JobOut:
    """Run a dead job again now (its attempts start over)."""
    job = job_service.retry(session, actor=actor, job_id=job_id, now=now)
    return JobOut(**job_service.view(job))
