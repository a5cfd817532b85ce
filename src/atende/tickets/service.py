"""Tickets: reading them, the checks every command shares, status changes, ticket types.

One use case, one transaction: each function flushes and never commits. Authorization is checked
here: a ticket the actor may not read answers NotFound, exactly like a missing id. Every change
writes a TicketEvent (who, when, before, after). The commands that change tickets are in
``commands/`` and return what they changed (``tickets.events.Changed``); they call none of the
areas that react to it: the settle loop (``workflows/settle.py``) does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.actor import Actor
from atende.customers.models import Organization
from atende.domain import lifecycle
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.queues.models import Queue
from atende.replycheck import service as replycheck_service
from atende.tickets import repository
from atende.tickets.models import Message, Ticket, TicketEvent, TicketType
from atende.tickets.timeline import (
    record_event,
    record_message,
)

# The built-in types: rows made by migration 0015 with these Portuguese labels (admins may
# relabel or deactivate them, not rename them); admins add more as TicketType rows. A name
# is accepted while its row is active (a built-in one also when its row is missing).
BUILTIN_TYPES = {
    "question": "Dúvida",
    "incident": "Incidente",
    "problem": "Problema",
    "request": "Solicitação",
    "cancellation": "Cancelamento",
    "task": "Tarefa",
}
DEFAULT_TYPES = tuple(BUILTIN_TYPES)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_IMPORT_FIELDS = ("created_at", "status", "resolved_at", "closed_at", "messages", "external_id")
_CONTACT_FORBIDDEN = (
    "queue_id",
    "assignee_id",
    "contact_id",
    "requester",
    "organization_id",
    "tags",
    "custom_fields",
)
PATCH_FIELDS = frozenset(
    {
        "subject",
        "status",
        "priority",
        "type",
        "queue_id",
        "assignee_id",
        "organization_id",
        "tags",
        "custom_fields",
        "chat_ended_at",
        "reason",
    }
)


# --- reading ------------------------------------------------------------------------------


def get_ticket(session: Session, *, actor: Actor, ticket_id: int) -> Ticket:
    ticket = repository.get_readable(session, actor, ticket_id)
    if ticket is None:
        raise NotFound("ticket {ticket_id} not found", ticket_id=ticket_id)
    return ticket


def writable(session: Session, actor: Actor, ticket_id: int, *, field: str | None = None) -> Ticket:
    """The ticket, locked for this transaction, if the actor may read it."""
    ticket = repository.get_readable(session, actor, ticket_id, for_update=True)
    if ticket is None:
        raise NotFound("ticket {ticket_id} not found", field=field, ticket_id=ticket_id)
    return ticket


def lock(session: Session, ticket: Ticket) -> Ticket:
    """``ticket`` locked for this transaction (another area writes on its timeline)."""
    locked = repository.ticket_by_id(session, ticket.id, for_update=True)
    assert locked is not None
    return locked


def timeline(session: Session, *, actor: Actor, ticket_id: int) -> list[Message | TicketEvent]:
    """Every message and event of the ticket in order (a contact sees only the public ones)."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    public_only = not actor.is_staff
    entries: list[Message | TicketEvent] = [
        *repository.messages_of(session, ticket.id, public_only=public_only),
        *repository.events_of(session, ticket.id, public_only=public_only),
    ]
    entries.sort(key=lambda e: (e.created_at, e.position))
    return entries


def tags_of(session: Session, tickets: Sequence[Ticket]) -> dict[int, list[str]]:
    return repository.tags_by_ticket(session, (t.id for t in tickets))


def ticket_view(ticket: Ticket, tags: list[str], *, staff: bool = True) -> dict[str, Any]:
    """The ticket's fields as the API answers them. A contact (``staff`` false) sees no tags
    (the staff's own classification, e.g. ``inadimplente``) and not who reviewed an on-call
    ticket."""
    view = {
        "id": ticket.id,
        "number": ticket.number,
        "display_number": f"#{ticket.number}",
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "requester_id": ticket.requester_id,
        "organization_id": ticket.organization_id,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "tags": tags,
        "custom_fields": ticket.custom_fields or {},
        "external_id": ticket.external_id,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "auto_close_at": ticket.auto_close_at,
        "chat_ended_at": ticket.chat_ended_at,
        "split_from_id": ticket.split_from_id,
        "merged_into_id": ticket.merged_into_id,
        "follow_up_of_id": ticket.follow_up_of_id,
        "on_call": bool(ticket.on_call),
        "on_call_reviewed_at": ticket.on_call_reviewed_at,
        "on_call_reviewed_by_id": ticket.on_call_reviewed_by_id,
    }
    if not staff:
        view.update(tags=[], on_call_reviewed_at=None, on_call_reviewed_by_id=None)
    return view


# --- shared checks ------------------------------------------------------------------------


def normalise_tags(tags: Sequence[str]) -> list[str]:
    """Lower-case, without repeats, sorted; refuses a tag that lower-casing made too long."""
    out = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in out:
        if len(tag) > 60:
            raise ValidationFailed(
                "tag {tag!r}... is longer than 60 characters", field="tags", tag=tag[:20]
            )
    return out


def check_type(session: Session, name: str | None) -> None:
    if name is None:
        return
    row = repository.ticket_type_by_name(session, name)
    if row is not None and row.active:
        return
    if row is None and name in DEFAULT_TYPES:
        return
    known = sorted(
        {*DEFAULT_TYPES, *(t.name for t in repository.ticket_types(session) if t.active)}
        - ({row.name} if row is not None else set())
    )
    raise ValidationFailed(
        "unknown ticket type {name!r}; known: {known}",
        field="type",
        name=name,
        known=", ".join(known),
    )


def check_queue(session: Session, queue_id: int | None, *, field: str = "queue_id") -> Queue | None:
    """The queue (None for no queue); 422 when it does not exist."""
    if queue_id is None:
        return None
    queue = repository.queue(session, queue_id)
    if queue is None:
        raise ValidationFailed("queue {queue_id} does not exist", field=field, queue_id=queue_id)
    return queue


def check_assignee(session: Session, user_id: int | None, *, field: str = "assignee_id") -> None:
    if user_id is not None and repository.staff_user(session, user_id) is None:
        raise ValidationFailed(
            "user {user_id} is not an active agent", field=field, user_id=user_id
        )


def check_organization(session: Session, org_id: int | None) -> Organization | None:
    """The organization (None for none); 422 when it does not exist."""
    if org_id is None:
        return None
    org = repository.organization(session, org_id)
    if org is None:
        raise ValidationFailed(
            "organization {org_id} does not exist", field="organization_id", org_id=org_id
        )
    return org


def check_instant(value: datetime | None, *, field: str, now: datetime) -> None:
    if value is None:
        return
    if value < EARLIEST or value > now:
        raise ValidationFailed("must lie between 1970 and now", field=field)


def ensure_not_closed(ticket: Ticket) -> None:
    if ticket.status == "closed":
        raise lifecycle.InvalidTransition(
            "ticket #{number} is closed, and closed is final: open a "
            "follow-up ticket (POST /api/v1/tickets/{id}/follow-up)",
            field="status",
            number=ticket.number,
            id=ticket.id,
        )


def ensure_staff(actor: Actor, what: str) -> None:
    if not actor.is_staff:
        raise PermissionDenied("only staff may {what}", what=what)


def set_status(
    session: Session,
    ticket: Ticket,
    target: str,
    *,
    actor: Actor,
    at: datetime,
    detail: str = "",
    actor_user_id: int | None = None,
    actor_label: str | None = None,
) -> None:
    """Move to ``target`` (checked), stamp resolved/closed times, write the event (by
    ``actor``, or by ``actor_user_id`` / ``actor_label`` when someone else did it: an imported
    reply's agent)."""
    if ticket.status == target:
        return
    lifecycle.ensure_transition(ticket.status, target)
    before = ticket.status
    ticket.resolved_at, ticket.closed_at = lifecycle.timestamps_for_status(
        before, target, now=at, resolved_at=ticket.resolved_at, closed_at=ticket.closed_at
    )
    ticket.status = target
    ticket.status_changed_at = at
    record_event(
        session,
        ticket,
        actor=actor,
        kind="status",
        at=at,
        before=before,
        after=target,
        detail=detail,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )


def write_message(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    kind: str,
    html: str,
    text: str,
    public: bool,
    now: datetime,
) -> Message:
    if kind == "contact":
        contact_id = actor.contact_id if actor.is_contact else ticket.requester_id
        message = record_message(
            session,
            ticket,
            author_kind="contact",
            author_contact_id=contact_id,
            author_user_id=actor.user_id if actor.is_contact else None,
            body_html=html,
            body_text=text,
            public=True,
            at=now,
            channel=ticket.channel,
        )
        ticket.last_contact_message_at = now
        target = lifecycle.status_after_contact_message(ticket.status)
        set_status(session, ticket, target, actor=actor, at=now, detail="the contact replied")
        return message
    # a public reply of an agent leaves with the reply check's findings recorded (never blocked)
    checked = public and kind == "agent"
    message = record_message(
        session,
        ticket,
        author_kind=kind,
        author_user_id=actor.user_id,
        body_html=html,
        body_text=text,
        public=public,
        at=now,
        channel=ticket.channel if public else None,
        reply_check=replycheck_service.check_sent_reply(session, text=text) if checked else None,
    )
    if public and kind == "agent":
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        target = lifecycle.status_after_agent_reply(ticket.status)
        set_status(session, ticket, target, actor=actor, at=now, detail="first public reply")
    return message


# --- ticket types -------------------------------------------------------------------------


def list_ticket_types(session: Session, *, actor: Actor) -> list[TicketType]:
    """Every type, the built-in ones among them (each with its id), by name."""
    ensure_staff(actor, "list ticket types")
    return list(repository.ticket_types(session))


def create_ticket_type(session: Session, *, actor: Actor, data: dict[str, Any]) -> TicketType:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may configure ticket types")
    if repository.ticket_type_by_name(session, data["name"]) is not None:
        raise Conflict("ticket type {name!r} already exists", field="name", name=data["name"])
    row = TicketType(**data)
    session.add(row)
    session.flush()
    audit.created(session, actor, row)
    return row


def update_ticket_type(
    session: Session, *, actor: Actor, type_id: int, changes: dict[str, Any]
) -> TicketType:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may configure ticket types")
    row = repository.ticket_type(session, type_id)
    if row is None:
        raise NotFound("ticket type {type_id} not found", type_id=type_id)
    before = audit.snapshot(row)
    for key, value in changes.items():
        if value is None:
            raise ValidationFailed("{key} cannot be null", field=key, key=key)
        setattr(row, key, value)
    session.flush()
    audit.updated(session, actor, row, before)
    return row
