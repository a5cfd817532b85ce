from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class Queue(IdMixin, Base):
    """A queue of work and the team that serves it ("Suporte N1", "Financeiro", ...)."""

    __tablename__ = "queues"
    __table_args__ = (
        # at most one triage queue
        Index(
            "ux_queues_triage",
            "triage",
            unique=True,
            sqlite_where=text("triage"),
            postgresql_where=text("triage"),
        ),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # manual (agents pull) | round_robin | least_loaded (among online members under capacity)
    assignment_mode: Mapped[str] = mapped_column(String(20), default="manual")
    # the team's hours: a ticket created outside them is flagged on_call
    calendar_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calendars.id", ondelete="SET NULL")
    )
    default_max_open_tickets: Mapped[int | None] = mapped_column(Integer)
    default_max_chats: Mapped[int | None] = mapped_column(Integer)
    # tickets created without a queue (and not routed by a rule) land here; at most one queue
    triage: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueMember(Base):
    __tablename__ = "queue_members"

    queue_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # round robin: the member served longest ago goes next
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueWait(IdMixin, Base):
    """How long a ticket waited in a queue before someone took it ("tempo médio de espera")."""

    __tablename__ = "queue_waits"
    __table_args__ = (Index("ix_queue_waits_queue_assigned", "queue_id", "assigned_at"),)

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    queue_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[int] = mapped_column(Integer)
    how: Mapped[str] = mapped_column(String(20))  # pulled | round_robin | least_loaded | manual
