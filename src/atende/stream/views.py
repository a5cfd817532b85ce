"""What one reader may see of an event (authorization of the stream, besides the ticket).

Staff see the payload whole. A contact sees only public events (never an internal note, an SLA
signal or an internal field change), and of a ``ticket_updated`` only the public changes (the
status, links); as on the ticket's timeline, a change made by the system or a rule shows as
"Atende", never the rule's name. Whether the reader may read the event's ticket at all is
decided by ``repository.readable_ticket_ids`` at delivery.
"""

from __future__ import annotations

from typing import Any

from atende.auth.actor import Actor

SYSTEM_LABEL = "Atende"


def reader_key(actor: Actor) -> tuple[Any, ...]:
    """Readers with the same key read the same tickets (one readability query serves them)."""
    if actor.sees_all_tickets:
        return ("all",)
    return (actor.role, actor.user_id, actor.contact_id, actor.organization_id,
            tuple(sorted(actor.queue_ids)))  # fmt: skip


def shape(payload: dict[str, Any], *, public: bool, actor: Actor) -> dict[str, Any] | None:
    """The event as ``actor`` sees it, or None when it is not for them."""
    if actor.is_staff:
        return payload
    if not actor.is_contact or not public:
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
