"""/api/v1 routes of this area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.calendars import service as calendar_service
from atende.calendars.schemas import CalendarIn, CalendarOut, CalendarPatch, DueOut, ElapsedOut
from atende.domain.sla import MAX_TARGET_MINUTES

router = APIRouter(tags=["calendars"])

Instant = Annotated[
    str, Query(min_length=1, max_length=64, description="ISO 8601 with a UTC offset")
]


@router.get("/calendars", response_model=list[CalendarOut])
def list_calendars(session: DbSession, actor: CurrentActor) -> list[CalendarOut]:
    return [
        CalendarOut(**calendar_service.view(c))
        for c in calendar_service.list_calendars(session, actor=actor)
    ]


@router.post("/calendars", response_model=CalendarOut, status_code=201)
def create_calendar(
    body: CalendarIn, session: DbSession, actor: CurrentActor, now: Now
) -> CalendarOut:
    cal = calendar_service.create_calendar(session, actor=actor, data=body.model_dump(), now=now)
    return CalendarOut(**calendar_service.view(cal))


@router.get("/calendars/{calendar_id}", response_model=CalendarOut)
def get_calendar(calendar_id: PathId, session: DbSession, actor: CurrentActor) -> CalendarOut:
    cal = calendar_service.get_calendar(session, actor=actor, calendar_id=calendar_id)
    return CalendarOut(**calendar_service.view(cal))


@router.patch("/calendars/{calendar_id}", response_model=CalendarOut)
def update_calendar(
    calendar_id: PathId, body: CalendarPatch, session: DbSession, actor: CurrentActor, now: Now
) -> CalendarOut:
    cal = calendar_service.update_calendar(
        session,
        actor=actor,
        calendar_id=calendar_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return CalendarOut(**calendar_service.view(cal))


@router.get("/calendars/{calendar_id}/due", response_model=DueOut)
def due(
    calendar_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    start: Instant,
    minutes: Annotated[int, Query(gt=0, le=MAX_TARGET_MINUTES)],
) -> DueOut:
    at = calendar_service.due_at(
        session,
        actor=actor,
        calendar_id=calendar_id,
        start=calendar_service.parse_instant(start, "start"),
        minutes=minutes,
    )
    return DueOut(due_at=at.isoformat())


@router.get("/calendars/{calendar_id}/elapsed", response_model=ElapsedOut)
def elapsed(
    calendar_id: PathId, session: DbSession, actor: CurrentActor, start: Instant, end: Instant
) -> ElapsedOut:
    seconds = calendar_service.elapsed(
        session,
        actor=actor,
        calendar_id=calendar_id,
        start=calendar_service.parse_instant(start, "start"),
        end=calendar_service.parse_instant(end, "end"),
    )
    return ElapsedOut(business_seconds=seconds)
