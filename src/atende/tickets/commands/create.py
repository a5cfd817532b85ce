"""Creating a ticket: the requester, the opening message, its tags and line order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.customers import service as customer_service
from atende.customers.models import Contact
from atende.domain.errors import Conflict, PermissionDenied, ValidationFailed
from atende.queues import line as queue_line
from atende.tickets import repository
from atende.tickets.commands import history
from atende.tickets.events import Changed, Opened
from atende.tickets.models import Message, Ticket, TicketEvent
from atende.tickets.schemas import TicketIn
from atende.tickets.service import (
    _CONTACT_FORBIDDEN,
    _IMPORT_FIELDS,
    check_assignee,
    check_instant,
    check_organization,
    check_queue,
    check_type,
    normalise_tags,
)
from atende.tickets.timeline import (
    add_entries,
    clean_body,
    new_event,
    new_message,
)

# --- create -------------------------------------------------------------------------------


def _requester(session: Session, actor: Actor, data: TicketIn) -> Contact | None:
    if actor.is_contact:
        if actor.contact_id is None:
            raise PermissionDenied("this account is not linked to a contact")
        return repository.contact(session, actor.contact_id)
    if data.contact_id is not None:
        found = repository.contact(session, data.contact_id)
        if found is None:
            raise ValidationFailed(
                "contact {contact_id} does not exist",
                field="contact_id",
                contact_id=data.contact_id,
            )
        return found
    if data.requester is not None:
        r = data.requester
        email = str(r.email) if r.email else None
        try:
            # A savepoint: two requests creating the same new requester at once must not fail;
            # the loser of the race finds the winner's contact.
            with session.begin_nested():
                return customer_service.find_or_create_contact(
                    session, name=r.name, email=email, phone=r.phone
                )
        except IntegrityError:
            return customer_service.find_or_create_contact(
                session, name=r.name, email=email, phone=r.phone
            )
    return None


@dataclass
class Opening:
    """A new ticket as its creation starts: checked, built, its first timeline entries made
    (the ``created`` event, the opening message), nothing added to a session yet."""

    ticket: Ticket
    requester: Contact | None
    rows: tuple[object, ...]  # the requester, organization and queue it checked
    tags: list[str]
    entries: list[Message | TicketEvent]
    opening_message: Message | None
    contact_message_at: datetime | None  # when the requester wrote the opening message
    plan: history.HistoryPlan | None


def open_ticket(session: Session, *, actor: Actor, data: TicketIn, now: datetime) -> Opening:
    """Check a creation and build its ticket and first entries (reads only, except a new
    ``requester`` contact, which is created). Shared by `create_ticket` and the quick path."""
    if not (actor.is_staff or actor.is_contact):
        raise PermissionDenied("this account may not create tickets")
    if data.is_import and not actor.is_admin:
        field = next(f for f in _IMPORT_FIELDS if getattr(data, f) is not None)
        raise PermissionDenied("only an admin may import tickets with history", field=field)
    if actor.is_contact:
        for name in _CONTACT_FORBIDDEN:
            if name in data.model_fields_set and getattr(data, name) not in (None, [], {}):
                raise PermissionDenied("a contact may not set {name}", field=name, name=name)
    requester = _requester(session, actor, data)
    organization_id = data.organization_id
    if organization_id is None and requester is not None:
        organization_id = requester.organization_id
    organization = check_organization(session, organization_id)
    queue = check_queue(session, data.queue_id)
    rows = tuple(r for r in (requester, organization, queue) if r is not None)
    check_assignee(session, data.assignee_id)
    check_type(session, data.type)
    if data.external_id is not None:
        existing = repository.ticket_id_by_external_id(session, data.external_id)
        if existing is not None:
            raise Conflict(
                "external_id {external_id!r} was already imported as ticket #{existing}",
                field="external_id",
                external_id=data.external_id,
                existing=existing,
            )
    opening = clean_body(data.body) if data.body is not None else None
    tags = normalise_tags(data.tags)
    created_at = data.created_at.astimezone(UTC) if data.created_at is not None else now

    ticket = Ticket(
        subject=data.subject,
        external_id=data.external_id,
        status="new",
        priority=data.priority,
        type=data.type,
        channel=data.channel,
        requester_id=requester.id if requester is not None else None,
        organization_id=organization_id,
        queue_id=data.queue_id,
        assignee_id=data.assignee_id,
        custom_fields=dict(data.custom_fields),
        created_at=created_at,
        updated_at=created_at,
        status_changed_at=created_at,
        timeline_count=0,
    )
    plan = None
    if data.is_import:
        plan = history.plan_history(session, data, created_at=created_at, now=now)
    elif data.chat_ended_at is not None:
        check_instant(data.chat_ended_at, field="chat_ended_at", now=now)
        ticket.chat_ended_at = data.chat_ended_at
    entries: list[Message | TicketEvent] = [
        new_event(
            ticket,
            actor=actor,
            kind="created",
            at=created_at,
            after={
                "status": "new",
                "priority": ticket.priority,
                "type": ticket.type,
                "channel": ticket.channel,
                "queue_id": ticket.queue_id,
                "assignee_id": ticket.assignee_id,
                "tags": tags,
            },
            detail="imported" if data.is_import else "",
        )
    ]
    message = None
    contact_message_at = None
    if opening is not None:
        if requester is not None:
            message = new_message(
                ticket,
                author_kind="contact",
                author_contact_id=requester.id,
                author_user_id=actor.user_id if actor.is_contact else None,
                body_html=opening[0],
                body_text=opening[1],
                public=True,
                at=created_at,
                channel=ticket.channel,
            )
            ticket.last_contact_message_at = contact_message_at = created_at
        else:
            message = new_message(
                ticket,
                author_kind="agent" if actor.user_id is not None else "system",
                author_user_id=actor.user_id,
                body_html=opening[0],
                body_text=opening[1],
                public=True,
                at=created_at,
                channel=ticket.channel,
            )
        entries.append(message)
    return Opening(ticket, requester, rows, tags, entries, message, contact_message_at, plan)


def create_ticket(
    session: Session, *, actor: Actor, data: TicketIn, now: datetime
) -> tuple[Ticket, list[Changed]]:
    """A new ticket; with history fields (admins only) an imported one that lived that history.

    The opening ``body`` is the requester's message (a contact message when there is a
    requester, else the creating agent's); it never counts as a first response.
    """
    opened = open_ticket(session, actor=actor, data=data, now=now)
    ticket = opened.ticket
    session.add(ticket)
    add_entries(session, ticket, opened.entries)
    if opened.plan is not None:
        history.replay_history(
            session, ticket, actor=actor, plan=opened.plan, requester=opened.requester
        )
    # its line order and on-call flag go in with the row (no UPDATE after the INSERT)
    # kept with the ticket while the requester and queue read above are still in the session:
    # its line order, its SLA policy and the rules look at them next
    repository.related_rows(session, ticket)
    queue_line.on_created(session, ticket, now=now)
    # One flush writes the ticket with its timeline (the entries are tied to the new row).
    if data.external_id is None:
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:  # imported at the same moment by another request
            raise Conflict(
                "external_id {external_id!r} was already imported",
                field="external_id",
                external_id=data.external_id,
            ) from exc
    tags = repository.set_tags(session, ticket, opened.tags, new=True)
    if actor.role == "agent" and actor.user_id is not None and not data.is_import:
        # whoever opens a ticket keeps access to it, wherever it is routed
        queue_line.follow(session, ticket, user_id=actor.user_id, reason="opened it", now=now)
    if ticket.assignee_id is not None and not data.is_import:
        queue_line.on_assignee_changed(
            session, ticket, actor=actor, before=None, after=ticket.assignee_id, now=now
        )
    if data.is_import:  # it keeps updated_at where its history ended
        return ticket, [Changed(ticket, touch=False, tags=tags, rows=opened.rows)]
    # its first SLA evaluation needs no reads (nothing stored yet)
    opening = Opened(opened.contact_message_at)
    return ticket, [
        Changed(
            ticket, "ticket_created", dispatch=True, tags=tags, opened=opening, rows=opened.rows
        )
    ]
