"""Routing use cases on tickets: pull the next ticket, send chats back to the line, follow
tickets, review on-call tickets. What the ticket commands call as they change a ticket (its line
order, the capacity check, followers) is in ``line.py``; automatic assignment in
``assignment.py``. A change to a ticket made here is handed to the settle loop (``settle``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.i18n import Text
from atende.notifications import repository as notify_repository
from atende.notifications import service as notify_service
from atende.queues import line as line_rules
from atende.queues import repository as queue_repository
from atende.routing import repository
from atende.routing.assignment import ROUTING_ACTOR
from atende.tickets import service as ticket_service
from atende.tickets.commands import change
from atende.tickets.events import Changed, Settle
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event


def pull_next(
    session: Session, *, actor: Actor, queue_id: int, now: datetime, settle: Settle
) -> Ticket | None:
    """The calling agent takes the next ticket of the queue's line that fits their capacity;
    None when nothing waits. Two agents pulling at once never get the same ticket."""
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff may take tickets from a queue")
    queue = queue_repository.queue(session, queue_id)
    if queue is None:
        raise NotFound("queue {queue_id} not found", queue_id=queue_id)
    if actor.role == "agent" and queue_id not in actor.queue_ids:
        raise PermissionDenied("you are not a member of queue {name!r}", name=queue.name)
    me = queue_repository.lock_presence(session, actor.user_id)
    if me is None or me.status != "online":
        state = me.status if me is not None else "offline"
        detail = f" ({me.reason})" if me is not None and me.reason else ""
        raise Conflict(
            "you are {state}{detail}: go online to take tickets",
            field="status",
            state=state,
            detail=detail,
        )
    if queue_repository.absent_user_ids(session, [actor.user_id], now):
        raise Conflict("you are absent (vacation) and cannot take tickets")
    load = line_rules.loads(session, [actor.user_id])[actor.user_id]
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
            line_rules.record_assignment(
                session, ticket, user_id=actor.user_id, now=now, how="pulled"
            )
            ticket.assignee_id = actor.user_id
            record_event(
                session, ticket, actor=actor, kind="assignee", at=now, before=None,
                after=actor.user_id, detail=f"taken from queue {queue.name}",
            )  # fmt: skip
            settle([Changed(ticket, "ticket_updated")])
            return ticket
        if not contended:
            break
    if refusal is not None:
        raise Conflict("you are {refusal}", field="assignee_id", refusal=refusal)
    return None


def requeue_unanswered_chats(
    session: Session, *, user_id: int, now: datetime, why: str, settle: Settle
) -> list[int]:
    """An agent paused or went offline: their chats nobody has answered yet go back to the
    front of their queue (tickets already in progress stay with them)."""
    moved: list[int] = []
    for ticket in repository.unanswered_chats(session, user_id):
        ticket.assignee_id = None
        ticket.queue_front = True
        ticket.queue_entered_at = now
        record_event(
            session, ticket, actor=ROUTING_ACTOR, kind="assignee", at=now, before=user_id,
            after=None, detail=f"back to the front of the queue: {why}",
        )  # fmt: skip
        settle([Changed(ticket, "ticket_updated")])
        moved.append(ticket.id)
    return moved


# --- followers -------------------------------------------------------------------------------


def to_triage(session: Session, ticket: Ticket, *, now: datetime) -> list[Changed]:
    """A new ticket nobody routed (no queue given, no rule moved it) goes to the triage queue,
    where a person sees it."""
    queue = line_rules.triage_queue(session)
    _, changes = change.update_ticket(
        session, actor=ROUTING_ACTOR, ticket_id=ticket.id, changes={"queue_id": queue.id}, now=now
    )
    return changes


def unfollow(session: Session, *, actor: Actor, ticket_id: int) -> None:
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff follow tickets")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    row = queue_repository.follower(session, ticket.id, actor.user_id)
    if row is not None:
        session.delete(row)
        session.flush()


def follow_ticket(session: Session, *, actor: Actor, ticket_id: int, now: datetime) -> Ticket:
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff follow tickets")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    line_rules.follow(session, ticket, user_id=actor.user_id, reason="following", now=now)
    session.flush()
    return ticket


def followers_of(session: Session, *, actor: Actor, ticket_id: int) -> list[int]:
    if not actor.is_staff:
        raise PermissionDenied("only staff see followers")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return queue_repository.followers(session, ticket.id)


def notify_followers(
    session: Session,
    ticket: Ticket,
    *,
    event: str | None,
    author_user_id: int | None,
    now: datetime,
    key: str,
    text: str | Text,
) -> None:
    """Followers hear of replies from others and of resolution (seed 002: the agent who
    transferred a case confirms the solution with the customer)."""
    ids = [u for u in queue_repository.followers(session, ticket.id) if u != author_user_id]
    if not ids:
        return
    users = notify_repository.active_staff(session, ids)
    notify_service.notify(
        session, users=users, kind=event or "ticket_updated", key=key, text=text,
        ticket_id=ticket.id, now=now,
    )  # fmt: skip


def queue_ids_of(session: Session, user_id: int) -> list[int]:
    """The queues ``user_id`` is a member of."""
    return list(repository.queue_ids_of(session, user_id))


# --- views -----------------------------------------------------------------------------------


def queue_line(session: Session, *, actor: Actor, queue_id: int, limit: int) -> list[Ticket]:
    """A queue's waiting tickets in routing order (its members and supervisors see it)."""
    if not actor.is_staff:
        raise PermissionDenied("only staff see queues")
    queue = queue_repository.queue(session, queue_id)
    if queue is None:
        raise NotFound("queue {queue_id} not found", queue_id=queue_id)
    if actor.role == "agent" and queue_id not in actor.queue_ids:
        raise NotFound("queue {queue_id} not found", queue_id=queue_id)
    return list(repository.line(session, queue_id, limit=limit, lock=False, skip_locked=False))


def last_week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to Monday 00:00 of the week before ``now``'s, in ``timezone``."""
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
    reviewed: bool | None = None,
) -> tuple[list[Ticket], datetime, datetime]:
    """Tickets opened on call (outside their queue's hours) in ``[start, end)``, by default
    last week, for the supervisors' weekly review (``reviewed``: only those marked reviewed,
    or only those not yet)."""
    if actor.role not in ("admin", "supervisor", "system"):
        raise PermissionDenied("only supervisors review on-call tickets")
    default_start, default_end = last_week(now, actor.timezone)
    start = start or default_start
    end = end or default_end
    if end <= start:
        raise ValidationFailed("'end' must be after 'start'", field="end")
    rows = repository.on_call_page(
        session, start=start, end=end, after_id=after_id, limit=limit, reviewed=reviewed
    )
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
    if actor.role not in ("admin", "supervisor", "system"):
        raise PermissionDenied("only supervisors see queue reports")
    if queue_repository.queue(session, queue_id) is None:
        raise NotFound("queue {queue_id} not found", queue_id=queue_id)
    end = end or now + timedelta(seconds=1)  # by default up to and including now
    start = start or end - timedelta(days=7)
    if end <= start:
        raise ValidationFailed("'end' must be after 'start'", field="end")
    count, average, longest = repository.wait_stats(
        session, queue_id=queue_id, start=start, end=end
    )
    return {
        "queue_id": queue_id, "start": start, "end": end, "assignments": count,
        "average_wait_seconds": average, "longest_wait_seconds": longest,
    }  # fmt: skip
