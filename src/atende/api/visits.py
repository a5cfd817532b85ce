"""Routes: Field Desk visits and appointments on tickets, and the agenda (docs/visits.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.db.base import MAX_ID
from atende.visits import service
from atende.visits.schemas import VisitIn, VisitOut, VisitPatch
from atende.workflows import visits as visit_workflows

router = APIRouter(tags=["visits"])
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]


@router.post("/tickets/{ticket_id}/visits", response_model=VisitOut, status_code=201)
def book_visit(
    ticket_id: PathId, body: VisitIn, session: DbSession, actor: CurrentActor, now: Now
) -> VisitOut:
    """Book a Field Desk visit or an appointment (staff). A visit the plan does not include is
    paid with the plan's discount and needs ``accepted_by``; without a window a visit gets the
    standard one (4 to 24 business hours from now). On the ticket's timeline; the customer gets
    an e-mail reminder ``remind_minutes_before`` the start."""
    visit = visit_workflows.book(
        session, actor=actor, ticket_id=ticket_id, data=body.model_dump(), now=now
    )
    return VisitOut(**service.view(visit, staff=True))


@router.get("/tickets/{ticket_id}/visits", response_model=list[VisitOut])
def ticket_visits(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> list[VisitOut]:
    """The visits of a ticket the caller may read; a contact sees when, where and the status."""
    found = service.of_ticket(session, actor=actor, ticket_id=ticket_id)
    return [VisitOut(**service.view(v, staff=actor.is_staff)) for v in found]


@router.get("/visits", response_model=list[VisitOut])
def agenda(
    session: DbSession,
    actor: CurrentActor,
    start: AwareDatetime,
    end: AwareDatetime,
    assignee_id: QueryId | None = None,
    include_final: bool = False,
) -> list[VisitOut]:
    """The agenda between ``start`` and ``end`` (at most 92 days): an agent's own; supervisors
    and admins anyone's (``assignee_id``) or everyone's. Done and cancelled ones with
    ``include_final=true``."""
    found = service.agenda(
        session, actor=actor, assignee_id=assignee_id, start=_utc(start), end=_utc(end),
        include_final=include_final,
    )  # fmt: skip
    return [VisitOut(**service.view(v, staff=True)) for v in found]


@router.get("/visits/{visit_id}", response_model=VisitOut)
def get_visit(visit_id: PathId, session: DbSession, actor: CurrentActor) -> VisitOut:
    visit, _ = service.get(session, actor=actor, visit_id=visit_id)
    return VisitOut(**service.view(visit, staff=actor.is_staff))


@router.patch("/visits/{visit_id}", response_model=VisitOut)
def update_visit(
    visit_id: PathId, body: VisitPatch, session: DbSession, actor: CurrentActor, now: Now
) -> VisitOut:
    """Move it on (scheduled → on_the_way → done), reschedule, change the technician, or cancel
    with ``cancel_reason`` (staff); the reminder follows."""
    visit = visit_workflows.update(
        session, actor=actor, visit_id=visit_id, changes=body.model_dump(exclude_unset=True),
        now=now,
    )  # fmt: skip
    return VisitOut(**service.view(visit, staff=True))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
