"""Reading a stored WhatsApp or Telegram item: who wrote, what, which media to fetch.

Raises :class:`Unparseable` (the item becomes dead with the reason) for what cannot be read.
The text of a message with media only says what came (``[imagem]``); the media themselves are
fetched by a job (``channels/media.py``) and attached to the message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from atende.channels.email_parse import Unparseable


@dataclass(frozen=True)
class Media:
    ref: str  # WhatsApp media id, Telegram file_id
    filename: str
    content_type: str


@dataclass(frozen=True)
class Incoming:
    provider_id: str
    address: str  # the wa_id, the Telegram chat id (where answers go)
    user: str  # the wa_id, the Telegram user id (the contact's handle)
    name: str
    text: str
    media: list[Media] = field(default_factory=list)
    sent_at: datetime | None = None
    # the id of a tapped button (a WhatsApp reply button or list row, a Telegram inline
    # keyboard's callback data): what the bot's menu reads
    choice: str = ""


@dataclass(frozen=True)
class Status:
    provider_id: str  # the wamid of our message
    status: str  # sent | delivered | read | failed
    error_code: str
    error_detail: str
    at: datetime | None


@dataclass(frozen=True)
class Ignored:
    reason: str


def _load(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise Unparseable(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Unparseable("not a JSON object")
    return value


def _when(seconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(seconds), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_WA_LABELS = {
    "image": "[imagem]", "audio": "[áudio]", "video": "[vídeo]", "sticker": "[figurinha]",
    "document": "[documento]",
}  # fmt: skip
_EXTENSIONS = {
    "image": "imagem.jpg", "audio": "audio.ogg", "video": "video.mp4", "sticker": "figurinha.webp",
}  # fmt: skip


def whatsapp(raw: bytes, *, phone_number_id: str) -> Incoming | Status | Ignored:
    data = _load(raw)
    if data.get("phone_number_id") and data["phone_number_id"] != phone_number_id:
        raise Unparseable(
            f"phone_number_id {data['phone_number_id']} is not this channel's ({phone_number_id})"
        )
    if "status" in data:
        status = _dict(data["status"])
        errors = [e for e in status.get("errors") or [] if isinstance(e, dict)]
        first = errors[0] if errors else {}
        detail = _dict(first.get("error_data")).get("details") or first.get("title") or ""
        return Status(
            provider_id=str(status.get("id", "")), status=str(status.get("status", "")),
            error_code=str(first.get("code", "")) if first else "", error_detail=str(detail),
            at=_when(status.get("timestamp")),
        )  # fmt: skip
    message = _dict(data.get("message"))
    wa_id = str(message.get("from") or "")
    if not wa_id:
        raise Unparseable("a WhatsApp message without a sender ('from')")
    names = {
        str(c.get("wa_id")): str(_dict(c.get("profile")).get("name") or "")
        for c in data.get("contacts") or []
        if isinstance(c, dict)
    }
    kind = str(message.get("type", ""))
    text, media = _whatsapp_content(kind, message)
    if kind == "reaction":
        return Ignored("a reaction")
    choice = ""
    if kind == "interactive":
        body = _dict(message.get("interactive"))
        reply = _dict(body.get("button_reply")) or _dict(body.get("list_reply"))
        choice = str(reply.get("id") or "")[:256]
    return Incoming(
        provider_id=str(message.get("id", "")), address=wa_id, user=wa_id,
        name=names.get(wa_id, ""), text=text, media=media, sent_at=_when(message.get("timestamp")),
        choice=choice,
    )  # fmt: skip


def _whatsapp_content(kind: str, message: dict[str, Any]) -> tuple[str, list[Media]]:
    body = _dict(message.get(kind))
    if kind == "text":
        return str(body.get("body", "")), []
    if kind == "interactive":  # the customer tapped a button or picked from a list
        reply = _dict(body.get("button_reply")) or _dict(body.get("list_reply"))
        return str(reply.get("title", "")) or "[resposta interativa]", []
    if kind == "button":  # a quick-reply button of a template
        return str(body.get("text", "")) or "[botão]", []
    if kind == "location":
        place = " ".join(str(body.get(k, "")) for k in ("name", "address")).strip()
        return f"[localização: {body.get('latitude')}, {body.get('longitude')}] {place}".strip(), []
    if kind in _WA_LABELS:
        media_id = str(body.get("id", ""))
        filename = str(body.get("filename") or _EXTENSIONS.get(kind, "arquivo"))
        caption = str(body.get("caption", "")).strip()
        label = f"[documento: {filename}]" if kind == "document" else _WA_LABELS[kind]
        media = [Media(media_id, filename, str(body.get("mime_type", "")))] if media_id else []
        return (f"{label} {caption}".strip(), media)
    return f"[mensagem do tipo {kind or 'desconhecido'} não suportada]", []


def _telegram_name(sender: dict[str, Any]) -> str:
    name = " ".join(str(sender.get(k, "")) for k in ("first_name", "last_name")).strip()
    if not name and sender.get("username"):
        name = f"@{sender['username']}"
    return name


def _telegram_callback(callback: dict[str, Any]) -> Incoming | Ignored:
    """A tap on an inline keyboard's button (the bot's menu): the button's text, its data."""
    message = _dict(callback.get("message"))
    chat = _dict(message.get("chat"))
    sender = _dict(callback.get("from"))
    if chat.get("type") != "private":
        return Ignored(f"a button tapped in a {chat.get('type', 'unknown')} chat")
    if not sender.get("id") or not chat.get("id") or not callback.get("id"):
        raise Unparseable("a Telegram callback without a sender, a chat or an id")
    data = str(callback.get("data") or "")[:64]
    label = data
    for row in _dict(message.get("reply_markup")).get("inline_keyboard") or []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                label = str(button.get("text") or data)
    return Incoming(
        provider_id=f"callback:{callback['id']}", address=str(chat["id"]),
        user=str(sender["id"]), name=_telegram_name(sender), text=label or "[botão]",
        choice=data,
    )  # fmt: skip


def telegram(raw: bytes) -> Incoming | Ignored:
    update = _load(raw)
    callback = _dict(update.get("callback_query"))
    if callback:
        return _telegram_callback(callback)
    message = _dict(update.get("message"))
    if not message:
        return Ignored("not a new message (edited message or other update)")
    chat = _dict(message.get("chat"))
    sender = _dict(message.get("from"))
    if chat.get("type") != "private":
        return Ignored(f"a message in a {chat.get('type', 'unknown')} chat")
    if not sender.get("id") or not chat.get("id"):
        raise Unparseable("a Telegram message without a sender or a chat")
    name = _telegram_name(sender)
    text = str(message.get("text") or message.get("caption") or "")
    media: list[Media] = []
    photos = [p for p in message.get("photo") or [] if isinstance(p, dict)]
    if photos:  # sizes of one photo, smallest first: the largest
        media.append(Media(str(photos[-1].get("file_id", "")), "foto.jpg", "image/jpeg"))
        text = f"[imagem] {text}".strip()
    document = _dict(message.get("document"))
    if document.get("file_id"):
        filename = str(document.get("file_name") or "arquivo")
        media.append(Media(str(document["file_id"]), filename, str(document.get("mime_type", ""))))
        text = f"[documento: {filename}] {text}".strip()
    if not text:
        text = "[mensagem sem texto]"
    return Incoming(
        provider_id=f"{chat['id']}:{message.get('message_id', '')}", address=str(chat["id"]),
        user=str(sender["id"]), name=name, text=text, media=media,
        sent_at=_when(message.get("date")),
    )  # fmt: skip
