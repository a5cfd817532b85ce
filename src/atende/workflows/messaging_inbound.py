"""Ingesting a WhatsApp or Telegram item (the inbound pipeline's worker step, after
``workflows/inbound.py`` took and locked it).

A message finds its contact (the handle on the network; for WhatsApp, else the phone number in
E.164 with and without a Brazilian ninth digit: decision 0023), threads into the ticket of the
contact's conversation on that channel (a closed one gets a follow-up, as e-mail does) or opens
one on channel ``whatsapp`` / ``telegram``, writes the message (its media fetched by a job) and
is settled (SLA, rules, routing). A WhatsApp status moves our message's delivery state forward
(``failed`` with the code and the Portuguese reason). The message takes the instant the customer
sent it (or the item was received, if earlier): the window and the clocks start there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.channels import media, messaging_parse, repository, webhook_in
from atende.channels import messaging_repository as channel_repository
from atende.channels.email_parse import Unparseable
from atende.channels.messaging_parse import Ignored, Incoming, Status
from atende.channels.models import DELIVERY_RANK, ChannelMessage, InboundItem, MessagingChannel
from atende.customers import service as customer_service
from atende.customers.models import Contact
from atende.domain import messaging, phones
from atende.tickets.commands import create
from atende.tickets.commands import message as messages
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket
from atende.tickets.schemas import TicketIn
from atende.workflows import messaging_bot, messaging_jobs
from atende.workflows.settle import Settler, settle

SUBJECT_CHARS = 80
DEFAULT_LIMIT = 120  # settings.messaging_sender_limit_per_hour
LIMIT_WINDOW = timedelta(hours=1)
LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram"}


@dataclass(frozen=True)
class Ingested:
    ticket_id: int | None
    message_id: int | None
    note: str


def ingest(
    session: Session, item: InboundItem, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> Ingested:
    """``limit``: messages one sender may send the channel an hour; beyond it a message is
    kept (``limited``, on the contact) but opens, changes and answers nothing."""
    channel_id = webhook_in.channel_id_of(item.channel)
    channel = channel_repository.channel(session, channel_id) if channel_id else None
    if channel is None:
        raise Unparseable(f"channel {item.channel!r} was removed")
    parsed: Incoming | Status | Ignored
    if channel.kind == "whatsapp":
        parsed = messaging_parse.whatsapp(item.raw, phone_number_id=channel.phone_number_id)
    else:
        parsed = messaging_parse.telegram(item.raw)
    if isinstance(parsed, Ignored):
        return Ingested(None, None, f"ignored: {parsed.reason}")
    if isinstance(parsed, Status):
        return _status(session, channel, parsed, now=now)
    return _message(session, channel, item, parsed, now=now, limit=limit)


def _contact(session: Session, channel: MessagingChannel, got: Incoming, at: datetime) -> Contact:
    """The contact behind the handle; for WhatsApp, else by phone number in any of its forms;
    else a new one. The handle is kept as the network gave it (answers go to it exactly)."""
    handle = channel_repository.handle(session, channel.kind, got.user)
    contact = repository.contact(session, handle.contact_id) if handle is not None else None
    if handle is not None and handle.blocked:  # they wrote again: they unblocked the bot
        handle.blocked, handle.reason, handle.updated_at = False, "", at
    if contact is None:
        number = phones.from_wa_id(got.user) if channel.kind == "whatsapp" else None
        if number is not None:
            contact = customer_service.contact_by_phone_forms(session, number)
        if contact is None:
            contact = customer_service.add_contact(session, name=got.name or got.user, phone=number)
        channel_repository.add_handle(
            session, contact_id=contact.id, kind=channel.kind, value=got.user, now=at
        )
    return contact


def _record(
    channel: MessagingChannel, item: InboundItem, got: Incoming, contact: Contact, at: datetime,
    *, state: str = "received", message: Message | None = None, reason: str = "",
) -> ChannelMessage:  # fmt: skip
    return ChannelMessage(
        channel_id=channel.id, kind=channel.kind, direction="in",
        provider_id=got.provider_id[:200], ticket_id=message.ticket_id if message else None,
        message_id=message.id if message else None, contact_id=contact.id,
        inbound_item_id=item.id, address=got.address[:64], state=state, reason=reason,
        error_code="", created_at=at, updated_at=at,
    )  # fmt: skip


def _message(
    session: Session, channel: MessagingChannel, item: InboundItem, got: Incoming, *,
    now: datetime, limit: int,
) -> Ingested:  # fmt: skip
    at = min(item.received_at, now)
    if got.sent_at is not None:
        at = min(at, got.sent_at)
    contact = _contact(session, channel, got, at)
    if channel_repository.received_since(session, contact.id, channel.id, at - LIMIT_WINDOW) >= (
        limit
    ):
        reason = f"more than {limit} messages from this sender in an hour"
        channel_repository.add_message(
            session, _record(channel, item, got, contact, at, state="limited", reason=reason)
        )
        return Ingested(None, None, f"rate limited: {reason}")
    before = channel_repository.contact_ticket(session, contact.id, channel.id)
    body = got.text.strip() or "[mensagem sem texto]"
    first_line = body.splitlines()[0] if body else ""
    subject = f"{LABELS[channel.kind]}: {first_line}"[:SUBJECT_CHARS].strip()
    ticket, message, changes = write_received(
        session, before, subject=subject, body=body, channel=channel.kind,
        contact_id=contact.id, at=at,
    )  # fmt: skip
    opened = before is None or ticket.id != before.id  # a new conversation (or a follow-up)
    flow = messaging_bot.flow_of(session, channel) if opened else None
    if flow is not None:  # nobody is handed a ticket the bot is still sorting
        changes = [replace(c, dispatch=False) for c in changes]
    record = channel_repository.add_message(
        session, _record(channel, item, got, contact, at, message=message)
    )
    for found in got.media:
        media.enqueue(
            session, record_id=record.id, ref=found.ref, filename=found.filename,
            content_type=found.content_type,
        )  # fmt: skip
    settle_received(session, ticket, changes, at=at, now=now)
    messaging_bot.on_received(
        session,
        channel=channel,
        ticket=ticket,
        message=message,
        flow=flow,
        choice=got.choice,
        now=now,
    )
    return Ingested(message.ticket_id, message.id, "")


def write_received(
    session: Session,
    ticket: Ticket | None,
    *,
    subject: str,
    body: str,
    channel: str,
    contact_id: int,
    at: datetime,
) -> tuple[Ticket, Message, list[Changed]]:
    """A customer's message from a channel: on ``ticket`` (a follow-up when it is closed), else
    on a new ticket on ``channel``. Not settled yet (:func:`settle_received`)."""
    if ticket is None:
        data = TicketIn(subject=subject, body=body, channel=channel, contact_id=contact_id)
        ticket, changes = create.create_ticket(session, actor=SYSTEM, data=data, now=at)
        message = repository.first_message(session, ticket.id)
    else:
        message, changes = messages.add_message(
            session, actor=SYSTEM, ticket_id=ticket.id, body=body, public=True, now=at,
            author="contact",
        )  # fmt: skip
        ticket = changes[0].ticket  # a follow-up when the ticket was closed
    session.flush()
    assert message is not None
    return ticket, message, changes


def settle_received(
    session: Session, ticket: Ticket, changes: list[Changed], *, at: datetime, now: datetime
) -> None:
    """Settle a received message at the instant it was received; a deadline that passed while
    the item waited is announced now (escalation, rules)."""
    settle(session, changes, now=at)
    if ticket.next_sla_deadline is not None and ticket.next_sla_deadline <= now:
        Settler(session, now=now).refresh(ticket)


def _status(session: Session, channel: MessagingChannel, got: Status, *, now: datetime) -> Ingested:
    """Our message's delivery state moves forward (a late ``delivered`` never undoes ``read``);
    ``failed`` ends it with the code and the reason in Portuguese."""
    record = channel_repository.out_by_provider_id(session, channel.kind, got.provider_id)
    if record is None:
        return Ingested(None, None, f"status {got.status} of an unknown message")
    at = got.at or now
    if got.status == "failed":
        record.state, record.error_code = "failed", got.error_code[:20]
        record.reason = messaging.whatsapp_reason(got.error_code or None, got.error_detail)
    elif got.status in DELIVERY_RANK and record.state != "failed":
        if DELIVERY_RANK[got.status] > DELIVERY_RANK.get(record.state, 0):
            record.state = got.status
    else:
        return Ingested(record.ticket_id, record.message_id, f"status {got.status} ignored")
    record.updated_at = at
    messaging_jobs.publish_delivery(session, record)
    return Ingested(record.ticket_id, record.message_id, f"status {got.status}")
