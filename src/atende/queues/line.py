"""A queue's line and its agents' capacity: what the ticket commands call as they change a ticket.

* **Line order** of a ticket: its priority class (key accounts above every plan, then the plan's
  rank) and when it entered its queue; the on-call flag (created outside the queue's hours).
* **Load** of an agent: open assigned tickets (new, open, pending_*) and active chats among them.
* **Capacity**: the agent's own ``max_open_tickets`` / ``max_chats``, else the smallest default of
  their queues, else unlimited. An assignment that would exceed it is refused (409) with the
  figures; the vacation handover may exceed it (``capacity_override``).
* **Available**: online (not paused, not offline) and not absent.
* **Followers**: who follows a ticket to its resolution.

These change the ticket's own columns (or refuse the change) in the same step as the command;
handing out work afterwards is the routing reactor's (``routing.assignment.dispatch``), called
by the settle loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.actor import SYSTEM, Actor
from atende.calendars import service as calendar_service
from atende.domain.errors import Conflict
from atende.queues import repository
from atende.queues.models import Queue, QueueWait
from atende.tickets.models import Ticket, TicketFollower

OVERRIDE: Final = "atende.queues.capacity_override"


@dataclass(frozen=True)
class Load:
    open_tickets: int
    chats: int
    max_open_tickets: int | None
    max_chats: int | None

    def refuses(self, ticket: Ticket) -> str | None:
        """Why one more ``ticket`` would exceed the capacity, or None."""
        if self.max_open_tickets is not None and self.open_tickets >= self.max_open_tickets:
            return (
                f"at capacity: {self.open_tickets} open tickets of {self.max_open_tickets} allowed"
            )
        if ticket.channel == "chat" and self.max_chats is not None and self.chats >= self.max_chats:
            return f"at capacity: {self.chats} chats of {self.max_chats} allowed"
        return None


def loads(session: Session, user_ids: Sequence[int]) -> dict[int, Load]:
    ids = sorted(set(user_ids))
    counts = repository.open_counts(session, ids)
    people = repository.users(session, ids)
    defaults = repository.queue_defaults(session, ids)
    out: dict[int, Load] = {}
    for uid in ids:
        user = people.get(uid)
        d_tickets, d_chats = defaults.get(uid, (None, None))
        out[uid] = Load(
            open_tickets=counts[uid][0],
            chats=counts[uid][1],
            max_open_tickets=(
                user.max_open_tickets if user and user.max_open_tickets is not None else d_tickets
            ),
            max_chats=user.max_chats if user and user.max_chats is not None else d_chats,
        )
    return out


def available_ids(session: Session, user_ids: Sequence[int], now: datetime) -> set[int]:
    """Online agents with no absence in force."""
    present = repository.presence(session, user_ids)
    online = {uid for uid, p in present.items() if p.status == "online"}
    return online - repository.absent_user_ids(session, sorted(online), now)


@contextmanager
def capacity_override(session: Session) -> Iterator[None]:
    """Within this block assignments may exceed capacity and reach absent agents: only the
    vacation handover uses it (its tickets must move, whatever the substitute's load)."""
    session.info[OVERRIDE] = True
    try:
        yield
    finally:
        session.info.pop(OVERRIDE, None)


def overridden(session: Session) -> bool:
    return bool(session.info.get(OVERRIDE))


def check_capacity(session: Session, ticket: Ticket, user_id: int, *, actor: Actor) -> None:
    """Refuse assigning ``ticket`` to ``user_id`` beyond their capacity (409 naming the figures),
    whoever assigns (a person, a rule). The agent's presence row is locked first, so concurrent
    assignments to one agent are counted one after the other."""
    if overridden(session):
        return
    repository.lock_presence(session, user_id)
    load = loads(session, [user_id])[user_id]
    why = load.refuses(ticket)
    if why is not None:
        raise Conflict("user {user_id} is {why}", field="assignee_id", user_id=user_id, why=why)


def record_assignment(
    session: Session,
    ticket: Ticket,
    *,
    user_id: int,
    now: datetime,
    how: str,
    turn_at: datetime | None = None,
) -> None:
    """A ticket leaves its queue's line: record how long it waited there, and the member's turn
    (``turn_at``, default ``now``: round robin serves the member served longest ago)."""
    entered = ticket.queue_entered_at or ticket.created_at
    session.add(
        QueueWait(
            ticket_id=ticket.id, queue_id=ticket.queue_id, assignee_id=user_id,
            entered_at=entered, assigned_at=now,
            wait_seconds=max(int((now - entered).total_seconds()), 0), how=how,
        )
    )  # fmt: skip
    ticket.queue_front = False
    if ticket.queue_id is not None:
        repository.touch_member(session, ticket.queue_id, user_id, turn_at or now)


def on_created(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """A new ticket: its priority class, its place in the queue's line and its on-call flag
    (decided again by the settle loop once the rules have routed it)."""
    ticket.priority_class = repository.priority_class(session, ticket.organization_id)
    if ticket.queue_id is not None:
        ticket.queue_entered_at = ticket.created_at
        decide_on_call(session, ticket)


def decide_on_call(session: Session, ticket: Ticket) -> None:
    """A new ticket, once routed, is on call when it was created outside its queue's hours (the
    queue's calendar, else the default one: the first calendar); without a calendar, never."""
    if ticket.queue_id is None or ticket.created_at is None:
        return
    queue = repository.queue(session, ticket.queue_id)
    calendar_id = queue.calendar_id if queue is not None else None
    if calendar_id is None:
        calendar_id = calendar_service.default_calendar_id(session)
    cal = calendar_service.business_calendar_by_id(session, calendar_id) if calendar_id else None
    on_call = cal is not None and not cal.is_open(ticket.created_at)
    if ticket.on_call != on_call:
        ticket.on_call = on_call


TRIAGE_NAME: Final = "Triagem"


def triage_queue(session: Session) -> Queue:
    """The triage queue; the first ticket that needs one while none is marked makes "Triagem"
    the triage queue (created when no queue has that name)."""
    queue = repository.triage_queue(session)
    if queue is not None:
        return queue
    queue = repository.queue_by_name(session, TRIAGE_NAME)
    if queue is None:
        queue = Queue(
            name=TRIAGE_NAME,
            description="Chamados criados sem fila e não encaminhados por uma regra.",
            triage=True,
        )
        session.add(queue)
        session.flush()
        audit.created(session, SYSTEM, queue)
        return queue
    before = audit.snapshot(queue)
    queue.triage = True
    session.flush()
    audit.updated(session, SYSTEM, queue, before)
    return queue


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
        if not overridden(session) and repository.absent_user_ids(session, [after], now):
            raise Conflict(
                "user {after} is absent (vacation): assign their substitute instead",
                field="assignee_id",
                after=after,
            )
        check_capacity(session, ticket, after, actor=actor)
        if before is None and ticket.queue_id is not None:
            record_assignment(session, ticket, user_id=after, now=now, how=how)
    elif ticket.queue_id is not None:
        ticket.queue_entered_at = now  # back in the line


def is_member(session: Session, queue_id: int, user_id: int) -> bool:
    return user_id in repository.members_by_queue(session, [queue_id])[queue_id]


def follow(session: Session, ticket: Ticket, *, user_id: int, reason: str, now: datetime) -> bool:
    """``user_id`` follows the ticket (reads it, hears of replies and resolution)."""
    pending = any(
        isinstance(o, TicketFollower) and (o.ticket_id, o.user_id) == (ticket.id, user_id)
        for o in session.new
    )
    if pending or repository.follower(session, ticket.id, user_id) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket.id, user_id=user_id, reason=reason, created_at=now))
    return True
