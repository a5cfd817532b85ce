"""Time moves SLA clocks: the sweeper fires warnings and breaches at their instant.

Each ticket keeps ``next_sla_deadline`` (the earliest warning or due instant of its running
clocks), indexed. The sweep (``workflows/sweeps.py: sla_deadlines``) reads the due ones in
deadline order (cost grows with the number of due tickets, not the number of open ones) and
re-evaluates each in its own short transaction, through the settle loop.

Also here: asking for the re-evaluation of every open ticket after a policy or calendar edit
(the job ``sla.reevaluate_open``, in ``workflows/jobs.py``), and its batches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from atende.jobs import outbox
from atende.sla import repository
from atende.tickets.models import Ticket

REEVALUATE_BATCH = 200


def open_tickets_after(session: Session, *, after_id: int) -> list[Ticket]:
    """The next batch of open tickets after ``after_id``, each row-locked."""
    ids = repository.open_ticket_ids_after(session, after_id=after_id, limit=REEVALUATE_BATCH)
    found = (session.get(Ticket, i, with_for_update=True) for i in ids)
    return [t for t in found if t is not None]


def request_reevaluation(session: Session, *, reason: str, now: datetime) -> None:
    """Queue the re-evaluation of every open ticket (after a policy or calendar edit)."""
    outbox.enqueue(
        session, "sla.reevaluate_open", reason=reason, after_id=0, requested_at=now.isoformat()
    )
