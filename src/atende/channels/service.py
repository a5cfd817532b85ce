"""Reading a ticket's e-mails (staff) and the original of an inbound message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.channels import repository
from atende.channels.models import EmailRecord, InboundItem
from atende.domain.errors import NotFound
from atende.tickets import repository as ticket_repository


def _staff_ticket(session: Session, actor: Actor, ticket_id: int) -> int:
    """The ticket's id if a staff member may read it; 404 otherwise (contacts included: the
    e-mails' headers and originals are internal)."""
    if not actor.is_staff or ticket_repository.get_readable(session, actor, ticket_id) is None:
        raise NotFound("ticket {ticket_id} not found", field="ticket_id", ticket_id=ticket_id)
    return ticket_id


def ticket_emails(session: Session, *, actor: Actor, ticket_id: int) -> Sequence[EmailRecord]:
    return repository.ticket_records(session, _staff_ticket(session, actor, ticket_id))


def emails_of_read_ticket(session: Session, ticket_id: int) -> Sequence[EmailRecord]:
    """The e-mails of a ticket the caller has already read through a staff actor's access (the
    ticket page: one statement, no second access check)."""
    return repository.ticket_records(session, ticket_id)


def original(session: Session, *, actor: Actor, ticket_id: int, message_id: int) -> InboundItem:
    """The inbound item a message came from (its raw e-mail)."""
    found = repository.item_of_message(
        session, _staff_ticket(session, actor, ticket_id), message_id
    )
    if found is None:
        raise NotFound(
            "message {message_id} did not come from a channel",
            field="message_id",
            message_id=message_id,
        )
    return found
