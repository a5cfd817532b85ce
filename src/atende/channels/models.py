"""The inbound pipeline's tables: what channels received, e-mails in and out, addresses' state.

``inbound_items`` is generic over ``kind`` (``email``, ``whatsapp``, ``telegram``): an adapter
stores the raw bytes with the provider's id and answers at once; the worker ingests
(``workflows/inbound.py``). WhatsApp and Telegram channels, their messages in and out with the
delivery state, contacts' handles on them and the phone log are at the end (docs/channels.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

ITEM_STATES = ("queued", "done", "dead")


class InboundItem(IdMixin, Base):
    """One thing a channel received, raw; a redelivery (same kind, channel, provider id) is a
    no-op."""

    __tablename__ = "inbound_items"
    __table_args__ = (
        UniqueConstraint("kind", "channel", "provider_id", name="uq_inbound_items_provider"),
        Index("ix_inbound_items_state_id", "state", "id"),
    )

    kind: Mapped[str] = mapped_column(String(20))  # email | whatsapp | telegram
    channel: Mapped[str] = mapped_column(String(100))  # "smtp", "imap:3", ...
    provider_id: Mapped[str] = mapped_column(String(500))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL")
    )


class EmailRecord(IdMixin, Base):
    """An e-mail that came in or went out, with its ids for threading and, going out, its
    delivery state (queued, sent, failed with the reason)."""

    __tablename__ = "email_records"
    __table_args__ = (
        Index("ix_email_records_header_id", "header_id"),
        Index("ix_email_records_ticket", "ticket_id", "id"),
        Index("ix_email_records_sender_created", "sender", "created_at"),
    )

    direction: Mapped[str] = mapped_column(String(3))  # in | out
    header_id: Mapped[str] = mapped_column(String(500))  # the Message-ID, with its <>
    ticket_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    inbound_item_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("inbound_items.id", ondelete="SET NULL")
    )
    sender: Mapped[str] = mapped_column(String(254), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    in_reply_to: Mapped[str] = mapped_column(String(500), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    # in: received | automatic (stored, never acted on); out: queued | sent | failed
    state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailAddress(Base):
    """What we learnt of an address: it bounces (delivery failed for good)."""

    __tablename__ = "email_addresses"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    bouncing: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImapMailbox(IdMixin, Base):
    """A mailbox an admin connected: polled over IMAP (``BODY.PEEK[]``, never marked read),
    from the last UID seen while the folder's UIDVALIDITY stays the same."""

    __tablename__ = "imap_mailboxes"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[bool] = mapped_column(default=True)
    username: Mapped[str] = mapped_column(String(254))
    # Fernet (AES-128-CBC + HMAC) under a key derived from the secret key; never shown back
    password_encrypted: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    active: Mapped[bool] = mapped_column(default=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


MESSAGING_KINDS = ("whatsapp", "telegram")
#: an outbound message's delivery states, in the order they advance (``failed`` ends any)
DELIVERY_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


class MessagingChannel(IdMixin, Base):
    """A WhatsApp number (Cloud API) or a Telegram bot an admin connected.

    Providers call ``/webhooks/<kind>/<key>`` (``key`` is random, never the bot token). Secrets
    needed again (tokens, the app secret) are Fernet-encrypted (``channels/secrets.py``); those
    only compared (the verify token, Telegram's secret token) are kept as SHA-256 hashes.
    """

    __tablename__ = "messaging_channels"

    kind: Mapped[str] = mapped_column(String(10))  # whatsapp | telegram
    name: Mapped[str] = mapped_column(String(120), unique=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    phone_number_id: Mapped[str] = mapped_column(String(64), default="")
    access_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    app_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    verify_token_hash: Mapped[str] = mapped_column(String(64), default="")
    bot_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    webhook_secret_hash: Mapped[str] = mapped_column(String(64), default="")
    # WhatsApp: the approved templates agents may send outside the 24-hour window
    templates: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # WhatsApp: the Business Account whose templates are read from Meta, and when last read
    waba_id: Mapped[str] = mapped_column(String(64), default="")
    templates_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the published front-door flow (``chat/flows.py``) that answers new conversations
    bot_flow_key: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactHandle(IdMixin, Base):
    """A contact's address on a messaging network: the WhatsApp id as the webhook gave it (we
    answer to it exactly), a Telegram user id; ``blocked`` when the user blocked the bot."""

    __tablename__ = "contact_handles"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_contact_handles_kind_value"),)

    contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # whatsapp | telegram
    value: Mapped[str] = mapped_column(String(64))
    blocked: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelMessage(IdMixin, Base):
    """A WhatsApp or Telegram message of a ticket, in or out; going out, its delivery state:
    queued, sent, delivered, read, or failed with the provider's code and a Portuguese reason."""

    __tablename__ = "channel_messages"
    __table_args__ = (
        Index("ix_channel_messages_provider_id", "provider_id"),
        Index("ix_channel_messages_ticket", "ticket_id", "id"),
        Index("ix_channel_messages_window", "contact_id", "channel_id", "direction", "created_at"),
    )

    channel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messaging_channels.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(10))  # whatsapp | telegram
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    ticket_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    inbound_item_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("inbound_items.id", ondelete="SET NULL")
    )
    address: Mapped[str] = mapped_column(String(64), default="")  # wa_id, Telegram chat id
    # in: received | limited (over the per-sender limit: kept, acted on by nothing);
    # out: queued | sent | delivered | read | failed
    state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str] = mapped_column(String(20), default="")
    template: Mapped[dict[str, object] | None] = mapped_column(JSON)
    # a bot's menu: the options sent as buttons ([{"id", "title"}]), besides the numbered text
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhoneCall(IdMixin, Base):
    """A call an agent logged on a ticket; its summary may go to the customer in writing."""

    __tablename__ = "phone_calls"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    number: Mapped[str] = mapped_column(String(20))  # E.164
    duration_seconds: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    agent_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    summary_message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL")
    )
    summary_via: Mapped[str] = mapped_column(String(10), default="")  # email | whatsapp
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
