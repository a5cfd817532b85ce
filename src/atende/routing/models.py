"""Presence, pause reasons, absences, followers and queue waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

PRESENCE_STATUSES = ("online", "paused", "offline")


class AgentPresence(Base):
    """An agent's current status (there is no invisible state)."""

    __tablename__ = "agent_presence"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(10), default="offline")
    reason: Mapped[str | None] = mapped_column(String(80))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PresenceLog(IdMixin, Base):
    """Every presence period, for pause and occupancy reports."""

    __tablename__ = "presence_log"
    __table_args__ = (Index("ix_presence_log_user_started", "user_id", "started_at"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(40), default="agent")


class PauseReason(IdMixin, Base):
    """The admin-defined reasons an agent may pause for (lunch, training, meeting, ...)."""

    __tablename__ = "pause_reasons"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Absence(IdMixin, Base):
    """A planned absence (vacation): the agent's open tickets go to the substitute."""

    __tablename__ = "absences"
    __table_args__ = (
        Index("ix_absences_state_starts", "state", "starts_at"),
        Index("ix_absences_state_ends", "state", "ends_at"),
        Index("ix_absences_user", "user_id", "starts_at"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    substitute_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    return_tickets: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(
        String(12), default="scheduled"
    )  # scheduled|active|ended|cancelled
    moved_ticket_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketFollower(Base):
    """Someone who follows a ticket to its resolution (e.g. the agent who transferred it)."""

    __tablename__ = "ticket_followers"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
