"""Every query of the WhatsApp and Telegram channels, their messages, handles and the phone log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.attachments.models import Attachment
from atende.channels.models import (
    ChannelMessage,
    ContactHandle,
    MessagingChannel,
    PhoneCall,
)
from atende.tickets.models import Ticket

# --- channels ------------------------------------------------------------------------------


def channel(session: Session, channel_id: int) -> MessagingChannel | None:
    return session.get(MessagingChannel, channel_id)


def channel_by_name(session: Session, name: str) -> MessagingChannel | None:
    return session.scalar(select(MessagingChannel).where(MessagingChannel.name == name))


def channel_by_key(session: Session, kind: str, key: str) -> MessagingChannel | None:
    return session.scalar(
        select(MessagingChannel).where(MessagingChannel.kind == kind, MessagingChannel.key == key)
    )


def channels(session: Session, *, kind: str | None = None) -> Sequence[MessagingChannel]:
    stmt = select(MessagingChannel).order_by(MessagingChannel.id)
    if kind is not None:
        stmt = stmt.where(MessagingChannel.kind == kind)
    return session.scalars(stmt).all()


def first_active(session: Session, kind: str) -> MessagingChannel | None:
    return session.scalar(
        select(MessagingChannel)
        .where(MessagingChannel.kind == kind, MessagingChannel.active.is_(True))
        .order_by(MessagingChannel.id)
        .limit(1)
    )


# --- handles -------------------------------------------------------------------------------


def handle(session: Session, kind: str, value: str) -> ContactHandle | None:
    return session.scalar(
        select(ContactHandle).where(ContactHandle.kind == kind, ContactHandle.value == value)
    )


def handles_of(session: Session, contact_id: int, kind: str) -> Sequence[ContactHandle]:
    return session.scalars(
        select(ContactHandle)
        .where(ContactHandle.contact_id == contact_id, ContactHandle.kind == kind)
        .order_by(ContactHandle.id.desc())
    ).all()


def add_handle(
    session: Session, *, contact_id: int, kind: str, value: str, now: datetime
) -> ContactHandle:
    """A handle the caller just looked up and did not find (a savepoint: a race, another
    worker adding it at the same moment, never fails the caller)."""
    row = ContactHandle(
        contact_id=contact_id, kind=kind, value=value, blocked=False, reason="", updated_at=now
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = handle(session, kind, value)
        assert existing is not None
        return existing
    return row


# --- messages in and out -------------------------------------------------------------------


def add_message(session: Session, row: ChannelMessage) -> ChannelMessage:
    session.add(row)
    session.flush()
    return row


def message_record(
    session: Session, record_id: int, *, for_update: bool = False
) -> ChannelMessage | None:
    stmt = select(ChannelMessage).where(ChannelMessage.id == record_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def out_by_provider_id(session: Session, kind: str, provider_id: str) -> ChannelMessage | None:
    return session.scalar(
        select(ChannelMessage)
        .where(
            ChannelMessage.provider_id == provider_id,
            ChannelMessage.kind == kind,
            ChannelMessage.direction == "out",
        )
        .with_for_update()
    )


def out_of_message(session: Session, message_id: int) -> ChannelMessage | None:
    return session.scalar(
        select(ChannelMessage).where(
            ChannelMessage.message_id == message_id, ChannelMessage.direction == "out"
        )
    )


def ticket_messages(session: Session, ticket_id: int) -> Sequence[ChannelMessage]:
    return session.scalars(
        select(ChannelMessage)
        .where(ChannelMessage.ticket_id == ticket_id)
        .order_by(ChannelMessage.id)
    ).all()


def last_of_ticket(session: Session, ticket_id: int) -> ChannelMessage | None:
    """The ticket's latest message on a channel (which channel and address it lives on)."""
    return session.scalar(
        select(ChannelMessage)
        .where(ChannelMessage.ticket_id == ticket_id, ChannelMessage.channel_id.is_not(None))
        .order_by(ChannelMessage.id.desc())
        .limit(1)
    )


def last_inbound_at(session: Session, contact_id: int, channel_id: int) -> datetime | None:
    """When the contact last wrote to the channel (the 24-hour window's start)."""
    return session.scalar(
        select(func.max(ChannelMessage.created_at)).where(
            ChannelMessage.contact_id == contact_id,
            ChannelMessage.channel_id == channel_id,
            ChannelMessage.direction == "in",
        )
    )


def received_since(session: Session, contact_id: int, channel_id: int, since: datetime) -> int:
    """How many messages the contact sent the channel since ``since`` (limited ones too: the
    per-sender rate limit)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ChannelMessage)
            .where(
                ChannelMessage.contact_id == contact_id,
                ChannelMessage.channel_id == channel_id,
                ChannelMessage.direction == "in",
                ChannelMessage.created_at >= since,
            )
        )
        or 0
    )


def limited(session: Session, *, limit: int) -> Sequence[ChannelMessage]:
    """The latest messages kept but not acted on (over the per-sender limit), newest first."""
    return session.scalars(
        select(ChannelMessage)
        .where(ChannelMessage.direction == "in", ChannelMessage.state == "limited")
        .order_by(ChannelMessage.id.desc())
        .limit(limit)
    ).all()


def contact_ticket(session: Session, contact_id: int, channel_id: int) -> Ticket | None:
    """The ticket the contact's last message on the channel went to (its conversation)."""
    ticket_id = session.scalar(
        select(ChannelMessage.ticket_id)
        .where(
            ChannelMessage.contact_id == contact_id,
            ChannelMessage.channel_id == channel_id,
            ChannelMessage.direction == "in",
            ChannelMessage.ticket_id.is_not(None),  # a limited message has none
        )
        .order_by(ChannelMessage.id.desc())
        .limit(1)
    )
    return None if ticket_id is None else session.get(Ticket, ticket_id)


def attachments_of(session: Session, message_id: int) -> Sequence[Attachment]:
    return session.scalars(
        select(Attachment).where(Attachment.message_id == message_id).order_by(Attachment.id)
    ).all()


# --- phone log -----------------------------------------------------------------------------


def add_call(session: Session, call: PhoneCall) -> PhoneCall:
    session.add(call)
    session.flush()
    return call


def call(session: Session, ticket_id: int, call_id: int) -> PhoneCall | None:
    return session.scalar(
        select(PhoneCall)
        .where(PhoneCall.id == call_id, PhoneCall.ticket_id == ticket_id)
        .with_for_update()
    )


def calls_of(session: Session, ticket_id: int) -> Sequence[PhoneCall]:
    return session.scalars(
        select(PhoneCall).where(PhoneCall.ticket_id == ticket_id).order_by(PhoneCall.id)
    ).all()
