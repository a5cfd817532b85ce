"""/api/v1 routes of routing: pull the next ticket, the queue line, waits, followers, on-call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.tickets import settled_out, ticket_out
from atende.api.types import PathId
from atende.routing import service as routing_service
from atende.routing.schemas import Followers, LineEntry, WaitStats
from atende.tickets.schemas import TicketOut
from atende.workflows import routing as routing_workflows

router = APIRouter(tags=["routing"])


@router.post(
    "/queues/{queue_id}/next",
    response_model=TicketOut,
    responses={204: {"description": "no ticket is waiting in the queue"}},
)
def take_next(
    queue_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut | Response:
    """The calling agent takes the next ticket of the queue's line (priority class, SLA due,
    arrival) that fits their capacity. 409 when paused, offline, absent or at capacity."""
    settled = routing_workflows.pull_next(session, actor=actor, queue_id=queue_id, now=now)
    if settled is None:
        return Response(status_code=204)
    return settled_out(session, settled, actor)


@router.get("/queues/{queue_id}/line", response_model=list[LineEntry])
def queue_line(
    queue_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[LineEntry]:
    """The waiting (unassigned) tickets of the queue in the order they will be handed out."""
    rows = routing_service.queue_line(session, actor=actor, queue_id=queue_id, limit=limit)
    return [
        LineEntry(
            position=i,
            ticket_id=t.id,
            subject=t.subject,
            channel=t.channel,
            priority_class=t.priority_class,
            sla_due_at=t.sla_due_at,
            queue_entered_at=t.queue_entered_at,
            sent_back_to_front=t.queue_front,
        )
        for i, t in enumerate(rows, start=1)
    ]


@router.get("/queues/{queue_id}/waits", response_model=WaitStats)
def queue_waits(
    queue_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> WaitStats:
    """Average and longest wait in the queue before assignment (default: the last 7 days)."""
    stats = routing_service.wait_stats(
        session, actor=actor, queue_id=queue_id, start=start, end=end, now=now
    )
    return WaitStats.model_validate(stats)


@router.get("/tickets/{ticket_id}/followers", response_model=Followers)
def list_followers(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> Followers:
    ids = routing_service.followers_of(session, actor=actor, ticket_id=ticket_id)
    return Followers(ticket_id=ticket_id, user_ids=ids)


@router.post("/tickets/{ticket_id}/followers/me", response_model=Followers)
def follow(ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> Followers:
    """Follow the ticket: be told of replies to the customer and of its resolution."""
    routing_service.follow_ticket(session, actor=actor, ticket_id=ticket_id, now=now)
    ids = routing_service.followers_of(session, actor=actor, ticket_id=ticket_id)
    return Followers(ticket_id=ticket_id, user_ids=ids)


@router.delete("/tickets/{ticket_id}/followers/me", status_code=204)
def unfollow(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    routing_service.unfollow(session, actor=actor, ticket_id=ticket_id)
    return Response(status_code=204)


@router.get("/on-call", response_model=Page[TicketOut])
def on_call(
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    reviewed: Annotated[
        bool | None, Query(description="true: marked reviewed; false: not reviewed yet")
    ] = None,
) -> Page[TicketOut]:
    """Tickets opened on call (outside their queue's hours), by default last week (Monday to
    Monday in the caller's timezone): the supervisors' weekly review. Mark each reviewed with
    ``PUT /tickets/{id}/on-call-review``."""
    rows, _, _ = routing_service.on_call_review(
        session, actor=actor, start=start, end=end, after_id=decode_id_cursor(cursor),
        limit=limit + 1, now=now, reviewed=reviewed,
    )  # fmt: skip
    items = [ticket_out(session, t, actor) for t in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[TicketOut](items=items, next_cursor=nxt)
