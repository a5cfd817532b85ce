"""Routing use cases on tickets: pull the next ticket, auto-assign, send chats back to the
line, follow tickets, flag on-call tickets, and the hooks the tickets service calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, PermissionDenied
from atende.routing import assignment, repository
from atende.routing.models import TicketFollower
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event

ROUTING_ACTOR = Actor(user_id=None, role="system", name="Routing")
_DISPATCHING = "atende.routing.dispatching"


# --- hooks called by the tickets service ----------------------------------------------------


def on_created(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """A new ticket: its priority class, its place in the queue's line, the on-call flag."""
    ticket.priority_class = repository.priority_class(session, ticket.organization_id)
    if ticket.queue_id is not None:
        ticket.queue_entered_at = ticket.created_at
        queue = repository.queue(session, ticket.queue_id)
        if queue is not None and queue.calendar_id is not None:
            from atende.calendars import service as calendar_service

            cal = calendar_service.business_calendar_by_id(session, queue.calendar_id)
            if cal is not None and not cal.is_open(ticket.created_at):
                ticket.on_call = True


def on_queue_changed(ticket: Ticket, *, now: datetime) -> None:
    ticket.queue_entered_at = now
    ticket.queue_front = False


def on_organization_changed(session: Session, ticket: Ticket) -> None:
    ticket.priority_class = repository.priority_class(session, ticket.organization_id)


def on_assignee_changed(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    before: int | None,
    after: int | None,
    now: datetime,
    how: str = "manual",
) -> None:
    """Checked before the change is written: capacity; recorded: the wait in the line."""
    if after is not None:
        if not assignment.overridden(session) and repository.absent_user_ids(session, [after], now):
            raise Conflict(
                f"user {after} is absent (vacation): assign their substitute instead",
                field="assignee_id",
            )
        assignment.check_capacity(session, ticket, after, actor=actor)
        if before is None and ticket.queue_id is not None:
            assignment.record_assignment(session, ticket, user_id=after, now=now, how=how)
    elif ticket.queue_id is not None:
        ticket.queue_entered_at = now  # back in the line


def after_change(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    freed_user_ids: Sequence[int] = (),
) -> None:
    """Auto-assign queues hand out work at once: a ticket that waits in one, or capacity that
    freed (a ticket resolved or closed, reassigned away)."""
    if session.info.get(_DISPATCHING):
        return
    queue_ids: set[int] = set()
    if ticket.queue_id is not None and ticket.assignee_id is None:
        queue_ids.add(ticket.queue_id)
    for uid in freed_user_ids:
        queue_ids.update(repository.queue_ids_of(session, uid))
    if queue_ids:
        dispatch(session, now=now, queue_ids=sorted(queue_ids))


def dispatch(session: Session, *, now: datetime, queue_ids: Sequence[int] | None = None) -> int:
    if session.info.get(_DISPATCHING):
        return 0
    session.info[_DISPATCHING] = True
    try:
        return assignment.dispatch(session, now=now, queue_ids=queue_ids)
    finally:
        session.info.pop(_DISPATCHING, None)


# --- assignment use cases --------------------------------------------------------------------


def auto_assign(session: Session, *, ticket: Ticket, user_id: int, now: datetime, how: str) -> None:
    """The routing engine gives ``ticket`` to ``user_id`` (checked by the caller)."""
    from atende.tickets import service as ticket_service

    assignment.record_assignment(session, ticket, user_id=user_id, now=now, how=how)
    ticket.assignee_id = user_id
    record_event(
        session, ticket, actor=ROUTING_ACTOR, kind="assignee", at=now, before=None,
        after=user_id, detail=f"assigned automatically ({how.replace('_', ' ')})",
    )  # fmt: skip
    ticket_service.changed(session, ticket, now=now, event="ticket_updated")


def pull_next(session: Session, *, actor: Actor, queue_id: int, now: datetime) -> Ticket | None:
    """The calling agent takes the next ticket of the queue's line that fits their capacity;
    None when nothing waits. Two agents pulling at once never get the same ticket."""
    from atende.tickets import service as ticket_service

    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff may take tickets from a queue")
    queue = repository.queue(session, queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found")
    if actor.role == "agent" and queue_id not in actor.queue_ids:
        raise PermissionDenied(f"you are not a member of queue {queue.name!r}")
    me = repository.lock_presence(session, actor.user_id)
    if me is None or me.status != "online":
        state = me.status if me is not None else "offline"
        detail = f" ({me.reason})" if me is not None and me.reason else ""
        raise Conflict(f"you are {state}{detail}: go online to take tickets", field="status")
    if repository.absent_user_ids(session, [actor.user_id], now):
        raise Conflict("you are absent (vacation) and cannot take tickets")
    load = assignment.loads(session, [actor.user_id])[actor.user_id]
    postgres = session.get_bind().dialect.name == "postgresql"
    # read the line, then lock one candidate at a time: locking the whole line would make a
    # concurrent puller skip every ticket and find nothing
    refusal: str | None = None
    for _ in range(5):  # a few rounds: others may take the candidates we saw
        waiting = repository.line(session, queue_id, limit=50, lock=False, skip_locked=False)
        if not waiting:
            return None
        contended = False
        for candidate in waiting:
            why = load.refuses(candidate)
            if why is not None:
                refusal = refusal or why
                continue
            ticket = repository.claim_waiting(session, candidate.id, skip_locked=postgres)
            if ticket is None:
                contended = True
                continue
            assignment.record_assignment(
                session, ticket, user_id=actor.user_id, now=now, how="pulled"
            )
            ticket.assignee_id = actor.user_id
            record_event(
                session, ticket, actor=actor, kind="assignee", at=now, before=None,
                after=actor.user_id, detail=f"taken from queue {queue.name}",
            )  # fmt: skip
            ticket_service.changed(session, ticket, now=now, event="ticket_updated")
            return ticket
        if not contended:
            break
    if refusal is not None:
        raise Conflict(f"you are {refusal}", field="assignee_id")
    return None


def requeue_unanswered_chats(
    session: Session, *, user_id: int, now: datetime, why: str
) -> list[int]:
    """An agent paused or went offline: their chats nobody has answered yet go back to the
    front of their queue (tickets already in progress stay with them)."""
    from atende.tickets import service as ticket_service

    moved: list[int] = []
    for ticket in repository.unanswered_chats(session, user_id):
        ticket.assignee_id = None
        ticket.queue_front = True
        ticket.queue_entered_at = now
        record_event(
            session, ticket, actor=ROUTING_ACTOR, kind="assignee", at=now, before=user_id,
            after=None, detail=f"back to the front of the queue: {why}",
        )  # fmt: skip
        ticket_service.changed(session, ticket, now=now, event="ticket_updated")
        moved.append(ticket.id)
    return moved


# --- followers -------------------------------------------------------------------------------


def follow(session: Session, ticket: Ticket, *, user_id: int, reason: str, now: datetime) -> bool:
    if repository.follower(session, ticket.id, user_id) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket.id, user_id=user_id, reason=reason, created_at=now))
    return True


def unfollow(session: Session, *, actor: Actor, ticket_id: int) -> None:
    from atende.tickets import service as ticket_service

    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff follow tickets")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    row = repository.follower(session, ticket.id, actor.user_id)
    if row is not None:
        session.delete(row)
        session.flush()


def follow_ticket(session: Session, *, actor: Actor, ticket_id: int, now: datetime) -> Ticket:
    from atende.tickets import service as ticket_service

    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff follow tickets")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    follow(session, ticket, user_id=actor.user_id, reason="following", now=now)
    session.flush()
    return ticket


def followers_of(session: Session, *, actor: Actor, ticket_id: int) -> list[int]:
    from atende.tickets import service as ticket_service

    if not actor.is_staff:
        raise PermissionDenied("only staff see followers")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return repository.followers(session, ticket.id)


def notify_followers(
    session: Session,
    ticket: Ticket,
    *,
    event: str | None,
    author_user_id: int | None,
    now: datetime,
    key: str,
    text: str,
) -> None:
    """Followers hear of replies from others and of resolution (seed 002: the agent who
    transferred a case confirms the solution with the customer)."""
    from atende.notifications import repository as notify_repository
    from atende.notifications import service as notify_service

    ids = [u for u in repository.followers(session, ticket.id) if u != author_user_id]
    if not ids:
        return
    users = notify_repository.active_staff(session, ids)
    notify_service.notify(
        session, users=users, kind=event or "ticket_updated", key=key, text=text,
        ticket_id=ticket.id, now=now,
    )  # fmt: skip


# --- views -----------------------------------------------------------------------------------


def queue_line(session: Session, *, actor: Actor, queue_id: int, limit: int) -> list[Ticket]:
    """A queue's waiting tickets in routing order (its members and supervisors see it)."""
    if not actor.is_staff:
        raise PermissionDenied("only staff see queues")
    queue = repository.queue(session, queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found")
    if actor.role == "agent" and queue_id not in actor.queue_ids:
        raise NotFound(f"queue {queue_id} not found")
    return list(repository.line(session, queue_id, limit=limit, lock=False, skip_locked=False))


def last_week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to Monday 00:00 of the week before ``now``'s, in ``timezone``."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(timezone))
    this_monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = (this_monday - timedelta(days=7)).replace(tzinfo=ZoneInfo(timezone))
    return start, this_monday.replace(tzinfo=ZoneInfo(timezone))


def on_call_review(
    session: Session,
    *,
    actor: Actor,
    start: datetime | None,
    end: datetime | None,
    after_id: int | None,
    limit: int,
    now: datetime,
) -> tuple[list[Ticket], datetime, datetime]:
    """Tickets opened on call (outside their queue's hours) in ``[start, end)``, by default
    last week, for the supervisors' weekly review."""
    from atende.domain.errors import ValidationFailed

    if actor.role not in ("admin", "supervisor", "system"):
        raise PermissionDenied("only supervisors review on-call tickets")
    default_start, default_end = last_week(now, actor.timezone)
    start = start or default_start
    end = end or default_end
    if end <= start:
        raise ValidationFailed("'end' must be after 'start'", field="end")
    rows = repository.on_call_page(session, start=start, end=end, after_id=after_id, limit=limit)
    return list(rows), start, end


def wait_stats(
    session: Session,
    *,
    actor: Actor,
    queue_id: int,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> dict[str, object]:
    from datetime import timedelta

    if actor.role not in ("admin", "supervisor", "system"):
        raise PermissionDenied("only supervisors see queue reports")
    if repository.queue(session, queue_id) is None:
        raise NotFound(f"queue {queue_id} not found")
    end = end or now + timedelta(seconds=1)  # by default up to and including now
    start = start or end - timedelta(days=7)
    count, average, longest = repository.wait_stats(
        session, queue_id=queue_id, start=start, end=end
    )
    return {
        "queue_id": queue_id, "start": start, "end": end, "assignments": count,
        "average_wait_seconds": average, "longest_wait_seconds": longest,
    }  # fmt: skip
