"""Seed 004, "Em caso de cancelamento de sistema": before a cancellation request goes to the
Clientes department, the agent tries to keep the customer and records the attempt — what was
offered and whether the customer accepted. A person's transfer of a ticket of type
``cancellation`` is refused until an attempt is on its timeline (or comes with the transfer);
the bot's and the rules' routing is not held."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import ValidationFailed
from atende.tickets.events import Changed
from atende.tickets.models import Ticket, TicketEvent
from atende.tickets.service import ensure_not_closed, ensure_staff, writable
from atende.tickets.timeline import record_event

KIND = "retention"
CANCELLATION = "cancellation"
OUTCOMES = ("accepted", "declined")


def record(
    session: Session, *, actor: Actor, ticket_id: int, offer: str, outcome: str, now: datetime
) -> tuple[Ticket, list[Changed]]:
    """Write the retention attempt on the ticket's timeline (internal): the offer and the
    customer's answer."""
    ensure_staff(actor, "record a retention attempt")
    ticket = writable(session, actor, ticket_id)
    ensure_not_closed(ticket)
    return ticket, attempt(session, ticket, actor=actor, offer=offer, outcome=outcome, now=now)


def attempt(
    session: Session, ticket: Ticket, *, actor: Actor, offer: str, outcome: str, now: datetime
) -> list[Changed]:
    text = (offer or "").strip()
    if len(text) < 3:
        raise ValidationFailed("say what was offered to keep the customer", field="offer")
    if outcome not in OUTCOMES:
        raise ValidationFailed("outcome must be accepted or declined", field="outcome")
    record_event(
        session, ticket, actor=actor, kind=KIND, at=now,
        after={"offer": text[:1000], "outcome": outcome}, public=False,
    )  # fmt: skip
    return [Changed(ticket)]


def has_attempt(session: Session, ticket_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == KIND))
        )
    )


def ensure_before_transfer(session: Session, ticket: Ticket, actor: Actor) -> None:
    """A person transfers a cancellation request only after a retention attempt."""
    if ticket.type != CANCELLATION or actor.user_id is None:
        return
    if not has_attempt(session, ticket.id):
        raise ValidationFailed(
            "record the retention attempt (what was offered, and the customer's answer) "
            "before transferring a cancellation request",
            field="retention",
        )
