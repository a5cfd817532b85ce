"""Outgoing webhooks an admin subscribes to, per event type of the stream.

A subscription names a URL and the event types it wants (``events.EVENT_TYPES``, or ``"*"``
for all). The worker's fan-out (``sweeps.webhooks``) reads the stream after its cursor and
enqueues one ``notify.webhook`` job per subscription and event (idempotency key
``webhook:<subscription>:<position>``), in the transaction that moves the cursor: each event is
handed to each subscription once, after its change committed. The job signs the body with the
subscription's secret, goes through the SSRF guard and retries (``notify/webhook.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.domain.errors import NotFound, ValidationFailed
from atende.jobs import outbox
from atende.jobs import repository as jobs_repository
from atende.notify import webhook as notify_webhook
from atende.settings import Settings
from atende.stream import events, repository
from atende.stream.models import StreamEvent, WebhookSubscription

ALL = "*"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
CURSOR = "webhooks"
FAN_OUT_LIMIT = 500


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(url: str, settings: Settings) -> str:
    try:
        notify_webhook.check_destination(url, settings)
    except notify_webhook.DestinationRefused as exc:
        raise ValidationFailed("url: {exc}", field="url", exc=exc) from None
    return url


def check_event_types(types: Sequence[str]) -> list[str]:
    """The types as stored: known ones, without repeats; ``["*"]`` for all."""
    if not types:
        raise ValidationFailed('name at least one event type (or "*" for all)', field="event_types")
    out: list[str] = []
    for i, name in enumerate(types):
        if name != ALL and name not in events.EVENT_TYPES:
            known = ", ".join(events.EVENT_TYPES)
            raise ValidationFailed(
                'unknown event type {name!r}; known: {known}, or "*"',
                field=f"event_types[{i}]",
                name=name,
                known=known,
            )
        if name not in out:
            out.append(name)
    if ALL in out and len(out) > 1:
        raise ValidationFailed('"*" already means every type: give it alone', field="event_types")
    return out


def wants(subscription: WebhookSubscription, type_: str) -> bool:
    kinds = subscription.event_types or []
    return ALL in kinds or type_ in kinds


# --- the admin's use cases ------------------------------------------------------------------


def create(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime, settings: Settings
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (shown this once). It receives the events committed
    from now on."""
    ensure_admin(actor)
    secret = new_secret()
    row = WebhookSubscription(
        url=check_url(data["url"], settings),
        event_types=check_event_types(data["event_types"]),
        active=bool(data.get("active", True)),
        description=data.get("description") or "",
        secret=secret,
        since_position=repository.last_position(session),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.created(session, actor, row, at=now)
    return row, secret


def list_all(session: Session, *, actor: Actor) -> Sequence[WebhookSubscription]:
    ensure_admin(actor)
    return repository.subscriptions(session)


def get(session: Session, *, actor: Actor, subscription_id: int) -> WebhookSubscription:
    ensure_admin(actor)
    row = repository.subscription(session, subscription_id)
    if row is None:
        raise NotFound(
            "webhook subscription {subscription_id} not found", subscription_id=subscription_id
        )
    return row


def update(
    session: Session,
    *,
    actor: Actor,
    subscription_id: int,
    changes: dict[str, Any],
    now: datetime,
    settings: Settings,
) -> tuple[WebhookSubscription, str | None]:
    """Change the URL, the types, the description or whether it is active; with
    ``rotate_secret`` a new secret replaces the old one (returned this once). A subscription
    made active again receives the events committed from then on, not those it missed."""
    row = get(session, actor=actor, subscription_id=subscription_id)
    for name in ("url", "event_types", "active", "description", "rotate_secret"):
        if name in changes and changes[name] is None:
            raise ValidationFailed("{name} cannot be null", field=name, name=name)
    before = audit.snapshot(row)
    if "url" in changes:
        row.url = check_url(changes["url"], settings)
    if "event_types" in changes:
        row.event_types = check_event_types(changes["event_types"])
    if "description" in changes:
        row.description = changes["description"]
    if "active" in changes:
        if changes["active"] and not row.active:
            row.since_position = repository.last_position(session)
        if not changes["active"] and row.active:
            _cancel_queued(session, row.id, f"webhook subscription {row.id} deactivated", now)
        row.active = bool(changes["active"])
    secret = None
    if changes.get("rotate_secret"):
        secret = row.secret = new_secret()
    row.updated_at = now
    session.flush()
    audit.updated(session, actor, row, before, at=now)
    return row, secret


def delete(session: Session, *, actor: Actor, subscription_id: int, now: datetime) -> None:
    """Remove it, and its deliveries still queued (parked as dead, saying why); one being
    sent at that moment finishes."""
    row = get(session, actor=actor, subscription_id=subscription_id)
    _cancel_queued(session, row.id, f"webhook subscription {row.id} deleted", now)
    audit.deleted(session, actor, row, audit.snapshot(row))
    session.delete(row)
    session.flush()


def _cancel_queued(session: Session, subscription_id: int, reason: str, now: datetime) -> int:
    return jobs_repository.cancel_queued(
        session, key_prefix=f"webhook:{subscription_id}:", reason=reason, now=now
    )


def view(row: WebhookSubscription) -> dict[str, Any]:
    """The subscription as shown: never its secret, only a hint to tell secrets apart."""
    return {
        "id": row.id,
        "url": row.url,
        "event_types": list(row.event_types or []),
        "active": row.active,
        "description": row.description,
        "secret_hint": SECRET_PREFIX + "…" + row.secret[-4:],
        "created_by_id": row.created_by_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


# --- the fan-out ------------------------------------------------------------------------------


def fan_out(session: Session, *, limit: int = FAN_OUT_LIMIT) -> tuple[int, int]:
    """Enqueue the deliveries of up to ``limit`` events after the cursor and move it past them
    (in the caller's transaction; the cursor row is locked, so two workers never share a
    batch). Returns (events read, deliveries queued)."""
    cursor = repository.cursor(session, CURSOR, for_update=True)
    rows = repository.events_after(session, cursor.position, limit=limit)
    if not rows:
        return 0, 0
    subscriptions = repository.active_subscriptions(session)
    queued = 0
    for row in rows:
        for subscription in subscriptions:
            if _due(subscription, row):
                _enqueue(session, subscription, row)
                queued += 1
    cursor.position = int(rows[-1].position or cursor.position)
    return len(rows), queued


def _due(subscription: WebhookSubscription, row: StreamEvent) -> bool:
    return (row.position or 0) > subscription.since_position and wants(subscription, row.type)


def _enqueue(session: Session, subscription: WebhookSubscription, row: StreamEvent) -> None:
    outbox.enqueue(
        session,
        notify_webhook.KIND,
        idempotency_key=f"webhook:{subscription.id}:{row.position}",
        url=subscription.url,
        event=row.type,
        data={"id": row.position, **row.payload},
        secret=subscription.secret,
        ticket_id=row.ticket_id,
        subscription_id=subscription.id,
    )
