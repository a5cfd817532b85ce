"""The inbound pipeline's commands: store what an adapter received, list, retry.

An adapter (the SMTP receiver, the IMAP poller; WhatsApp and Telegram webhooks later) only calls
:func:`store` and answers its provider; the worker ingests the queued items
(``workflows/inbound.py``). A redelivery (same kind, channel and provider id) is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.channels import repository
from atende.channels.models import ITEM_STATES, InboundItem
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

MAX_REASON = 2000


def store(
    session: Session, *, kind: str, channel: str, provider_id: str, raw: bytes, now: datetime
) -> tuple[InboundItem, bool]:
    """Keep ``raw`` as a queued item; (item, False) when it was already there."""
    item = InboundItem(
        kind=kind, channel=channel[:100], provider_id=provider_id[:500], raw=raw,
        received_at=now, state="queued", reason="", attempts=0,
    )  # fmt: skip
    return repository.add_item(session, item)


def finish(
    item: InboundItem, *, ticket_id: int | None, message_id: int | None, reason: str, now: datetime
) -> None:
    item.state, item.reason, item.processed_at = "done", reason[:MAX_REASON], now
    item.ticket_id, item.message_id = ticket_id, message_id


def bury(item: InboundItem, *, reason: str, now: datetime) -> None:
    """The item cannot be ingested as it stands: dead, with the reason, for an admin."""
    item.state, item.reason, item.processed_at = "dead", reason[:MAX_REASON], now


def _ensure_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an admin manages the inbound items")


def list_items(
    session: Session,
    *,
    actor: Actor,
    state: str | None,
    kind: str | None,
    after_id: int | None,
    limit: int,
) -> Sequence[InboundItem]:
    _ensure_admin(actor)
    if state is not None and state not in ITEM_STATES:
        raise ValidationFailed(
            "unknown state {state!r}: one of {item_states}",
            field="state",
            state=state,
            item_states=", ".join(ITEM_STATES),
        )
    return repository.item_page(session, state=state, kind=kind, after_id=after_id, limit=limit)


def get_item(session: Session, *, actor: Actor, item_id: int) -> InboundItem:
    _ensure_admin(actor)
    found = repository.item(session, item_id)
    if found is None:
        raise NotFound("inbound item {item_id} not found", field="item_id", item_id=item_id)
    return found


def retry(session: Session, *, actor: Actor, item_id: int) -> InboundItem:
    """A dead item goes back to the queue (the worker ingests it again)."""
    found = get_item(session, actor=actor, item_id=item_id)
    if found.state != "dead":
        raise Conflict(
            "inbound item {item_id} is {state}, not dead",
            field="item_id",
            item_id=item_id,
            state=found.state,
        )
    repository.requeue(session, item_id)
    session.refresh(found)
    return found
