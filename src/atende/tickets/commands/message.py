"""Messages: a public reply, an internal note, a message from the contact, their attachments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import NotFound, PermissionDenied, ValidationFailed
from atende.tickets import repository
from atende.tickets.commands import links
from atende.tickets.events import Changed
from atende.tickets.models import Message
from atende.tickets.service import (
    ensure_not_closed,
    writable,
    write_message,
)
from atende.tickets.timeline import (
    clean_body,
)

# --- messages -----------------------------------------------------------------------------


def add_message(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    public: bool,
    now: datetime,
    author: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> tuple[Message, list[Changed]]:
    """A public reply (``public=True``) or an internal note (``public=False``).

    Contacts write public messages only. Staff may record a message from the requester
    (``author="contact"``, e.g. a phone call). The first public agent reply sets
    ``first_response_at`` and takes a new ticket into ``open``; a contact message reopens a
    resolved ticket (or one waiting on the customer). A contact's message on a closed ticket opens
    a follow-up ticket and lands there (on a merged ticket it goes to the ticket merged into);
    staff cannot write on a closed ticket (409).
    """
    ticket = writable(session, actor, ticket_id)
    if actor.is_contact:
        if not public:
            raise PermissionDenied("a contact can only send public messages", field="public")
        kind = "contact"
    elif actor.is_staff:
        kind = author or ("agent" if actor.user_id is not None else "system")
        if kind not in ("agent", "contact", "system"):
            raise ValidationFailed("unknown author {kind!r}", field="author", kind=kind)
        if kind == "contact" and not public:
            raise ValidationFailed("a message from the contact is public", field="public")
    else:
        raise NotFound("ticket {ticket_id} not found", ticket_id=ticket_id)
    safe_html, text = clean_body(body)
    if kind == "contact":
        hops = 0
        while ticket.merged_into_id is not None and hops < 20:
            target = repository.ticket_by_id(session, ticket.merged_into_id, for_update=True)
            if target is None:
                break
            ticket, hops = target, hops + 1
        if ticket.status == "closed":
            follow_up, tags = links.open_follow_up(
                session, actor=actor, source=ticket, subject=None, now=now
            )
            message = write_message(
                session, follow_up, actor=actor, kind=kind, html=safe_html, text=text,
                public=True, now=now,
            )  # fmt: skip
            _bind_attachments(session, actor, ticket.id, message, attachment_ids)
            return message, [Changed(follow_up, "message_received", message, tags=tags)]
    ensure_not_closed(ticket)
    message = write_message(
        session, ticket, actor=actor, kind=kind, html=safe_html, text=text, public=public, now=now
    )
    _bind_attachments(session, actor, ticket.id, message, attachment_ids)
    event = None
    if kind == "contact":
        event = "message_received"
    elif public and kind == "agent":
        event = "message_sent"
    return message, [Changed(ticket, event, message)]


def _bind_attachments(
    session: Session,
    actor: Actor,
    ticket_id: int,
    message: Message,
    attachment_ids: Sequence[int],
) -> None:
    """Tie uploaded attachments to ``message``.

    Only attachments the author may already read can be bound (a contact: public ones), and
    binding never changes an attachment's visibility: an internal attachment on a public message,
    or a public one on an internal note, is refused (upload it with the message's visibility).
    An id the author may not read is refused exactly like a missing one.
    """
    if not attachment_ids:
        return
    session.flush()
    found = repository.attachments_for_message(
        session, ticket_id, attachment_ids, public_only=not actor.is_staff
    )
    missing = sorted(set(attachment_ids) - {a.id for a in found})
    if missing:
        raise ValidationFailed(
            "attachments {missing} are not unbound attachments of this ticket",
            field="attachment_ids",
            missing=missing,
        )
    wrong = sorted(a.id for a in found if a.public != message.public)
    if wrong:
        if message.public:
            raise ValidationFailed(
                "attachments {wrong} are internal and cannot go on a public message",
                field="attachment_ids",
                wrong=wrong,
            )
        raise ValidationFailed(
            "attachments {wrong} are public and cannot go on an internal note",
            field="attachment_ids",
            wrong=wrong,
        )
    for attachment in found:
        attachment.message_id = message.id
        attachment.ticket_id = message.ticket_id
