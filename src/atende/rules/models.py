"""Automation rules, canned replies, and the record of time-based firings (docs/rules.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class Rule(IdMixin, Base):
    """A rule as data: ``event``, ``conditions`` (condition JSON), ``actions`` (a list of
    ``{"type", "value"}``), ``time`` (``{"status", "business_hours"}`` for time_based rules)."""

    __tablename__ = "rules"
    __table_args__ = (Index("ix_rules_event_position", "event", "position", "id"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    event: Mapped[str] = mapped_column(String(20))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    time: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(IdMixin, Base):
    """A reply template (``{{contact.first_name}}``, ``{{ticket.number}}``, ...)."""

    __tablename__ = "canned_replies"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RuleFiring(IdMixin, Base):
    """A time_based rule was decided for a ticket's status period (the period starts at
    ``status_changed_at``): it fires at most once per period. ``matched`` says whether its
    conditions held (and its actions ran) when the period reached the rule's threshold."""

    __tablename__ = "rule_firings"
    __table_args__ = (
        UniqueConstraint(
            "rule_id", "ticket_id", "status_changed_at", name="uq_rule_firings_period"
        ),
    )

    rule_id: Mapped[int] = mapped_column(BigId, ForeignKey("rules.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    matched: Mapped[bool] = mapped_column(Boolean, default=True)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
