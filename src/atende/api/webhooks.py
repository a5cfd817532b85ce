"""``/api/v1/webhooks``: the outgoing webhooks an admin subscribes to (``stream/webhooks.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.api.deps import AppSettings, CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.stream import webhooks
from atende.stream.schemas import WebhookIn, WebhookOut, WebhookPatch

router = APIRouter(tags=["webhooks"])


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: DbSession, actor: CurrentActor) -> list[WebhookOut]:
    return [WebhookOut(**webhooks.view(r)) for r in webhooks.list_all(session, actor=actor)]


@router.post("/webhooks", response_model=WebhookOut, status_code=201)
def create_webhook(
    body: WebhookIn, session: DbSession, actor: CurrentActor, now: Now, settings: AppSettings
) -> WebhookOut:
    """Subscribe a URL to event types; the answer holds the signing ``secret``, shown only
    this once. Events committed from now on are sent."""
    row, secret = webhooks.create(
        session, actor=actor, data=body.model_dump(), now=now, settings=settings
    )
    return WebhookOut(**webhooks.view(row), secret=secret)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: PathId, session: DbSession, actor: CurrentActor) -> WebhookOut:
    return WebhookOut(
        **webhooks.view(webhooks.get(session, actor=actor, subscription_id=webhook_id))
    )


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut)
def update_webhook(
    webhook_id: PathId,
    body: WebhookPatch,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    settings: AppSettings,
) -> WebhookOut:
    """Change it; ``rotate_secret: true`` answers the new secret once."""
    row, secret = webhooks.update(
        session,
        actor=actor,
        subscription_id=webhook_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
        settings=settings,
    )
    return WebhookOut(**webhooks.view(row), secret=secret)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(
    webhook_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    """Remove it; its deliveries still queued are cancelled (dead, with the reason)."""
    webhooks.delete(session, actor=actor, subscription_id=webhook_id, now=now)
    return Response(status_code=204)
