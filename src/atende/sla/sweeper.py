"""Time moves SLA clocks: the sweeper fires warnings and breaches at their instant.

Each ticket keeps ``next_sla_deadline`` (the earliest warning or due instant of its running
clocks), indexed. A sweep reads the due ones in deadline order (cost grows with the number of
due tickets, not the number of open ones) and re-evaluates each in its own short transaction:
the evaluation announces the warning or breach on the timeline, escalates, fires the
``sla_warning`` / ``sla_breach`` rules and moves ``next_sla_deadline`` on. Several workers may
sweep at once: each ticket is row-locked (``SKIP LOCKED`` on PostgreSQL) and re-checked.

Also here: the job that re-evaluates every open ticket after a policy or calendar edit, in
batches (each batch a transaction; the job re-enqueues itself with its cursor).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
from atende.jobs import outbox
from atende.jobs.registry import JobContext, handler
from atende.sla import repository

log = logging.getLogger("atende.sla")

SWEEP_LIMIT = 1000
REEVALUATE_BATCH = 200


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def sweep(sessions: sessionmaker[Session], now: datetime, *, limit: int = SWEEP_LIMIT) -> int:
    """Re-evaluate the tickets whose next SLA deadline has come; returns how many."""
    with transaction(sessions) as session:
        ids = repository.due_ticket_ids(session, now=now, limit=limit)
    done = 0
    for ticket_id in ids:
        try:
            with transaction(sessions) as session:
                ticket = repository.lock_due_ticket(
                    session, ticket_id, now=now, skip_locked=_is_postgres(session)
                )
                if ticket is None:
                    continue  # swept by another worker meanwhile, or changed
                refresh(session, ticket, now=now)
                done += 1
        except Exception:
            log.exception(
                "SLA sweep of ticket %s failed; it stays due for the next sweep", ticket_id
            )
    return done


def refresh(session: Session, ticket: Any, *, now: datetime) -> None:
    """Re-evaluate one ticket and react to what that announces (no rules event of its own)."""
    from atende.sla import service as sla_service
    from atende.tickets import autoclose
    from atende.tickets import service as ticket_service

    signals = sla_service.reevaluate(session, ticket=ticket, now=now)
    autoclose.schedule(session, ticket, now=now)
    ticket_service.react(session, ticket, now=now, event=None, signals=signals)


def request_reevaluation(session: Session, *, reason: str, now: datetime) -> None:
    """Queue the re-evaluation of every open ticket (after a policy or calendar edit)."""
    outbox.enqueue(
        session, "sla.reevaluate_open", reason=reason, after_id=0, requested_at=now.isoformat()
    )


@handler("sla.reevaluate_open")
def reevaluate_open(ctx: JobContext, payload: dict[str, Any]) -> None:
    from atende.db.base import utcnow
    from atende.tickets.models import Ticket

    after_id = int(payload.get("after_id", 0))
    with ctx.transaction() as session:
        ids = repository.open_ticket_ids_after(session, after_id=after_id, limit=REEVALUATE_BATCH)
        now = utcnow()
        for ticket_id in ids:
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is not None:
                refresh(session, ticket, now=now)
        if len(ids) == REEVALUATE_BATCH:
            outbox.enqueue(
                session,
                "sla.reevaluate_open",
                idempotency_key=f"{ctx.key}:after:{ids[-1]}",
                reason=payload.get("reason", ""),
                after_id=ids[-1],
            )
