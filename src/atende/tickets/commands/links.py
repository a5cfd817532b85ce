"""Use cases that link tickets: split, merge, follow-up.

- **Split** moves the selected messages (with their attachments) to a new ticket that keeps the
  requester, organization, queue, priority, type and channel; both timelines say so. The
  original must keep at least one public message (422 ``split_would_empty_ticket`` naming
  ``message_ids``): a split that took the whole conversation would leave an empty ticket whose
  SLA clocks run for nothing.
- **Merge** moves every message of the duplicate (source) into the target, closes the source and
  links it (``merged_into_id``); the source keeps its events, the target's timeline shows the
  moved messages at their own times. Only tickets of the same customer can be merged (same
  organization; same requester when there is none), so no customer ever sees another's messages.
- **Follow-up** opens a new ticket linked to a closed one (``follow_up_of_id``): closed is final.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain import lifecycle
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.tickets import repository
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.tickets.service import (
    ensure_not_closed,
    set_status,
    writable,
    write_message,
)
from atende.tickets.timeline import clean_body, next_position, record_event, record_message


class SplitWouldEmpty(ValidationFailed):
    """A split may not take every public message: the original would be left with no
    conversation and its SLA clocks running for nothing."""

    code = "split_would_empty_ticket"


def _copy(source: Ticket, *, subject: str, now: datetime) -> Ticket:
    return Ticket(
        subject=subject[:300],
        status="new",
        priority=source.priority,
        type=source.type,
        channel=source.channel,
        requester_id=source.requester_id,
        organization_id=source.organization_id,
        queue_id=source.queue_id,
        assignee_id=source.assignee_id,
        custom_fields=dict(source.custom_fields or {}),
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        timeline_count=0,
    )


def split_ticket(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    message_ids: Sequence[int],
    subject: str,
    now: datetime,
) -> tuple[Ticket, list[Changed]]:
    """Move ``message_ids`` of the ticket to a new ticket about ``subject``; returns the new one."""
    if not actor.is_staff:
        raise PermissionDenied("only staff may split tickets")
    source = writable(session, actor, ticket_id)
    ensure_not_closed(source)
    wanted = sorted(set(message_ids))
    found = [m for m in repository.messages_by_ids(session, wanted) if m.ticket_id == source.id]
    missing = sorted(set(wanted) - {m.id for m in found})
    if missing:
        raise ValidationFailed(
            "messages {missing} are not messages of ticket #{number}",
            field="message_ids",
            missing=missing,
            number=source.number,
        )
    if not repository.has_public_message_besides(session, source.id, wanted):
        raise SplitWouldEmpty(
            "o chamado #{number} ficaria sem nenhuma mensagem pública: "
            "deixe nele ao menos uma (para mudar o assunto, edite o "
            "chamado; para juntar com outro, use o merge)",
            field="message_ids",
            number=source.number,
        )
    new = _copy(source, subject=subject, now=now)
    new.split_from_id = source.id
    session.add(new)
    session.flush()
    record_event(
        session, new, actor=actor, kind="created", at=now, after={"status": "new"},
        detail=f"split from #{source.number}",
    )  # fmt: skip
    record_event(
        session, new, actor=actor, kind="split_from", at=now, after=source.id,
        detail=f"{len(found)} message(s) moved from #{source.number}",
    )  # fmt: skip
    found.sort(key=lambda m: (m.created_at, m.position))
    for message in found:
        message.ticket_id = new.id
        message.position = next_position(new)
        if message.author_kind == "contact":
            new.last_contact_message_at = message.created_at
        elif message.author_kind == "agent" and message.public and new.first_response_at is None:
            new.first_response_at = message.created_at
    session.flush()
    repository.move_attachments(session, [m.id for m in found], new.id)
    if new.first_response_at is not None:
        set_status(session, new, "open", actor=actor, at=now, detail="split with replies")
    tags = repository.tags_by_ticket(session, [source.id])[source.id]
    new_tags = repository.set_tags(session, new, tags) if tags else ()
    record_event(
        session, source, actor=actor, kind="split", at=now, after=new.id,
        detail=f"{len(found)} message(s) moved to #{new.number}",
    )  # fmt: skip
    return new, [
        Changed(source, "ticket_updated", tags=tuple(tags)),
        Changed(new, "ticket_created", tags=new_tags),
    ]


def merge_ticket(
    session: Session, *, actor: Actor, ticket_id: int, into_ticket_id: int, now: datetime
) -> tuple[Ticket, list[Changed]]:
    """Merge the duplicate ``ticket_id`` into ``into_ticket_id``; returns the target."""
    if not actor.is_staff:
        raise PermissionDenied("only staff may merge tickets")
    if ticket_id == into_ticket_id:
        raise ValidationFailed("a ticket cannot be merged into itself", field="into_ticket_id")
    # Lock both rows in id order, so that two merges never wait on each other.
    first, second = sorted((ticket_id, into_ticket_id))
    locked = {
        i: writable(session, actor, i, field=None if i == ticket_id else "into_ticket_id")
        for i in (first, second)
    }
    source, target = locked[ticket_id], locked[into_ticket_id]
    ensure_not_closed(source)
    if target.status == "closed":
        raise lifecycle.InvalidTransition(
            "ticket #{number} is closed: merge into an open ticket",
            field="into_ticket_id",
            number=target.number,
        )
    if source.organization_id != target.organization_id or (
        source.organization_id is None and source.requester_id != target.requester_id
    ):
        raise Conflict(
            "the tickets belong to different customers (organization, or requester when there "
            "is no organization) and cannot be merged",
            field="into_ticket_id",
        )
    moved = list(repository.messages_of(session, source.id))
    moved.sort(key=lambda m: (m.created_at, m.position))
    for message in moved:
        message.ticket_id = target.id
        message.position = next_position(target)
        if message.author_kind == "contact" and (
            target.last_contact_message_at is None
            or message.created_at > target.last_contact_message_at
        ):
            target.last_contact_message_at = message.created_at
    session.flush()
    repository.move_attachments(session, [m.id for m in moved], target.id)
    source_tags = repository.tags_by_ticket(session, [source.id, target.id])
    union = sorted(set(source_tags[source.id]) | set(source_tags[target.id]))
    if union != source_tags[target.id]:
        repository.set_tags(session, target, union)
        record_event(
            session, target, actor=actor, kind="tags", at=now, before=source_tags[target.id],
            after=union, detail=f"tags of #{source.number}",
        )  # fmt: skip
    record_event(
        session, target, actor=actor, kind="merged_from", at=now, after=source.id,
        detail=f"#{source.number} merged here ({len(moved)} message(s) moved)",
    )  # fmt: skip
    source.merged_into_id = target.id
    record_event(
        session, source, actor=actor, kind="merged_into", at=now, after=target.id,
        detail=f"merged into #{target.number} ({len(moved)} message(s) moved)",
    )  # fmt: skip
    set_status(
        session, source, "closed", actor=actor, at=now, detail=f"merged into #{target.number}"
    )
    return target, [
        Changed(source, "ticket_updated", tags=tuple(source_tags[source.id])),
        Changed(target, "ticket_updated", tags=tuple(union)),
    ]


def open_follow_up(
    session: Session,
    *,
    actor: Actor,
    source: Ticket,
    subject: str | None,
    now: datetime,
) -> tuple[Ticket, tuple[str, ...]]:
    """A new ticket linked to the closed ``source`` (no message written here), and its tags
    (the source's)."""
    new = _copy(source, subject=subject or source.subject, now=now)
    new.follow_up_of_id = source.id
    session.add(new)
    session.flush()
    tags = repository.tags_by_ticket(session, [source.id])[source.id]
    new_tags = repository.set_tags(session, new, tags) if tags else ()
    record_event(
        session, new, actor=actor, kind="created", at=now, after={"status": "new"},
        detail=f"follow-up of #{source.number}",
    )  # fmt: skip
    record_event(
        session, new, actor=actor, kind="follow_up_of", at=now, after=source.id,
        detail=f"follow-up of #{source.number}",
    )  # fmt: skip
    record_event(
        session, source, actor=actor, kind="follow_up", at=now, after=new.id,
        detail=f"follow-up #{new.number} opened",
    )  # fmt: skip
    session.flush()
    return new, new_tags


def follow_up(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    now: datetime,
    subject: str | None = None,
) -> tuple[Ticket, list[Changed]]:
    """A follow-up ticket for a closed ticket, opened with ``body`` (from the contact when a
    contact writes it, else a public message of the agent). Refused (409) unless closed."""
    source = writable(session, actor, ticket_id)
    if source.status != "closed":
        raise lifecycle.InvalidTransition(
            "ticket #{number} is not closed ({status}): reply on it instead",
            field="status",
            number=source.number,
            status=source.status,
        )
    if not (actor.is_staff or actor.is_contact):
        raise NotFound("ticket {ticket_id} not found", ticket_id=ticket_id)
    html, text = clean_body(body)
    new, tags = open_follow_up(session, actor=actor, source=source, subject=subject, now=now)
    kind = "contact" if actor.is_contact else ("agent" if actor.user_id is not None else "system")
    if kind == "agent":
        # The opening message is not a reply to anything: it must not count as first response.
        record_message(
            session, new, author_kind="agent", author_user_id=actor.user_id, body_html=html,
            body_text=text, public=True, at=now, channel=new.channel,
        )  # fmt: skip
    else:
        write_message(
            session, new, actor=actor, kind=kind, html=html, text=text, public=True, now=now
        )
    return new, [Changed(source, "ticket_updated"), Changed(new, "ticket_created", tags=tags)]
