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

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.queues import line as queue_line
from atende.queues import repository as queue_repository
from atende.routing import repository
from atende.tickets.events import Changed, Settle
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event

ROUTING_ACTOR: Final = Actor(user_id=None, role="system", name="Routing")
MODES: Final = ("manual", "round_robin", "least_loaded")
MAX_DISPATCH: Final = 500
"""At most this many assignments per dispatch call (the rest wait for the next trigger)."""
TURN_STEP: Final = timedelta(microseconds=1)
"""A dispatch stamps a member's turn at least this long after the queue's latest turn."""


def dispatch(
    session: Session, *, now: datetime, queue_ids: Sequence[int] | None, settle: Settle
) -> int:
    """Hand out waiting tickets of auto-assign queues to available members under capacity,
    in line order; returns how many were assigned. Each assignment is settled at once
    (``settle``: the settle loop, which never dispatches again meanwhile)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    done = 0
    for queue in repository.auto_queues(session, queue_ids):
        members = list(repository.members(session, queue.id))
        if not members:
            continue
        ids = [m.user_id for m in members]
        free = queue_line.available_ids(session, ids, now)
        if not free:
            continue
        # lock the agents before the line (pulls do too: presence, then a ticket), so two
        # dispatches or a dispatch and a pull never count one agent's load at once
        for uid in sorted(free):
            queue_repository.lock_presence(session, uid)
        waiting = list(
            repository.line(session, queue.id, limit=MAX_DISPATCH, lock=True, skip_locked=postgres)
        )
        if not waiting:
            continue
        load = queue_line.loads(session, sorted(free))
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
            # several turns may fall in one second (``now``'s): each is stamped after the last
            served = max((t for t in last.values() if t is not None), default=epoch)
            turn_at = max(now, served + TURN_STEP)
            auto_assign(
                session, ticket=ticket, user_id=chosen, now=now, how=queue.assignment_mode,
                settle=settle, turn_at=turn_at,
            )  # fmt: skip
            last[chosen] = turn_at
            old = load[chosen]
            load[chosen] = queue_line.Load(
                old.open_tickets + 1,
                old.chats + (1 if ticket.channel == "chat" else 0),
                old.max_open_tickets,
                old.max_chats,
            )
            done += 1
    return done


def auto_assign(
    session: Session,
    *,
    ticket: Ticket,
    user_id: int,
    now: datetime,
    how: str,
    settle: Settle,
    turn_at: datetime | None = None,
) -> None:
    """The routing engine gives ``ticket`` to ``user_id`` (checked by the caller); ``turn_at``:
    the member's turn, as ``queue_line.record_assignment`` stamps it."""
    queue_line.record_assignment(
        session, ticket, user_id=user_id, now=now, how=how, turn_at=turn_at
    )
    ticket.assignee_id = user_id
    record_event(
        session, ticket, actor=ROUTING_ACTOR, kind="assignee", at=now, before=None,
        after=user_id, detail=f"assigned automatically ({how.replace('_', ' ')})",
    )  # fmt: skip
    settle([Changed(ticket, "ticket_updated")])
