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
from atende.channels.models import ChannelMessage, MessagingChannel
from atende.chat import flows
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
    {"phone_number_id", "access_token", "app_secret", "verify_token", "templates", "waba_id"}
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
    """Every template of the channel (an admin's and Meta's), with its parameters (0 when they
    are not numbered: such a template is never offered)."""
    out = []
    for t in channel.templates:
        try:
            count = messaging.template_parameters(str(t.get("body", "")))
        except ValueError:
            count = 0
        out.append({**t, "parameters": count})
    return out


def view(channel: MessagingChannel, settings: Settings) -> dict[str, Any]:
    return {
        "id": channel.id, "kind": channel.kind, "name": channel.name,
        "webhook_url": webhook_url(settings, channel),
        "phone_number_id": channel.phone_number_id, "templates": templates_view(channel),
        "waba_id": channel.waba_id, "bot_flow_key": channel.bot_flow_key,
        "templates_synced_at": channel.templates_synced_at,
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


def _check_flow(session: Session, key: str | None) -> None:
    if key and flows.published(session, key) is None:
        raise ValidationFailed("no published bot flow {key!r}", field="bot_flow_key", key=key)


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
        phone_number_id=data.get("phone_number_id", ""), waba_id=data.get("waba_id", ""),
        templates=[{**t, "synced": False} for t in data.get("templates", [])],
        bot_flow_key=data.get("bot_flow_key") or None,
        active=data.get("active", True), last_error="", created_at=now, updated_at=now,
        access_token_encrypted="", app_secret_encrypted="", verify_token_hash="",
        bot_token_encrypted="", webhook_secret_hash="",
    )  # fmt: skip
    _set_secrets(channel, data, settings.resolved_secret_key)
    _check_flow(session, channel.bot_flow_key)
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


def limited(session: Session, *, actor: Actor, limit: int = 50) -> Sequence[ChannelMessage]:
    """The latest messages kept but acted on by nothing: their sender went over the per-sender
    limit (``ATENDE_MESSAGING_SENDER_LIMIT_PER_HOUR``), newest first."""
    _ensure_admin(actor)
    return repository.limited(session, limit=limit)


def flow_keys(session: Session) -> list[str]:
    """The published bot flows a channel may use."""
    return sorted({f.key for f in flows.published_flows(session)})


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
    if "bot_flow_key" in changes:
        _check_flow(session, changes["bot_flow_key"])
    before = audit.snapshot(channel)
    for name in ("name", "phone_number_id", "active", "waba_id"):
        if name in changes:
            setattr(channel, name, changes[name])
    if "templates" in changes:  # an admin's own; Meta's stay (channels/messaging_templates.py)
        channel.templates = _own_with(channel, changes["templates"])
    newly_bot = bool(changes.get("bot_flow_key")) and not channel.bot_flow_key
    if "bot_flow_key" in changes:
        channel.bot_flow_key = changes["bot_flow_key"] or None
    _set_secrets(channel, changes, settings.resolved_secret_key)
    if changes.get("bot_token"):
        _register_telegram(channel, changes["bot_token"], settings)
    elif newly_bot and channel.kind == "telegram":  # taps on its buttons: callback_query too
        _register_telegram(channel, _bot_token(channel, settings), settings)
    if changes.get("access_token") or changes.get("bot_token"):
        channel.last_error = ""  # a new token: the old one's refusal is history
    channel.updated_at = now
    _saved(session, channel)
    audit.updated(session, actor, channel, before, at=now)
    return channel


def _own_with(channel: MessagingChannel, typed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The channel's templates with the admin's own replaced by ``typed`` (Meta's kept)."""
    synced = [t for t in channel.templates if t.get("synced")]
    keys = {(t.get("name"), t.get("language")) for t in synced}
    mine = [{**t, "synced": False} for t in typed if (t["name"], t["language"]) not in keys]
    return mine + synced


def _bot_token(channel: MessagingChannel, settings: Settings) -> str:
    try:
        return secrets.decrypt(settings.resolved_secret_key, channel.bot_token_encrypted)
    except ValueError:
        raise ValidationFailed(
            "the bot token cannot be read: set it again", field="bot_token"
        ) from None


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
