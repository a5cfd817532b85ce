from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

ROLES = ("admin", "supervisor", "agent", "contact")
STAFF_ROLES = ("admin", "supervisor", "agent")
PRESENCE_STATUSES = ("online", "paused", "offline")


class User(IdMixin, Base):
    """Somebody who logs in: staff (admin, supervisor, agent) or a contact using the portal."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    timezone: Mapped[str] = mapped_column(String(64), default="America/Sao_Paulo")
    locale: Mapped[str] = mapped_column(String(10), default="pt_BR")
    # capacity (None: the smallest default of the agent's queues, else unlimited)
    max_open_tickets: Mapped[int | None] = mapped_column(Integer)
    max_chats: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class SavedView(IdMixin, Base):
    """A ticket list an agent saved from the inbox (its parameters, e.g. ``view=queues&
    priority=urgent&tag=boleto``) under a name; a supervisor or admin may share one with the
    whole team."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
