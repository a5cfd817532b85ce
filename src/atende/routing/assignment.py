"""Capacity, availability and assignment: who may take which ticket, and the queue line.

* **Load** of an agent: open assigned tickets (new, open, pending_*) and active chats among them.
* **Capacity**: the agent's own ``max_open_tickets`` / ``max_chats``, else the smallest default of
  their queues, else unlimited. An assignment that would exceed it is refused (409) with the
  figures; the system (vacation handover) may exceed it.
* **Available**: online (not paused, not offline) and not absent. Auto-assignment and pulling
  (``POST /queues/{id}/next``) only reach available agents under capacity.
* **The line** of a queue: unassigned new/open tickets ordered by "sent back to the front",
  priority class (key accounts above every plan, then the plan's rank), earliest SLA due
  instant, arrival in the queue.
* **Modes**: ``manual`` (agents pull), ``round_robin`` (the available member served longest ago),
  ``least_loaded`` (fewest open tickets, then served longest ago).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import Conflict
from atende.routing import repository
from atende.routing.models import QueueWait
from atende.tickets.models import Ticket

KEY_ACCOUNT_CLASS: Final = 1001
"""Priority class of a key account: above every plan rank (0-1000)."""
MODES: Final = ("manual", "round_robin", "least_loaded")
MAX_DISPATCH: Final = 500
"""At most this many assignments per dispatch call (the rest wait for the next trigger)."""


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


OVERRIDE: Final = "atende.routing.capacity_override"


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
        raise Conflict(f"user {user_id} is {why}", field="assignee_id")


def record_assignment(
    session: Session, ticket: Ticket, *, user_id: int, now: datetime, how: str
) -> None:
    """A ticket leaves its queue's line: record how long it waited there."""
    entered = ticket.queue_entered_at or ticket.created_at
    session.add(
        QueueWait(
            ticket_id=ticket.id, queue_id=ticket.queue_id, assignee_id=user_id,
            entered_at=entered, assigned_at=now,
            wait_seconds=max(int((now - entered).total_seconds()), 0), how=how,
        )
    )  # fmt: skip
    ticket.queue_front = False
    if ticket.queue_id is not None:  # exact time: several turns may fall in one second
        repository.touch_member(session, ticket.queue_id, user_id, datetime.now(UTC))


def dispatch(session: Session, *, now: datetime, queue_ids: Sequence[int] | None = None) -> int:
    """Hand out waiting tickets of auto-assign queues to available members under capacity,
    in line order; returns how many were assigned."""
    from atende.routing import service as routing_service

    postgres = session.get_bind().dialect.name == "postgresql"
    done = 0
    for queue in repository.auto_queues(session, queue_ids):
        members = list(repository.members(session, queue.id))
        if not members:
            continue
        ids = [m.user_id for m in members]
        free = available_ids(session, ids, now)
        if not free:
            continue
        # lock the agents before the line (pulls do too: presence, then a ticket), so two
        # dispatches or a dispatch and a pull never count one agent's load at once
        for uid in sorted(free):
            repository.lock_presence(session, uid)
        waiting = list(
            repository.line(session, queue.id, limit=MAX_DISPATCH, lock=True, skip_locked=postgres)
        )
        if not waiting:
            continue
        load = loads(session, sorted(free))
        last = {m.user_id: m.last_assigned_at for m in members}
        for ticket in waiting:
            candidates = [uid for uid in free if load[uid].refuses(ticket) is None]
            if not candidates:
                continue  # a chat may wait while a non-chat ticket still fits
            epoch = datetime.min.replace(tzinfo=UTC)
            if queue.assignment_mode == "least_loaded":
                chosen = min(candidates, key=lambda u: (load[u].open_tickets, last[u] or epoch, u))
            else:  # round robin: served longest ago (never served first)
                chosen = min(candidates, key=lambda u: (last[u] or epoch, u))
            routing_service.auto_assign(
                session, ticket=ticket, user_id=chosen, now=now, how=queue.assignment_mode
            )
            last[chosen] = datetime.now(UTC)
            old = load[chosen]
            load[chosen] = Load(
                old.open_tickets + 1,
                old.chats + (1 if ticket.channel == "chat" else 0),
                old.max_open_tickets,
                old.max_chats,
            )
            done += 1
    return done
