"""The weekly review of a ticket opened on call (seed 001): a supervisor marks it reviewed, or
takes the mark back; who and when are kept on the ticket and written on its timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.access import ensure_supervisor
from atende.auth.actor import Actor
from atende.domain.errors import Conflict
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.tickets.service import writable
from atende.tickets.timeline import record_event


def _mark(ticket: Ticket) -> dict[str, object] | None:
    if ticket.on_call_reviewed_at is None:
        return None
    return {
        "reviewed_at": ticket.on_call_reviewed_at.isoformat(),
        "reviewed_by_id": ticket.on_call_reviewed_by_id,
    }


def review_on_call(
    session: Session, *, actor: Actor, ticket_id: int, reviewed: bool, now: datetime
) -> tuple[Ticket, list[Changed]]:
    """Mark the on-call ticket reviewed (``reviewed``) or not. Supervisors and admins (403
    before the id is looked up); a ticket not opened on call is refused (409). Marking twice
    keeps the first mark and writes nothing."""
    ensure_supervisor(actor)
    ticket = writable(session, actor, ticket_id)
    if not ticket.on_call:
        raise Conflict(
            "ticket #{id} was not opened on call: it has no on-call review",
            field="on_call",
            id=ticket.id,
        )
    if reviewed == (ticket.on_call_reviewed_at is not None):
        return ticket, []
    before = _mark(ticket)
    ticket.on_call_reviewed_at = now if reviewed else None
    ticket.on_call_reviewed_by_id = actor.user_id if reviewed else None
    record_event(
        session,
        ticket,
        actor=actor,
        kind="on_call_reviewed" if reviewed else "on_call_review_removed",
        at=now,
        before=before,
        after=_mark(ticket),
        public=False,
    )
    return ticket, [Changed(ticket)]
