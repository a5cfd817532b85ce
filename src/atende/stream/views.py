"""What one reader may see of an event (authorization of the stream, besides the ticket).

Staff see the payload whole. A contact sees only public events (never an internal note, an SLA
signal or an internal field change), and of a ``ticket_updated`` only the public changes (the
status, links); as on the ticket's timeline, a change made by the system or a rule shows as
"Atende", never the rule's name. Whether the reader may read the event's ticket at all is
decided by ``repository.readable_ticket_ids`` at delivery.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from atende.auth.actor import Actor

SYSTEM_LABEL = "Atende"

Audience = Literal["staff", "contact"]


def audience(actor: Actor) -> Audience | None:
    """Whose view of the events ``actor`` gets (None: none at all)."""
    if actor.is_staff:
        return "staff"
    if actor.is_contact:
        return "contact"
    return None


def reader_key(actor: Actor) -> tuple[Any, ...]:
    """Readers with the same key read the same tickets (one readability query serves them)."""
    if actor.sees_all_tickets:
        return ("all",)
    if actor.is_contact and actor.organization_id is not None:
        return ("organization", actor.organization_id)  # a contact reads their organization's
    return (actor.role, actor.user_id, actor.contact_id, actor.organization_id,
            tuple(sorted(actor.queue_ids)))  # fmt: skip


def shape(payload: dict[str, Any], *, public: bool, audience: Audience) -> dict[str, Any] | None:
    """The event as ``audience`` sees it, or None when it is not for them."""
    if audience == "staff":
        return payload
    if not public:
        return None
    out = dict(payload)
    changes = [c for c in out.get("changes", ()) if c.get("public")]
    if "changes" in out:
        if not changes:
            return None
        out["changes"] = changes
    who = out.get("actor")
    if isinstance(who, dict) and who.get("kind") == "system":
        out["actor"] = {**who, "label": SYSTEM_LABEL}
    return out


def sse(position: int, type_: str, data: dict[str, Any]) -> bytes:
    """One Server-Sent Events message: ``id``, ``event`` and ``data`` (JSON on one line)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {position}\nevent: {type_}\ndata: {body}\n\n".encode()
