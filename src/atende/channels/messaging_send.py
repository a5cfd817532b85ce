"""Sending a WhatsApp or Telegram reply: the job ``channels.messaging_out`` that
``channels/messaging_out.queue`` enqueued (registered by ``workflows/messaging_jobs.py``, which
publishes each state change on the live stream).

WhatsApp: the text (in pieces when long), or the approved template, to
``/{version}/{phone_number_id}/messages``; then each attachment uploaded and sent. Telegram:
``sendMessage`` (in pieces), then ``sendDocument`` per attachment. The provider's id is stored
(``sent``); a refusal fails the message with the reason in Portuguese; no answer keeps it queued
and the job retries (failed after the last attempt). A refused WhatsApp token is said on the
channel; a Telegram user who blocked the bot is marked on their handle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from atende.attachments.storage import LocalStorage
from atende.channels import messaging_repository as repository
from atende.channels import repository as channel_records
from atende.channels import secrets, telegram_api, whatsapp_api
from atende.channels.messaging_out import TEXT_LIMIT
from atende.channels.models import ChannelMessage
from atende.db.base import utcnow
from atende.domain import messaging
from atende.jobs.registry import JobContext


@dataclass(frozen=True)
class Delivery:
    """One run of the job: its context, the message's row, and what to tell when the row's
    state changes (``changed(session, row)``, in the change's transaction: the workflow
    publishes it on the live stream)."""

    ctx: JobContext
    record_id: int
    changed: Callable[[Session, ChannelMessage], None]

    def mark(self, **values: Any) -> None:
        with self.ctx.transaction() as session:
            found = repository.message_record(session, self.record_id, for_update=True)
            if found is None:
                return
            for name, value in values.items():
                setattr(found, name, value)
            found.updated_at = utcnow()
            self.changed(session, found)


@dataclass(frozen=True)
class _Outgoing:
    kind: str
    token: str
    phone_number_id: str
    address: str
    text: str
    template: dict[str, Any] | None
    files: list[tuple[str, str, str]]  # (filename, sha256, content type)
    contact_id: int | None
    channel_id: int
    buttons: list[dict[str, str]]


def _prepare(ctx: JobContext, record_id: int) -> _Outgoing | None:
    with ctx.transaction() as session:
        record = repository.message_record(session, record_id, for_update=True)
        if record is None or record.state != "queued" or record.channel_id is None:
            return None
        channel = repository.channel(session, record.channel_id)
        message = channel_records.message(session, record.message_id or 0)
        if channel is None or message is None:
            record.state, record.reason = "failed", "o canal ou a mensagem foi removido"
            return None
        column = channel.access_token_encrypted if channel.kind == "whatsapp" else (
            channel.bot_token_encrypted
        )  # fmt: skip
        try:
            token = secrets.decrypt(ctx.settings.resolved_secret_key, column)
        except ValueError:
            record.state, record.reason = "failed", "o token do canal não pode ser lido"
            return None
        files = [
            (a.filename, a.sha256, a.content_type)
            for a in repository.attachments_of(session, message.id)
        ]
        return _Outgoing(
            kind=channel.kind, token=token, phone_number_id=channel.phone_number_id,
            address=record.address, text=message.body_text, template=record.template,
            files=files, contact_id=record.contact_id, channel_id=channel.id,
            buttons=list(record.buttons or []),
        )  # fmt: skip


def send(
    ctx: JobContext,
    payload: dict[str, Any],
    *,
    changed: Callable[[Session, ChannelMessage], None],
) -> None:
    """The job ``channels.messaging_out`` (registered by ``workflows/messaging_jobs.py``)."""
    job = Delivery(ctx, int(payload["record_id"]), changed)
    out = _prepare(ctx, job.record_id)
    if out is None:
        return
    if out.kind == "whatsapp":
        _send_whatsapp(job, out)
    else:
        _send_telegram(job, out)


def _final(ctx: JobContext) -> bool:
    return ctx.attempt >= ctx.settings.job_max_attempts


def _send_whatsapp(job: Delivery, out: _Outgoing) -> None:
    ctx = job.ctx
    if out.template is not None:
        body = whatsapp_api.template_body(
            out.address, str(out.template["name"]), str(out.template["language"]),
            [str(p) for p in out.template.get("parameters", [])],
        )  # fmt: skip
        sent = whatsapp_api.send(
            ctx.settings, phone_number_id=out.phone_number_id, token=out.token, body=body
        )
    elif (menu := whatsapp_api.interactive_body(out.address, out.text, out.buttons)) is not None:
        sent = whatsapp_api.send(
            ctx.settings, phone_number_id=out.phone_number_id, token=out.token, body=menu
        )
    else:
        sent = _in_pieces(
            out.text, TEXT_LIMIT, False,
            lambda piece: whatsapp_api.send(
                ctx.settings, phone_number_id=out.phone_number_id, token=out.token,
                body=whatsapp_api.text_body(out.address, piece),
            ),
        )  # fmt: skip
    if sent.error_code == "190":
        _channel_error(ctx, out, sent.reason)
    if sent.provider_id and out.files:
        failed = _whatsapp_files(ctx, out)
        if failed is not None:
            _failed(job, failed.reason, failed.retry, error_code=failed.error_code,
                    provider_id=sent.provider_id)  # fmt: skip
            return
    if sent.provider_id:
        job.mark(state="sent", provider_id=sent.provider_id, reason="",
              sent_at=utcnow())  # fmt: skip
        return
    _failed(job, sent.reason, sent.retry, error_code=sent.error_code)


Sent = TypeVar("Sent", whatsapp_api.Sent, telegram_api.Sent)


def _in_pieces(text: str, limit: int, utf16: bool, send: Callable[[str], Sent]) -> Sent:
    """A text longer than the provider takes, sent in pieces (cut at paragraphs): the first
    piece's answer (its id is the message's), or the first refusal."""
    pieces = [p for p in messaging.chunks(text, limit, utf16=utf16) if p.strip()] or [text]
    first = send(pieces[0])
    for piece in pieces[1:] if first.provider_id else []:
        answer = send(piece)
        if not answer.provider_id:
            return answer
    return first


def _channel_error(ctx: JobContext, out: _Outgoing, reason: str) -> None:
    """The channel's token was refused (expired): said on the channel for the admins."""
    with ctx.transaction() as session:
        channel = repository.channel(session, out.channel_id)
        if channel is not None:
            channel.last_error = reason[:2000]


def _whatsapp_files(ctx: JobContext, out: _Outgoing) -> whatsapp_api.Sent | None:
    """Each attachment uploaded, then sent after the text; the first refusal (None: all
    left). A retry sends the text again: the Cloud API has no idempotency key."""
    storage = LocalStorage(ctx.settings.attachments_dir)
    for filename, sha256, content_type in out.files:
        with storage.open(sha256) as fh:
            data = fh.read()
        uploaded = whatsapp_api.upload_media(
            ctx.settings, phone_number_id=out.phone_number_id, token=out.token,
            filename=filename, data=data, content_type=content_type,
        )  # fmt: skip
        sent = uploaded
        if uploaded.provider_id:
            sent = whatsapp_api.send(
                ctx.settings, phone_number_id=out.phone_number_id, token=out.token,
                body=whatsapp_api.media_body(out.address, uploaded.provider_id, content_type,
                                             filename),
            )  # fmt: skip
        if not sent.provider_id:
            return whatsapp_api.Sent(
                error_code=sent.error_code, reason=f"{filename}: {sent.reason}", retry=sent.retry
            )
    return None


def _failed(job: Delivery, reason: str, retry: bool, **more: Any) -> None:
    """A refusal fails the message; no answer keeps it queued and retries (failed after the
    last attempt)."""
    if retry and not _final(job.ctx):
        job.mark(reason=f"nova tentativa: {reason}", **more)
        raise RuntimeError(reason)
    job.mark(state="failed", reason=reason, **more)


def _send_telegram(job: Delivery, out: _Outgoing) -> None:
    ctx, settings = job.ctx, job.ctx.settings
    pieces = [p for p in messaging.chunks(out.text, TEXT_LIMIT, utf16=True) if p.strip()]
    buttons = out.buttons if len(pieces) <= 1 else []  # a menu fits one message
    sent = _in_pieces(
        out.text, TEXT_LIMIT, True,
        lambda piece: telegram_api.send_message(
            settings, token=out.token, chat_id=out.address, text=piece, buttons=buttons
        ),
    )  # fmt: skip
    storage = LocalStorage(settings.attachments_dir)
    for filename, sha256, content_type in out.files if sent.provider_id else []:
        with storage.open(sha256) as fh:
            data = fh.read()
        document = telegram_api.send_document(
            settings, token=out.token, chat_id=out.address, filename=filename, data=data,
            content_type=content_type,
        )  # fmt: skip
        if not document.provider_id:
            sent = telegram_api.Sent(reason=f"{filename}: {document.reason}")
            break
    if sent.provider_id:
        job.mark(state="sent", provider_id=sent.provider_id, reason="",
              sent_at=utcnow())  # fmt: skip
        return
    if sent.blocked and out.contact_id is not None:
        with ctx.transaction() as session:
            for handle in repository.handles_of(session, out.contact_id, "telegram"):
                handle.blocked, handle.reason, handle.updated_at = True, sent.reason, utcnow()
    _failed(job, sent.reason, sent.retry)
