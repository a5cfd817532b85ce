"""The facts the reports read: one row per measured span, written in the event's transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class MetricFact(IdMixin, Base):
    """One measured span of a ticket (docs/metrics.md): ``metric`` is ``tmpr``, ``tme``,
    ``tmr``, ``tma``, ``resolution``, ``created``, ``reopened``, ``fcr`` or ``sla:<target>``.

    The dimensions are copied as they were when the span ended (a later transfer does not move
    a measured span). ``agent_id``, ``queue_id``, ``organization_id`` and ``plan_id`` carry no
    foreign key: a fact outlives what it names, as in the audit trail."""

    __tablename__ = "metric_facts"
    __table_args__ = (
        Index("ix_metric_facts_metric_ended", "metric", "ended_at"),
        Index("ix_metric_facts_agent_metric_ended", "agent_id", "metric", "ended_at"),
        Index("ix_metric_facts_queue_metric_ended", "queue_id", "metric", "ended_at"),
        Index("ix_metric_facts_org_metric_ended", "organization_id", "metric", "ended_at"),
        Index("ix_metric_facts_ticket", "ticket_id"),
    )

    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[int | None] = mapped_column(BigId)
    queue_id: Mapped[int | None] = mapped_column(BigId)
    organization_id: Mapped[int | None] = mapped_column(BigId)
    plan_id: Mapped[int | None] = mapped_column(BigId)
    channel: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    business_seconds: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[bool | None] = mapped_column(Boolean)


class TicketMetricState(Base):
    """What a ticket's measuring remembers between its changes (``domain.metrics`` state)."""

    __tablename__ = "ticket_metric_state"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReportDigest(Base):
    """A supervisor's (or admin's) subscription to the weekly e-mail digest of their queues'
    figures (opt-in). ``last_week`` is the Monday of the last week reported: a week is sent
    once, however many workers sweep."""

    __tablename__ = "report_digests"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    weekly: Mapped[bool] = mapped_column(Boolean, default=True)
    last_week: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
