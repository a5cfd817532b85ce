"""WhatsApp and Telegram channels (admins): connect, list, change, remove; each change in the
configuration audit trail.

Secrets the server uses again (the WhatsApp access token and app secret, the bot token) are
encrypted (``channels/secrets.py``); those it only compares (Meta's verify token, the secret
token Telegram sends back) are kept as SHA-256 hashes. No answer shows any of them. A Telegram
channel registers its webhook itself (``setWebhook``) with a secret token it generates; a
refusal (a wrong bot token) refuses the change; Telegram is called before the change writes
anything, so no database lock waits on its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.actor import Actor
from atende.channels import messaging_repository as repository
from atende.channels import secrets, telegram_api
from atende.channels.models import MessagingChannel
from atende.domain import messaging
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.settings import Settings

SECRET_FIELDS = {
    "access_token": "access_token_encrypted",
    "app_secret": "app_secret_encrypted",
    "verify_token": "verify_token_hash",
    "bot_token": "bot_token_encrypted",
}
WHATSAPP_ONLY = frozenset(
    {"phone_number_id", "access_token", "app_secret", "verify_token", "templates"}
)
TELEGRAM_ONLY = frozenset({"bot_token"})


def _ensure_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an admin manages the messaging channels")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def matches(stored_hash: str, given: str | None) -> bool:
    """``given`` hashes to ``stored_hash`` (constant time; never true for an empty hash)."""
    return (
        bool(stored_hash) and given is not None and hmac.compare_digest(stored_hash, digest(given))
    )


def webhook_url(settings: Settings, channel: MessagingChannel) -> str:
    return f"{settings.provider_facing_url}/webhooks/{channel.kind}/{channel.key}"


def templates_view(channel: MessagingChannel) -> list[dict[str, Any]]:
    return [
        {**t, "parameters": messaging.template_parameters(str(t.get("body", "")))}
        for t in channel.templates
    ]


def view(channel: MessagingChannel, settings: Settings) -> dict[str, Any]:
    return {
        "id": channel.id, "kind": channel.kind, "name": channel.name,
        "webhook_url": webhook_url(settings, channel),
        "phone_number_id": channel.phone_number_id, "templates": templates_view(channel),
        "active": channel.active, "last_error": channel.last_error,
        "secrets_set": [name for name, column in SECRET_FIELDS.items()
                        if getattr(channel, column)],
        "created_at": channel.created_at, "updated_at": channel.updated_at,
    }  # fmt: skip


def _saved(session: Session, channel: MessagingChannel) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same name, added meanwhile
        raise Conflict(
            "a channel named {name!r} exists already", field="name", name=channel.name
        ) from None


def _set_secrets(channel: MessagingChannel, data: dict[str, Any], secret_key: str) -> None:
    for name in ("access_token", "app_secret", "bot_token"):
        if data.get(name):
            setattr(channel, SECRET_FIELDS[name], secrets.encrypt(secret_key, data[name]))
    if data.get("verify_token"):
        channel.verify_token_hash = digest(data["verify_token"])


def _register_telegram(channel: MessagingChannel, bot_token: str, settings: Settings) -> None:
    """``setWebhook`` with a new secret token; the change is refused when Telegram refuses."""
    secret = random.token_urlsafe(32)
    refused = telegram_api.set_webhook(
        settings, token=bot_token, url=webhook_url(settings, channel), secret=secret
    )
    if refused is not None:
        raise ValidationFailed(
            "Telegram did not accept the bot: {reason}", field="bot_token", reason=refused
        )
    channel.webhook_secret_hash = digest(secret)


def create(
    session: Session, *, actor: Actor, data: dict[str, Any], settings: Settings, now: datetime
) -> MessagingChannel:
    _ensure_admin(actor)
    channel = MessagingChannel(
        kind=data["kind"], name=data["name"], key=random.token_urlsafe(24),
        phone_number_id=data.get("phone_number_id", ""), templates=data.get("templates", []),
        active=data.get("active", True), last_error="", created_at=now, updated_at=now,
        access_token_encrypted="", app_secret_encrypted="", verify_token_hash="",
        bot_token_encrypted="", webhook_secret_hash="",
    )  # fmt: skip
    _set_secrets(channel, data, settings.resolved_secret_key)
    if repository.channel_by_name(session, channel.name) is not None:
        raise Conflict("a channel named {name!r} exists already", field="name", name=channel.name)
    if channel.kind == "telegram":  # before any write: no lock is held while Telegram answers
        _register_telegram(channel, data["bot_token"], settings)
    session.add(channel)
    _saved(session, channel)
    audit.created(session, actor, channel, at=now)
    return channel


def get(session: Session, *, actor: Actor, channel_id: int) -> MessagingChannel:
    _ensure_admin(actor)
    found = repository.channel(session, channel_id)
    if found is None:
        raise NotFound("channel {channel_id} not found", field="channel_id", channel_id=channel_id)
    return found


def list_all(session: Session, *, actor: Actor) -> Sequence[MessagingChannel]:
    _ensure_admin(actor)
    return repository.channels(session)


def update(
    session: Session,
    *,
    actor: Actor,
    channel_id: int,
    changes: dict[str, Any],
    settings: Settings,
    now: datetime,
) -> MessagingChannel:
    channel = get(session, actor=actor, channel_id=channel_id)
    own = WHATSAPP_ONLY if channel.kind == "telegram" else TELEGRAM_ONLY
    wrong = sorted(name for name in changes if name in own)
    if wrong:
        raise ValidationFailed(
            "{fields} do not apply to a {kind} channel",
            field=wrong[0], fields=", ".join(wrong), kind=channel.kind,
        )  # fmt: skip
    before = audit.snapshot(channel)
    for name in ("name", "phone_number_id", "templates", "active"):
        if name in changes:
            setattr(channel, name, changes[name])
    _set_secrets(channel, changes, settings.resolved_secret_key)
    if changes.get("bot_token"):
        _register_telegram(channel, changes["bot_token"], settings)
    if changes.get("access_token") or changes.get("bot_token"):
        channel.last_error = ""  # a new token: the old one's refusal is history
    channel.updated_at = now
    _saved(session, channel)
    audit.updated(session, actor, channel, before, at=now)
    return channel


def delete(
    session: Session, *, actor: Actor, channel_id: int, settings: Settings, now: datetime
) -> None:
    channel = get(session, actor=actor, channel_id=channel_id)
    if channel.kind == "telegram" and channel.bot_token_encrypted:
        try:
            token = secrets.decrypt(settings.resolved_secret_key, channel.bot_token_encrypted)
        except ValueError:
            token = ""
        if token:
            telegram_api.delete_webhook(settings, token=token)
    audit.deleted(session, actor, channel, audit.snapshot(channel), at=now)
    session.delete(channel)
    session.flush()
