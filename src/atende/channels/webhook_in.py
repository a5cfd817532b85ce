"""The WhatsApp and Telegram webhooks' adapters: check who is calling, store what came raw
(one inbound item per message or status, the provider's id unique: a redelivery is a no-op)
and let the edge answer at once. The worker ingests (``workflows/messaging_inbound.py``).

WhatsApp: ``X-Hub-Signature-256`` must be the HMAC-SHA256 of the raw body under the channel's
app secret; every entry, change, message and status of a batch becomes its own item, keyed by
the message's id (wamid) or ``status:<wamid>:<status>``. Telegram: the secret token given to
``setWebhook`` must come back in ``X-Telegram-Bot-Api-Secret-Token``; an update is keyed by its
``update_id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from atende.channels import messaging_config, pipeline, secrets, whatsapp_api
from atende.channels import messaging_repository as repository
from atende.channels.models import MessagingChannel


class Refused(Enum):
    UNKNOWN_CHANNEL = 404
    BAD_SIGNATURE = 401


def item_channel(channel: MessagingChannel) -> str:
    return f"{channel.kind}:{channel.id}"


def channel_id_of(item_channel_name: str) -> int | None:
    _, _, number = item_channel_name.partition(":")
    return int(number) if number.isdigit() else None


def _active(session: Session, kind: str, key: str) -> MessagingChannel | None:
    found = repository.channel_by_key(session, kind, key)
    return found if found is not None and found.active else None


def whatsapp_challenge(
    session: Session, *, key: str, mode: str | None, token: str | None, challenge: str | None
) -> str | None:
    """Meta's verification: the challenge, when the mode is ``subscribe`` and the verify token
    is the channel's; None otherwise."""
    channel = _active(session, "whatsapp", key)
    if channel is None or mode != "subscribe" or challenge is None:
        return None
    return challenge if messaging_config.matches(channel.verify_token_hash, token) else None


def _sha(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def whatsapp_items(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(provider id, item) for every message and status of every change of every entry."""
    if not isinstance(payload, dict):
        return
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            common = {"phone_number_id": str(number or ""), "contacts": value.get("contacts")}
            for message in _dicts(value.get("messages")):
                raw_id = message.get("id")
                provider_id = str(raw_id) if raw_id else _sha(json.dumps(message).encode())
                yield provider_id, {**common, "message": message}
            for status in _dicts(value.get("statuses")):
                provider_id = f"status:{status.get('id', '')}:{status.get('status', '')}"
                yield provider_id, {**common, "status": status}


def whatsapp_receive(
    session: Session, *, key: str, raw: bytes, signature: str | None, secret_key: str,
    now: datetime,
) -> Refused | int:  # fmt: skip
    """Store a signed webhook's messages and statuses: how many were new, or why refused."""
    channel = _active(session, "whatsapp", key)
    if channel is None:
        return Refused.UNKNOWN_CHANNEL
    try:
        app_secret = secrets.decrypt(secret_key, channel.app_secret_encrypted)
    except ValueError:
        return Refused.BAD_SIGNATURE
    if not whatsapp_api.signature_ok(app_secret, raw, signature):
        return Refused.BAD_SIGNATURE
    try:
        payload = json.loads(raw)
    except ValueError:  # signed but unreadable: kept whole, dead at ingestion with the reason
        return _store(session, channel, [(_sha(raw), raw)], now)
    found = [(pid, json.dumps(item).encode()) for pid, item in whatsapp_items(payload)]
    return _store(session, channel, found, now)


def telegram_receive(
    session: Session, *, key: str, raw: bytes, secret_token: str | None, now: datetime
) -> Refused | int:
    channel = _active(session, "telegram", key)
    if channel is None:
        return Refused.UNKNOWN_CHANNEL
    if not messaging_config.matches(channel.webhook_secret_hash, secret_token):
        return Refused.BAD_SIGNATURE
    try:
        update = json.loads(raw)
        provider_id = str(int(update["update_id"]))
    except (ValueError, TypeError, KeyError):
        provider_id = _sha(raw)
    return _store(session, channel, [(provider_id, raw)], now)


def _store(
    session: Session, channel: MessagingChannel, items: list[tuple[str, bytes]], now: datetime
) -> int:
    new = 0
    for provider_id, raw in items:
        _, added = pipeline.store(
            session, kind=channel.kind, channel=item_channel(channel), provider_id=provider_id,
            raw=raw, now=now,
        )  # fmt: skip
        new += added
    return new
