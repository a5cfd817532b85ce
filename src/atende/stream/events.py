"""What the stream says: its event types and the payload of each (the staff view).

A payload is a JSON object with ``type``, ``ticket_id``, ``at`` (ISO 8601 UTC), ``public``
(whether a contact may see it) and the ticket as the change left it (``status``,
``priority``, ``queue_id``, ``assignee_id``, ``organization_id``, ``requester_id``,
``subject``); with ``actor`` (who did it), ``changes`` (``ticket_updated``: each field that
changed, before and after), ``message`` (a message's id, author, visibility and the start of
its text) or ``sla`` (``sla_warning`` / ``sla_breach``). ``views.shape`` cuts it down for a
reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from atende.sla.signals import SlaSignal
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket

EVENT_TYPES: dict[str, str] = {
    "ticket_created": "a ticket was opened",
    "ticket_imported": "a ticket was imported with its history",
    "ticket_updated": "fields changed: status, priority, type, queue, assignee, tags, links",
    "message_received": "a message from the contact",
    "message_sent": "an agent's public reply",
    "message_added": "another public message (e.g. from the system)",
    "note_added": "an internal note (never shown to contacts)",
    "sla_warning": "an SLA target is near (staff only)",
    "sla_breach": "an SLA target was missed (staff only)",
    "presence_changed": "an agent went online, paused (with the reason) or offline (staff only)",
    "chat_typing": "someone is typing in a chat (the visitor or an agent)",
    "chat_read": "the visitor or an agent read a chat's messages up to one",
    "chat_state": "a chat waits, is answered, transferred or ended",
    "message_delivery": "a reply's delivery state changed on WhatsApp or Telegram (staff only)",
}
CHAT_TYPES = frozenset({"chat_typing", "chat_read", "chat_state"})
PRESENCE_CHANGED = "presence_changed"

EXCERPT_CHARS = 280


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "organization_id": ticket.organization_id,
        "requester_id": ticket.requester_id,
        "subject": ticket.subject,
    }


def change_type(change: Changed) -> str:
    """The stream's type for what a command returned."""
    message = change.message
    if message is not None:
        if not message.public:
            return "note_added"
        if change.event in ("message_received", "message_sent"):
            return change.event
        return "message_added"
    if change.event == "ticket_created":
        return "ticket_created"
    if change.event is None and not change.touch:
        return "ticket_imported"
    return "ticket_updated"


def message_part(message: Message) -> dict[str, Any]:
    text = message.body_text or ""
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    return {
        "id": message.id,
        "public": bool(message.public),
        "author_kind": message.author_kind,
        "author_user_id": message.author_user_id,
        "author_contact_id": message.author_contact_id,
        "excerpt": excerpt,
    }


def payload(
    type_: str,
    ticket: Ticket,
    *,
    at: datetime,
    public: bool,
    actor: dict[str, Any] | None = None,
    changes: Sequence[dict[str, Any]] | None = None,
    message: Message | None = None,
    sla: SlaSignal | None = None,
    chat: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": type_,
        "ticket_id": ticket.id,
        "at": iso(at),
        "public": public,
        **ticket_fields(ticket),
    }
    if actor is not None:
        out["actor"] = actor
    if changes is not None:
        out["changes"] = list(changes)
    if message is not None:
        out["message"] = message_part(message)
    if chat is not None:
        out["chat"] = chat
    if delivery is not None:
        out["delivery"] = delivery
    if sla is not None:
        out["sla"] = {
            "kind": sla.kind,
            "label": sla.label,
            "cycle": sla.cycle,
            "due_at": iso(sla.due_at) if sla.due_at is not None else None,
        }
    return out


def presence_payload(
    *,
    at: datetime,
    user_id: int,
    name: str,
    status: str,
    reason: str | None,
    since: datetime,
    cause: str,
) -> dict[str, Any]:
    return {
        "type": PRESENCE_CHANGED,
        "at": iso(at),
        "public": False,
        "user_id": user_id,
        "name": name,
        "status": status,
        "reason": reason,
        "since": iso(since),
        "cause": cause,
    }


def timeline_actor(rows: Sequence[Any]) -> dict[str, Any] | None:
    """Who made a change, from the timeline events since the ticket's last stream event: the
    last one's author (those before it may be the clocks' own, written after that event)."""
    if not rows:
        return None
    last = rows[-1]
    kind = "user" if last.actor_user_id is not None else "system"
    return {"kind": kind, "user_id": last.actor_user_id, "label": last.actor_label}


def message_actor(message: Message) -> dict[str, Any]:
    return {
        "kind": message.author_kind,
        "user_id": message.author_user_id,
        "contact_id": message.author_contact_id,
    }


def timeline_changes(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "before": r.before, "after": r.after, "public": bool(r.public)}
        for r in rows
    ]
