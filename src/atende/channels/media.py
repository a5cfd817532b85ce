"""Files that came with a message, stored and attached; and the job that fetches a WhatsApp or
Telegram message's media after the message was ingested (``channels.media``).

The job downloads outside any transaction (WhatsApp in two steps with the token, Telegram via
``getFile``), then stores the bytes by hash and attaches them to the message, with its timeline
event. A refusal (expired media, too large) parks the job dead with the reason; no answer
retries it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.attachments.content import detect_content_type, sanitize_filename
from atende.attachments.models import Attachment
from atende.attachments.storage import HEAD_BYTES, AttachmentStorage, LocalStorage
from atende.auth.actor import SYSTEM
from atende.channels import (
    messaging_repository,
    provider_http,
    repository,
    secrets,
    telegram_api,
    whatsapp_api,
)
from atende.db.base import utcnow
from atende.jobs import outbox
from atende.jobs.registry import JobContext, PermanentFailure, handler
from atende.tickets import timeline
from atende.tickets.models import Message, Ticket

KIND = "channels.media"


def attach_bytes(
    session: Session,
    storage: AttachmentStorage,
    *,
    ticket: Ticket,
    message: Message,
    data: bytes,
    filename: str,
    declared: str | None,
    max_bytes: int,
    at: datetime,
) -> Attachment:
    """Store ``data`` by hash and attach it (public) to ``message``, with its timeline event."""
    blob = storage.put(iter([data]), max_bytes=max_bytes)
    content_type = detect_content_type(data[:HEAD_BYTES], filename=filename, declared=declared)
    attachment = Attachment(
        ticket_id=ticket.id, message_id=message.id, filename=filename,
        content_type=content_type, size=blob.size, sha256=blob.sha256,
        public=True, uploaded_by_id=None, created_at=at,
    )  # fmt: skip
    session.add(attachment)
    session.flush()
    timeline.record_event(
        session, ticket, actor=SYSTEM, kind="attachment_added", at=at, public=True,
        after={"attachment_id": attachment.id, "filename": filename,
               "content_type": attachment.content_type, "size": blob.size},
        detail=filename,
    )  # fmt: skip
    return attachment


def enqueue(
    session: Session, *, record_id: int, ref: str, filename: str, content_type: str
) -> None:
    outbox.enqueue(
        session, KIND, idempotency_key=f"media:{record_id}:{ref}"[:200], record_id=record_id,
        ref=ref, filename=filename, content_type=content_type,
    )  # fmt: skip


def _download(ctx: JobContext, kind: str, token: str, ref: str) -> tuple[bytes, str | None]:
    settings = ctx.settings
    try:
        if kind == "whatsapp":
            return whatsapp_api.download_media(settings, token=token, media_id=ref)
        return telegram_api.download_file(settings, token=token, file_id=ref), None
    except ValueError as exc:
        raise PermanentFailure(str(exc).replace(token, "<segredo>")) from None
    except provider_http.Unreachable as exc:
        raise RuntimeError(f"{kind}: {exc}") from None


@handler(KIND)
def fetch_media(ctx: JobContext, payload: dict[str, Any]) -> None:
    record_id, ref = int(payload["record_id"]), str(payload["ref"])
    with ctx.transaction() as session:
        record = messaging_repository.message_record(session, record_id)
        if record is None or record.channel_id is None or record.message_id is None:
            return  # the message or its channel was removed
        channel = messaging_repository.channel(session, record.channel_id)
        if channel is None:
            return
        column = channel.access_token_encrypted if channel.kind == "whatsapp" else (
            channel.bot_token_encrypted
        )  # fmt: skip
        try:
            token = secrets.decrypt(ctx.settings.resolved_secret_key, column)
        except ValueError as exc:
            raise PermanentFailure(str(exc)) from None
        kind, ticket_id, message_id = channel.kind, record.ticket_id, record.message_id
    data, declared = _download(ctx, kind, token, ref)
    filename = sanitize_filename(str(payload.get("filename") or "arquivo"))
    with ctx.transaction() as session:
        ticket = repository.ticket(session, ticket_id) if ticket_id else None
        message = repository.message(session, message_id)
        if ticket is None or message is None:
            return
        attach_bytes(
            session, LocalStorage(ctx.settings.attachments_dir), ticket=ticket, message=message,
            data=data, filename=filename,
            declared=declared or str(payload.get("content_type") or "") or None,
            max_bytes=ctx.settings.messaging_media_max_bytes, at=utcnow(),
        )  # fmt: skip
