"""WhatsApp and Telegram out: an agent's public reply on such a ticket leaves through the outbox.

The settle loop calls :func:`on_message` (a reactor): it writes a ``channel_messages`` row
(``queued``) and enqueues a ``channels.messaging_out`` job in the reply's transaction. The job
(``channels/messaging_send.py``) sends (WhatsApp: ``/{version}/{phone_number_id}/messages``
with the Bearer token; Telegram: ``sendMessage``, then ``sendDocument`` per attachment), stores
the provider's message id and the state (``sent``; WhatsApp's statuses then move it to
delivered, read or failed).

WhatsApp's 24-hour window (decision 0023): free text only while the customer's last message
is less than 24 hours old. The API and the pages refuse a reply outside it (422, nothing
written: :func:`refuse_outside_window`); a reply reaching the reactor another way (a rule), or
on a ticket whose conversation is unknown, is marked failed with the reason, never "sent". A
ticket on channel ``whatsapp`` or ``telegram`` while no such channel is connected (the channel
used as a label, an import) sends nothing and records nothing. Outside the window only an
approved template leaves (:func:`queue` with ``template``). A Telegram user who blocked the bot
is marked on their handle and the message fails with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.channels import messaging_repository as repository
from atende.channels import repository as channel_records
from atende.channels import telegram_api
from atende.channels.models import ChannelMessage, ContactHandle, MessagingChannel
from atende.domain import messaging
from atende.domain.errors import ValidationFailed
from atende.jobs import outbox
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket

KIND = "channels.messaging_out"
TEXT_LIMIT = 4096  # WhatsApp: characters; Telegram: UTF-16 code units
KINDS = ("whatsapp", "telegram")
STATE_LABELS = {
    "queued": "na fila",
    "sent": "enviado",
    "delivered": "entregue",
    "read": "lido",
    "failed": "falhou",
    "received": "recebido",
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conversation:
    """Where a ticket's messages go: the channel and address, the window, a block."""

    channel: MessagingChannel | None
    address: str
    contact_id: int | None
    last_inbound_at: datetime | None
    blocked: bool

    def window_open(self, now: datetime) -> bool:
        if self.channel is None or self.channel.kind != "whatsapp":
            return self.channel is not None
        return messaging.window_open(self.last_inbound_at, now)

    @property
    def closes_at(self) -> datetime | None:
        if self.channel is None or self.channel.kind != "whatsapp":
            return None
        return messaging.window_closes_at(self.last_inbound_at)


def conversation(session: Session, ticket: Ticket, *, kind: str | None = None) -> Conversation:
    """The ticket's conversation on ``kind`` (its own channel by default): its last message on
    that channel; else the requester's handle there (for WhatsApp, else their phone number) on
    the first active channel of that kind."""
    kind = kind or ticket.channel
    last = repository.last_of_ticket(session, ticket.id)
    if last is not None and last.kind != kind:
        last = None
    channel = repository.channel(session, last.channel_id) if last and last.channel_id else None
    address = last.address if last is not None else ""
    handle: ContactHandle | None = None
    if ticket.requester_id is not None and kind in KINDS:
        handles = repository.handles_of(session, ticket.requester_id, kind)
        handle = handles[0] if handles else None
        if channel is None:
            address = handle.value if handle is not None else ""
            if not address and kind == "whatsapp":
                contact = channel_records.contact(session, ticket.requester_id)
                address = (contact.phone or "").lstrip("+") if contact is not None else ""
            channel = repository.first_active(session, kind) if address else None
    last_in = None
    if channel is not None and ticket.requester_id is not None:
        last_in = repository.last_inbound_at(session, ticket.requester_id, channel.id)
    return Conversation(
        channel=channel, address=address, contact_id=ticket.requester_id,
        last_inbound_at=last_in, blocked=bool(handle is not None and handle.blocked),
    )  # fmt: skip


def may_have_conversation(session: Session, ticket: Ticket) -> bool:
    """Whether the ticket's requester has a handle on the ticket's channel (else no message of
    the ticket went through a connected channel either: it was written by the customer)."""
    if ticket.requester_id is None or ticket.channel not in KINDS:
        return False
    return bool(repository.handles_of(session, ticket.requester_id, ticket.channel))


def refuse_outside_window(session: Session, changes: Sequence[Changed], *, now: datetime) -> None:
    """An agent's free-text reply on a WhatsApp ticket whose window closed is refused (422),
    before anything is written for good: only an approved template may go."""
    for change in changes:
        ticket, message = change.ticket, change.message
        if change.event != "message_sent" or message is None or ticket.channel != "whatsapp":
            continue
        talk = conversation(session, ticket)
        if talk.channel is not None and not talk.window_open(now):
            raise ValidationFailed(
                "the customer's last WhatsApp message is more than 24 hours old (or there is "
                "none): only an approved template can be sent",
                field="public",
            )


def on_message(
    session: Session, ticket: Ticket, *, event: str | None, message: Message | None, now: datetime
) -> None:
    """Settle reactor: queue an agent's public reply on a WhatsApp or Telegram ticket."""
    if event != "message_sent" or message is None or ticket.channel not in KINDS:
        return
    if not message.public or message.author_kind != "agent":
        return
    if repository.out_of_message(session, message.id) is not None:
        return  # queued by its use case already (a template, a call's summary)
    talk = conversation(session, ticket)
    if talk.channel is None and repository.first_active(session, ticket.channel) is None:
        return  # no such channel connected: the ticket's channel is only a label
    queue(session, ticket, message, now=now, talk=talk)


def queue(
    session: Session,
    ticket: Ticket,
    message: Message,
    *,
    now: datetime,
    template: dict[str, Any] | None = None,
    talk: Conversation | None = None,
    buttons: list[dict[str, str]] | None = None,
) -> ChannelMessage:
    """The message's outbound row and its job; failed at once, with the reason, when it cannot
    leave (no known address, WhatsApp's window closed without a template, a blocked bot).
    ``buttons``: a bot menu's options (``id``, ``title``), sent as buttons besides the text."""
    if message.id is None:
        session.flush()  # a message a command just wrote: its id
    talk = talk or conversation(session, ticket)
    reason = ""
    if talk.channel is None or not talk.address:
        reason = "o cliente não tem conversa conhecida neste canal"
    elif talk.blocked:
        reason = telegram_api.BLOCKED_REASON
    elif template is None and not talk.window_open(now):
        reason = messaging.whatsapp_reason("131047")
    record = repository.add_message(
        session,
        ChannelMessage(
            channel_id=talk.channel.id if talk.channel else None,
            kind=talk.channel.kind if talk.channel else ticket.channel, direction="out",
            provider_id="", ticket_id=ticket.id, message_id=message.id,
            contact_id=talk.contact_id, address=talk.address[:64],
            state="failed" if reason else "queued", reason=reason,
            error_code="131047" if reason.endswith("(código 131047)") else "",
            template=template, buttons=buttons or None, created_at=now, updated_at=now,
        ),
    )  # fmt: skip
    if not reason:
        outbox.enqueue(
            session, KIND, idempotency_key=f"messaging-out:{record.id}", record_id=record.id,
            ticket_id=ticket.id,
        )  # fmt: skip
    return record
