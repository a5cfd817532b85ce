"""Changing a ticket's fields, transferring it to another queue, assigning it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain import lifecycle
from atende.domain.errors import NotFound, PermissionDenied, ValidationFailed
from atende.queues import line as queue_line
from atende.tickets import repository
from atende.tickets.commands import retention
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.tickets.service import (
    PATCH_FIELDS,
    check_assignee,
    check_instant,
    check_organization,
    check_queue,
    check_type,
    ensure_not_closed,
    ensure_staff,
    normalise_tags,
    set_status,
    writable,
)
from atende.tickets.timeline import (
    clean_body,
    record_event,
    record_message,
)

# --- changes ------------------------------------------------------------------------------


def update_ticket(
    session: Session, *, actor: Actor, ticket_id: int, changes: dict[str, Any], now: datetime
) -> tuple[Ticket, list[Changed]]:
    """Change status, priority, type, queue_id, assignee_id, tags (and subject, organization_id,
    custom_fields, chat_ended_at). All is checked before anything changes; each change writes its
    event. A queue change with a ``reason`` also writes it as an internal note. A contact may only
    reopen a resolved ticket (``status: open``)."""
    ticket = writable(session, actor, ticket_id)
    unknown = sorted(set(changes) - PATCH_FIELDS)
    if unknown:
        raise ValidationFailed("unknown field {unknown!r}", field=unknown[0], unknown=unknown[0])
    for name in ("subject", "status", "priority", "tags", "custom_fields"):
        if name in changes and changes[name] is None:
            raise ValidationFailed("{name} cannot be null", field=name, name=name)
    reason = changes.get("reason")
    current_tags = repository.tags_by_ticket(session, [ticket.id])[ticket.id]
    wanted = {k: v for k, v in changes.items() if k != "reason"}
    if "tags" in wanted:
        wanted["tags"] = normalise_tags(wanted["tags"])
    effective = {
        k: v
        for k, v in wanted.items()
        if (current_tags if k == "tags" else getattr(ticket, k)) != v
    }
    if actor.is_contact:
        for name, value in effective.items():
            if name != "status" or value != "open" or ticket.status != "resolved":
                raise PermissionDenied(
                    "a contact may only reopen a resolved ticket (status: open)", field=name
                )
    elif not actor.is_staff:
        raise NotFound("ticket {ticket_id} not found", ticket_id=ticket_id)
    if not effective:
        return ticket, []
    ensure_not_closed(ticket)
    if "status" in effective:
        lifecycle.ensure_transition(ticket.status, effective["status"])
    if "type" in effective:
        check_type(session, effective["type"])
    rows: list[object] = []  # what the checks loaded, for the reactors (see Changed.rows)
    if "queue_id" in effective:
        rows.append(check_queue(session, effective["queue_id"]))
    if "assignee_id" in effective:
        check_assignee(session, effective["assignee_id"])
    if "organization_id" in effective:
        rows.append(check_organization(session, effective["organization_id"]))
    if "chat_ended_at" in effective:
        check_instant(effective["chat_ended_at"], field="chat_ended_at", now=now)

    simple = {
        "subject": "subject",
        "priority": "priority",
        "type": "type",
        "assignee_id": "assignee",
        "organization_id": "organization",
        "custom_fields": "custom_fields",
        "chat_ended_at": "chat_ended",
    }
    freed: list[int] = []
    for name, kind in simple.items():
        if name in effective:
            before = getattr(ticket, name)
            after = effective[name]
            if name == "assignee_id":
                queue_line.on_assignee_changed(
                    session, ticket, actor=actor, before=before, after=after, now=now
                )
                if before is not None:
                    freed.append(before)
            setattr(ticket, name, after)
            if name == "organization_id":
                queue_line.on_organization_changed(session, ticket)
            record_event(
                session,
                ticket,
                actor=actor,
                kind=kind,
                at=now,
                before=before.isoformat() if isinstance(before, datetime) else before,
                after=after.isoformat() if isinstance(after, datetime) else after,
            )
    if "queue_id" in effective:
        _move_to_queue(session, ticket, actor=actor, queue_id=effective["queue_id"], reason=reason,
                       now=now)  # fmt: skip
        if "assignee_id" not in effective:
            freed.extend(_leave_with_the_queue(session, ticket, actor=actor, now=now))
    tags = None
    if "tags" in effective:
        tags = repository.set_tags(session, ticket, effective["tags"])
        record_event(
            session, ticket, actor=actor, kind="tags", at=now, before=current_tags,
            after=effective["tags"],
        )  # fmt: skip
    if "status" in effective:
        set_status(session, ticket, effective["status"], actor=actor, at=now, detail=reason or "")
        if ticket.status in ("resolved", "closed") and ticket.assignee_id is not None:
            freed.append(ticket.assignee_id)
    changed = Changed(
        ticket, "ticket_updated", dispatch=True, freed_user_ids=tuple(freed), tags=tags,
        rows=tuple(r for r in rows if r is not None),
    )  # fmt: skip
    return ticket, [changed]


def _move_to_queue(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    queue_id: int | None,
    reason: str | None,
    now: datetime,
) -> None:
    before = ticket.queue_id
    ticket.queue_id = queue_id
    queue_line.on_queue_changed(ticket, now=now)
    record_event(
        session, ticket, actor=actor, kind="queue", at=now, before=before, after=queue_id,
        detail=reason or "",
    )  # fmt: skip
    if reason:
        html, text = clean_body(reason, field="reason")
        record_message(
            session,
            ticket,
            author_kind="agent" if actor.user_id is not None else "system",
            author_user_id=actor.user_id,
            body_html=html,
            body_text=text,
            public=False,
            at=now,
        )


def _leave_with_the_queue(
    session: Session, ticket: Ticket, *, actor: Actor, now: datetime
) -> list[int]:
    """A ticket moved to a queue its assignee is not a member of leaves the assignee (it waits
    in the new queue's line) and the assignee follows it; returns the freed assignee."""
    before = ticket.assignee_id
    if before is None or ticket.queue_id is None:
        return []
    if queue_line.is_member(session, ticket.queue_id, before):
        return []
    queue_line.follow(session, ticket, user_id=before, reason="moved to another queue", now=now)
    queue_line.on_assignee_changed(session, ticket, actor=actor, before=before, after=None, now=now)
    ticket.assignee_id = None
    record_event(
        session, ticket, actor=actor, kind="assignee", at=now, before=before, after=None,
        detail="not a member of the new queue: back to its line",
    )  # fmt: skip
    return [before]


def transfer(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    queue_id: int,
    reason: str,
    now: datetime,
    assignee_id: int | None = None,
    retention_attempt: tuple[str, str] | None = None,
) -> tuple[Ticket, list[Changed]]:
    """Send the ticket to another queue; the reason (required) becomes an internal note. A
    person's transfer of a cancellation request needs a retention attempt first (seed 004):
    on the timeline already, or ``retention_attempt`` (offer, outcome) recorded with it."""
    ensure_staff(actor, "transfer tickets")
    if not reason or not reason.strip():
        raise ValidationFailed("a transfer needs a reason", field="reason")
    ticket = writable(session, actor, ticket_id)
    ensure_not_closed(ticket)
    kept: list[Changed] = []
    if retention_attempt is not None:
        offer, outcome = retention_attempt
        kept = retention.attempt(
            session, ticket, actor=actor, offer=offer, outcome=outcome, now=now
        )
    else:
        retention.ensure_before_transfer(session, ticket, actor)
    queue = check_queue(session, queue_id)
    check_assignee(session, assignee_id)
    if queue_id == ticket.queue_id:
        raise ValidationFailed(
            "the ticket is already in queue {queue_id}", field="queue_id", queue_id=queue_id
        )
    freed: list[int] = []
    _move_to_queue(session, ticket, actor=actor, queue_id=queue_id, reason=reason, now=now)
    if ticket.assignee_id is not None and ticket.assignee_id != assignee_id:
        # whoever was handling it follows the case to its resolution (seed 002, items 15-21)
        queue_line.follow(
            session, ticket, user_id=ticket.assignee_id, reason=f"transferred: {reason}"[:200],
            now=now,
        )  # fmt: skip
    if assignee_id != ticket.assignee_id:
        before = ticket.assignee_id
        queue_line.on_assignee_changed(
            session, ticket, actor=actor, before=None, after=assignee_id, now=now
        )
        if before is not None:
            freed.append(before)
        ticket.assignee_id = assignee_id
        record_event(
            session, ticket, actor=actor, kind="assignee", at=now, before=before, after=assignee_id
        )
    if actor.user_id is not None:  # the transferring agent follows the case to its resolution
        queue_line.follow(
            session, ticket, user_id=actor.user_id, reason=f"transferred: {reason}"[:200], now=now
        )
    changed = Changed(
        ticket, "ticket_updated", dispatch=True, freed_user_ids=tuple(freed),
        rows=(queue,) if queue is not None else (),
    )  # fmt: skip
    return ticket, [*kept, changed]


def assign(
    session: Session, *, actor: Actor, ticket_id: int, assignee_id: int | None, now: datetime
) -> tuple[Ticket, list[Changed]]:
    ensure_staff(actor, "assign tickets")
    return update_ticket(
        session, actor=actor, ticket_id=ticket_id, changes={"assignee_id": assignee_id}, now=now
    )
