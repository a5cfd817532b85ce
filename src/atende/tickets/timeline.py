"""Writing the timeline: messages and events share one position counter per ticket.

The ticket row is locked (or new) whenever an entry is written, so positions never collide.
The timeline is read in (created_at, position) order: an imported or moved message keeps its
own time and lands where it belongs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import ValidationFailed
from atende.domain.text import prepare_body
from atende.tickets.models import Message, Ticket, TicketEvent

# Events a contact sees on the portal; everything else is internal.
PUBLIC_EVENT_KINDS = frozenset({"created", "status", "merged_into", "merged_from", "follow_up"})


def next_position(ticket: Ticket) -> int:
    ticket.timeline_count = (ticket.timeline_count or 0) + 1
    return ticket.timeline_count


def record_event(session: Session, ticket: Ticket, **fields: Any) -> TicketEvent:
    """One event (the fields of `new_event`), written with the ticket."""
    event = new_event(ticket, **fields)
    _attach(event, ticket)
    session.add(event)
    return event


def new_event(
    ticket: Ticket,
    *,
    actor: Actor,
    kind: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
    detail: str = "",
    actor_user_id: int | None = None,
    actor_label: str | None = None,
    public: bool | None = None,
) -> TicketEvent:
    """An event, not yet in any session (its position taken); ``public`` (shown to contacts)
    defaults by kind (PUBLIC_EVENT_KINDS)."""
    return TicketEvent(
        position=next_position(ticket),
        kind=kind,
        actor_user_id=actor_user_id if actor_user_id is not None else actor.user_id,
        actor_label=(actor_label or actor.label)[:200],
        before=before,
        after=after,
        detail=detail,
        public=kind in PUBLIC_EVENT_KINDS if public is None else public,
        created_at=at,
    )


def clean_body(body: str, *, field: str = "body") -> tuple[str, str]:
    """(safe_html, text); refuses a body that is empty once unsafe HTML is removed."""
    safe_html, text = prepare_body(body)
    if not text.strip() and "<img" not in safe_html:
        raise ValidationFailed("the body is empty once unsafe HTML is removed", field=field)
    return safe_html, text


def record_message(session: Session, ticket: Ticket, **fields: Any) -> Message:
    """One message (the fields of `new_message`), written with the ticket."""
    message = new_message(ticket, **fields)
    _attach(message, ticket)
    session.add(message)
    return message


def new_message(
    ticket: Ticket,
    *,
    author_kind: str,
    body_html: str,
    body_text: str,
    public: bool,
    at: datetime,
    author_user_id: int | None = None,
    author_contact_id: int | None = None,
    channel: str | None = None,
    reply_check: dict[str, Any] | None = None,
) -> Message:
    """The message `record_message` writes, not yet in any session (its position taken)."""
    return Message(
        position=next_position(ticket),
        author_kind=author_kind,
        author_user_id=author_user_id,
        author_contact_id=author_contact_id,
        public=public,
        body_html=body_html,
        body_text=body_text,
        channel=channel,
        created_at=at,
        reply_check=reply_check,
        reply_warned=bool(reply_check.get("findings")) if reply_check is not None else None,
    )


def add_entries(session: Session, ticket: Ticket, entries: list[Message | TicketEvent]) -> None:
    """Put entries made by `new_event` / `new_message` in the session, tied to ``ticket``."""
    for entry in entries:
        _attach(entry, ticket)
        session.add(entry)


def _attach(entry: Message | TicketEvent, ticket: Ticket) -> None:
    """A ticket not yet flushed is written with its entries in one flush."""
    if ticket.id is None:
        entry.ticket = ticket
    else:
        entry.ticket_id = ticket.id
