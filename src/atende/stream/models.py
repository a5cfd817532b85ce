"""The tables of the stream: its events, the webhook subscriptions and the consumers' cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class StreamEvent(Base):
    """One event, written in the transaction of the change it tells of.

    ``id`` is taken at insert; ``position`` is the event's place in the stream (the SSE ``id``),
    given in commit order: on PostgreSQL by a deferred trigger at commit, under a lock held
    until the commit ends; on SQLite, with one writer, it is the ``id`` (migration 0012).
    ``payload`` is the staff view (``events.py``); a reader gets ``views.shape`` of it.
    """

    __tablename__ = "stream_events"
    __table_args__ = (
        Index("ix_stream_events_position", "position", unique=True),
        # the last event told of a ticket: where the timeline of its next change starts
        Index("ix_stream_events_ticket", "ticket_id", "timeline_position"),
        {"sqlite_autoincrement": True},  # an id is never given twice, even after a prune
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    position: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    queue_id: Mapped[int | None] = mapped_column(BigInteger)
    organization_id: Mapped[int | None] = mapped_column(BigInteger)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # the ticket's last timeline position when the event was written
    timeline_position: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebhookSubscription(IdMixin, Base):
    """An admin's subscription: the events of ``event_types`` are POSTed, signed, to ``url``.

    ``secret`` signs each delivery (HMAC-SHA256, ``notify/webhook.py``), so it is kept as
    given: it is shown once, when made or rotated, and never returned again (decision 0013).
    ``since_position``: the stream's position when it was made; older events are not sent.
    """

    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(200))
    since_position: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StreamCursor(Base):
    """How far a consumer of the stream got (the webhook fan-out: ``webhooks``)."""

    __tablename__ = "stream_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
