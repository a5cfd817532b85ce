"""The facts the reports read: one row per measured span, written in the event's transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
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


HISTOGRAM = JSON().with_variant(JSONB(), "postgresql")


class MetricRollup(IdMixin, Base):
    """The facts of one local day (``span`` "day") or month ("month", ``day`` its first), one
    metric and one value of ONE dimension (``dim`` "" for the whole desk, or "agent", "queue",
    "channel", "plan"; ``key`` the value as text, "" for none), summed: count, seconds, business
    seconds, met count, and log-scale histograms of both seconds (``domain.histogram``).
    Written by the ``report_rollup`` sweep from a watermark (``reports/rollup.py``, decision
    0029); the days are those of ``MetricRollupState.zone``."""

    __tablename__ = "metric_rollups"
    __table_args__ = (
        Index("ux_metric_rollups_cell", "dim", "span", "day", "metric", "key", unique=True),
    )

    span: Mapped[str] = mapped_column(String(5))
    day: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    dim: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[int] = mapped_column(BigInteger)
    business_seconds: Mapped[int] = mapped_column(BigInteger)
    met: Mapped[int] = mapped_column(BigInteger)
    hist_s: Mapped[dict[str, int]] = mapped_column(HISTOGRAM)
    hist_b: Mapped[dict[str, int]] = mapped_column(HISTOGRAM)


class MetricRollupState(Base):
    """The rollup's one row: every fact with ``id <= last_id`` is in ``metric_rollups``, except
    the ids in the ranges of ``pending`` (``[first, last, xmax]``: ids seen missing below a later
    one, maybe of a transaction still in flight on PostgreSQL); ``zone``: the zone of its days."""

    __tablename__ = "metric_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    zone: Mapped[str] = mapped_column(String(64))
