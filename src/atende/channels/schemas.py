"""What the inbound and e-mail routes answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from atende.channels.email_out import STATE_LABELS
from atende.channels.models import EmailRecord, InboundItem


class InboundItemOut(BaseModel):
    id: int
    kind: str
    channel: str
    provider_id: str
    size: int
    received_at: datetime
    state: str
    reason: str
    attempts: int
    processed_at: datetime | None
    ticket_id: int | None
    message_id: int | None

    @classmethod
    def of(cls, item: InboundItem) -> InboundItemOut:
        return cls(
            id=item.id, kind=item.kind, channel=item.channel, provider_id=item.provider_id,
            size=len(item.raw), received_at=item.received_at, state=item.state,
            reason=item.reason, attempts=item.attempts, processed_at=item.processed_at,
            ticket_id=item.ticket_id, message_id=item.message_id,
        )  # fmt: skip


class EmailOut(BaseModel):
    """An e-mail of a ticket, in or out, with its delivery state (``state_label`` in
    Portuguese: na fila, enviado, falhou ...)."""

    id: int
    direction: str
    message_id: int | None
    header_id: str
    sender: str
    recipients: str
    subject: str
    in_reply_to: str
    references: str
    state: str
    state_label: str
    reason: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, record: EmailRecord) -> EmailOut:
        return cls(
            id=record.id, direction=record.direction, message_id=record.message_id,
            header_id=record.header_id, sender=record.sender, recipients=record.recipients,
            subject=record.subject, in_reply_to=record.in_reply_to, references=record.references,
            state=record.state, state_label=STATE_LABELS.get(record.state, record.state),
            reason=record.reason, created_at=record.created_at, sent_at=record.sent_at,
        )  # fmt: skip


_HOST = r"^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$"


class MailboxIn(BaseModel):
    """An IMAP mailbox to poll. The password is stored encrypted and never shown back."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=120)]
    host: Annotated[str, Field(min_length=1, max_length=253, pattern=_HOST)]
    port: Annotated[int, Field(ge=1, le=65535)] = 993
    tls: bool = True
    username: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]
    folder: Annotated[str, Field(min_length=1, max_length=200)] = "INBOX"
    active: bool = True


class MailboxPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    host: Annotated[str, Field(min_length=1, max_length=253, pattern=_HOST)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    tls: bool | None = None
    username: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    folder: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    active: bool | None = None


class MailboxOut(BaseModel):
    id: int
    name: str
    host: str
    port: int
    tls: bool
    username: str
    folder: str
    active: bool
    password_set: bool
    uidvalidity: int | None
    last_uid: int
    last_polled_at: datetime | None
    last_error: str


class MailboxCheckOut(BaseModel):
    """A connection test: logged in and the folder opened (``messages`` it holds), or not."""

    ok: bool
    messages: int | None
    error: str
