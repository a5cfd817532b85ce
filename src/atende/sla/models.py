"""SLA policies and the persisted SLA clocks of each ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class SlaPolicy(IdMixin, Base):
    """An ordered policy: the first whose conditions match a ticket applies to it."""

    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_position", "position", "id"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    calendar_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calendars.id", ondelete="RESTRICT"), index=True
    )
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    next_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    pause_statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    chat_resolution_starts_at_chat_end: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # what a warning / breach sets off (sla/escalation.py): {"warning": {...}, "breach": {...}}
    escalation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # a target's own clock (sla/policies.py): {"resolution": {"clock": "24x7", "calendar_id":
    # null}, ...}; a target not named counts on the policy's calendar
    target_clocks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the staff's stricter targets, never shown to contacts: {"first_response_minutes": 20, ...}
    private_targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # a resolved ticket closes itself after this many business hours without a contact reply
    auto_close_business_hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketSla(Base):
    """Which policy applies to a ticket (``policy_id`` null: none matches), and why."""

    __tablename__ = "ticket_sla"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    policy_name: Mapped[str | None] = mapped_column(String(120))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # when the outcome above last changed (not touched by re-evaluations that change nothing)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketSlaTarget(Base):
    """One SLA clock of a ticket (first_response, next_response, resolution; a private one's
    kind has ``private_`` first: ``private_first_response``)."""

    __tablename__ = "ticket_sla_targets"
    __table_args__ = (
        Index("ix_ticket_sla_targets_state_due", "state", "due_at"),
        # the inbox's "breaching soon": the clocks past their warning (migration 0032)
        Index("ix_ticket_sla_targets_state_warning", "state", "warning_at"),
        # and its "SLA breached": the breached clocks still owed (met_at empty)
        Index("ix_ticket_sla_targets_state_met", "state", "met_at"),
    )

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    policy_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    policy_name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(10))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    business_seconds_used: Mapped[int] = mapped_column(Integer, default=0)
    target_seconds: Mapped[int] = mapped_column(Integer)


BREACH_REASONS = (
    "waiting_other_department",
    "many_exchanges",
    "wrong_first_solution",
    "customer_unreachable",
    "other",
)


class SlaBreachReason(IdMixin, Base):
    """Why a target was breached, recorded later by a supervisor (kept when clocks change)."""

    __tablename__ = "sla_breach_reasons"
    __table_args__ = (Index("ix_sla_breach_reasons_ticket", "ticket_id", "kind", "cycle"),)

    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
