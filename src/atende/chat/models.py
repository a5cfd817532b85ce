"""The chat area's tables: widgets, visitors, chats, the client ids of visitors' messages and
the bot's flows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

PRECHAT = ("email", "phone", "either")
STATES = ("bot", "waiting", "active", "ended")
ENDED_BY = ("", "agent", "visitor", "timeout")
FLOW_STATUSES = ("draft", "published", "retired")


class ChatWidget(IdMixin, Base):
    """One ``<script data-widget="key">`` on a website: its look, hours, origins and queue."""

    __tablename__ = "chat_widgets"
    __table_args__ = (
        CheckConstraint("prechat IN ('email', 'phone', 'either')", name="ck_chat_widgets_prechat"),
    )

    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    text_color: Mapped[str] = mapped_column(String(7), default="#ffffff")
    greeting: Mapped[str] = mapped_column(String(500), default="")
    calendar_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calendars.id", ondelete="SET NULL")
    )
    queue_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="SET NULL")
    )
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    prechat: Mapped[str] = mapped_column(String(10), default="either")
    bot_flow_key: Mapped[str | None] = mapped_column(String(80))
    inactivity_minutes: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatVisitor(IdMixin, Base):
    """A browser that talked to a widget: known by the hash of a random token it keeps."""

    __tablename__ = "chat_visitors"
    __table_args__ = (Index("ix_chat_visitors_created_from", "created_from", "created_at"),)

    widget_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chat_widgets.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the client address that made the visitor (the limit on new visitors per address)
    created_from: Mapped[str | None] = mapped_column(String(64))


class Chat(IdMixin, Base):
    """A live conversation; its messages and history are its ticket's (channel ``chat``)."""

    __tablename__ = "chats"
    __table_args__ = (
        Index("ix_chats_state_started", "state", "started_at"),
        Index("ix_chats_visitor", "visitor_id", "started_at"),
        CheckConstraint("state IN ('bot', 'waiting', 'active', 'ended')", name="ck_chats_state"),
    )

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    widget_id: Mapped[int] = mapped_column(BigId, ForeignKey("chat_widgets.id", ondelete="CASCADE"))
    visitor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chat_visitors.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str] = mapped_column(String(10), default="")
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    visitor_read_message_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_read_message_id: Mapped[int | None] = mapped_column(BigInteger)
    related_ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    bot_flow_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("bot_flows.id", ondelete="SET NULL")
    )
    bot_node: Mapped[str | None] = mapped_column(String(80))
    bot_retries: Mapped[int] = mapped_column(Integer, default=0)
    bot_vars: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChatClientMessage(IdMixin, Base):
    """A visitor's message as the browser named it: a retry with the same id finds it here."""

    __tablename__ = "chat_client_messages"
    __table_args__ = (UniqueConstraint("chat_id", "client_id", name="uq_chat_client_messages"),)

    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"))


class BotFlow(IdMixin, Base):
    """One version of a front-door flow (``definition``: ``domain/chatbot.py``)."""

    __tablename__ = "bot_flows"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_bot_flows_key_version"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="ck_bot_flows_status"),
    )

    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


BOT_RUN_STATES = ("bot", "waiting")


class BotRun(IdMixin, Base):
    """The front-door bot on a ticket of another channel than the widget (WhatsApp, Telegram):
    where it is in the flow, like a chat's ``bot_*`` columns. ``state``: ``bot`` while it
    talks, ``waiting`` once it handed the ticket over or a person acted (``ended_by``)."""

    __tablename__ = "bot_runs"
    __table_args__ = (
        UniqueConstraint("ticket_id", name="uq_bot_runs_ticket"),
        CheckConstraint("state IN ('bot', 'waiting')", name="ck_bot_runs_state"),
    )

    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # whatsapp | telegram
    bot_flow_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("bot_flows.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(10), default="bot")
    bot_node: Mapped[str | None] = mapped_column(String(80))
    bot_retries: Mapped[int] = mapped_column(Integer, default=0)
    bot_vars: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "route" (handed over), "agent" (a person acted), "failure", "window" (WhatsApp's closed)
    ended_by: Mapped[str] = mapped_column(String(20), default="")
