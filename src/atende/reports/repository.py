"""Every query of the reports area: the facts written, the state kept, the reports read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, literal, or_, select, text, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from atende.agents.models import PresenceLog, User
from atende.customers.models import Organization
from atende.queues.models import Queue, QueueMember
from atende.reports.models import MetricFact, MetricRollup, TicketMetricState
from atende.sla.models import SlaBreachReason, TicketSlaTarget
from atende.tickets.models import Message, Ticket, TicketEvent, TicketTag

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SORT_MEMORY = "64MB"  # PostgreSQL work_mem of the exact report's sorts (a constant)
SLA_TARGET_KINDS = (
    "first_response", "next_response", "resolution",
    "private_first_response", "private_next_response", "private_resolution",
)  # fmt: skip


def state_of(session: Session, ticket_id: int) -> TicketMetricState | None:
    return session.get(TicketMetricState, ticket_id)


def organization(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def queue(session: Session, queue_id: int) -> Queue | None:
    return session.get(Queue, queue_id)


def member_queue_ids(session: Session, user_id: int) -> tuple[int, ...]:
    """The queues a user belongs to (a supervisor's reach in the reports)."""
    rows = session.scalars(
        select(QueueMember.queue_id).where(QueueMember.user_id == user_id).order_by("queue_id")
    )
    return tuple(rows)


def history(
    session: Session, ticket_id: int
) -> tuple[Sequence[tuple[datetime, str, bool, int | None, int]], Sequence[tuple[Any, ...]]]:
    """A ticket's stored history, to measure a ticket that was never measured (an import):
    its messages ``(created_at, author_kind, public, author_user_id, position)`` and its status
    and assignee events ``(created_at, kind, before, after, position)``, in timeline order."""
    messages = session.execute(
        select(
            Message.created_at, Message.author_kind, Message.public, Message.author_user_id,
            Message.position,
        )
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.created_at, Message.position)
    ).all()  # fmt: skip
    events = session.execute(
        select(
            TicketEvent.created_at, TicketEvent.kind, TicketEvent.before, TicketEvent.after,
            TicketEvent.position,
        )
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(("status", "assignee")))
        .order_by(TicketEvent.created_at, TicketEvent.position)
    ).all()  # fmt: skip
    return [tuple(r) for r in messages], [tuple(r) for r in events]  # type: ignore[misc]


# --- the reports read ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which facts a report reads: the period, the filters and the reader's reach (an agent:
    their own figures; a supervisor: their queues'; None: everything)."""

    start: datetime
    end: datetime
    queue_ids: tuple[int, ...] | None = None
    agent_ids: tuple[int, ...] | None = None
    channel: str | None = None
    organization_id: int | None = None
    plan_id: int | None = None
    tag: str | None = None
    reach_agent_id: int | None = None
    reach_queue_ids: tuple[int, ...] | None = None


GROUP_COLUMNS: dict[str, ColumnElement[Any]] = {
    "agent": MetricFact.__table__.c.agent_id,
    "queue": MetricFact.__table__.c.queue_id,
    "channel": MetricFact.__table__.c.channel,
    "organization": MetricFact.__table__.c.organization_id,
    "plan": MetricFact.__table__.c.plan_id,
}


TAG = TicketTag.__table__.c.tag


def _grouped(stmt: Any, group: str | None) -> Any:
    """``stmt`` joined to the tickets' tags when grouped by tag: a fact counts under each tag
    its ticket carries now (a ticket with two tags in both groups; one with none in none)."""
    if group != "tag":
        return stmt
    return stmt.join(TicketTag, TicketTag.ticket_id == MetricFact.ticket_id)


def _key(group: str | None) -> ColumnElement[Any]:
    if group == "tag":
        return TAG
    return GROUP_COLUMNS[group] if group in GROUP_COLUMNS else literal(None)


def _where(scope: Scope, metrics: Sequence[str]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        MetricFact.metric.in_(metrics),
        MetricFact.ended_at >= scope.start,
        MetricFact.ended_at < scope.end,
    ]
    if scope.queue_ids is not None:
        conds.append(MetricFact.queue_id.in_(scope.queue_ids))
    if scope.agent_ids is not None:
        conds.append(MetricFact.agent_id.in_(scope.agent_ids))
    if scope.channel is not None:
        conds.append(MetricFact.channel == scope.channel)
    if scope.organization_id is not None:
        conds.append(MetricFact.organization_id == scope.organization_id)
    if scope.plan_id is not None:
        conds.append(MetricFact.plan_id == scope.plan_id)
    if scope.tag is not None:
        tagged = select(TicketTag.ticket_id).where(TicketTag.tag == scope.tag)
        conds.append(MetricFact.ticket_id.in_(tagged))
    if scope.reach_agent_id is not None:
        conds.append(MetricFact.agent_id == scope.reach_agent_id)
    if scope.reach_queue_ids is not None:
        conds.append(MetricFact.queue_id.in_(scope.reach_queue_ids))
    return conds


def _period(period: str, tz: str) -> ColumnElement[Any]:
    """The day, ISO week (its Monday) or month of a fact's end, in ``tz`` (PostgreSQL)."""
    local = func.timezone(tz, MetricFact.ended_at)
    unit = {"day": "day", "week": "week", "month": "month"}[period]
    return func.date_trunc(unit, local)


def fact_values(
    session: Session,
    scope: Scope,
    metrics: Sequence[str],
    group: str | None,
    extra: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[Any, ...]]:
    """``(group value, metric, seconds, business_seconds, met, ended_at)`` of every fact in
    scope (SQLite: the statistics are computed in Python; the rollup path: the facts it does
    not hold, narrowed by ``extra``)."""
    key = _key(group)
    # the end only to bucket by period (reading instants back costs, on SQLite)
    ended: ColumnElement[Any] = (
        MetricFact.__table__.c.ended_at if group in ("day", "week", "month") else literal(None)
    )
    stmt = select(
        key, MetricFact.metric, MetricFact.seconds, MetricFact.business_seconds,
        MetricFact.met, ended,
    ).where(*_where(scope, metrics), *extra)  # fmt: skip
    return [tuple(r) for r in session.connection().execute(_grouped(stmt, group))]


def above_watermark(
    start: datetime, end: datetime, last_id: int, pending: Sequence[Sequence[int]]
) -> ColumnElement[bool]:
    """A fact of ``[start, end)`` the rollup does not hold yet: above its watermark, or in one
    of its pending ranges ``[first, last, _]``. The newest are found by id (a subquery: SQLite
    would otherwise walk the whole period's ``(metric, ended_at)`` index to test each id)."""
    newest = aliased(MetricFact)
    newer: ColumnElement[bool] = MetricFact.id.in_(select(newest.id).where(newest.id > last_id))
    if pending:
        newer = or_(newer, *(MetricFact.id.between(p[0], p[1]) for p in pending))
    return and_(MetricFact.ended_at >= start, MetricFact.ended_at < end, newer)


def rollup_rows(
    session: Session,
    *,
    dim: str,
    keys: Sequence[str] | None,
    metrics: Sequence[str],
    days: Sequence[tuple[date, date]],
    months: Sequence[tuple[date, date]],
) -> list[tuple[Any, ...]]:
    """The rollup rows of one dimension without their histograms: ``(id, span, day, metric,
    key, count, seconds, business seconds, met)`` of the days in ``days`` and the months in
    ``months`` (half-open ranges of days; a month is its first day). The histograms, a few
    KB a row, are read by id (`rollup_histograms`) for the rows a report has not merged."""
    r = MetricRollup.__table__.c
    spans: list[ColumnElement[bool]] = [
        and_(r.span == "day", r.day >= lo, r.day < hi) for lo, hi in days if lo < hi
    ]
    spans += [and_(r.span == "month", r.day >= lo, r.day < hi) for lo, hi in months if lo < hi]
    if not spans:
        return []
    # the day as text on SQLite (a few distinct values, parsed once each, not per row), and
    # Core rows, not the ORM's: a year by agent reads some 4,000 rows
    day = type_coerce(r.day, String)
    stmt = select(r.id, r.span, day, r.metric, r.key, r.count, r.seconds, r.business_seconds,
                  r.met).where(r.dim == dim, or_(*spans), r.metric.in_(metrics))  # fmt: skip
    if keys is not None:
        stmt = stmt.where(r.key.in_(keys))
    return [(i, span, _day(d), *rest) for i, span, d, *rest in session.connection().execute(stmt)]


@lru_cache(maxsize=4096)
def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def rollup_histograms(session: Session, ids: Sequence[int]) -> list[tuple[int, Any, Any]]:
    """``(id, hist_s, hist_b)`` of the rollup rows ``ids``, decoded."""
    r = MetricRollup.__table__.c
    out: list[tuple[int, Any, Any]] = []
    for lo in range(0, len(ids), 500):
        stmt = select(r.id, r.hist_s, r.hist_b).where(r.id.in_(ids[lo : lo + 500]))
        out += [tuple(row) for row in session.connection().execute(stmt)]
    return out


def fact_summaries(
    session: Session, scope: Scope, metrics: Sequence[str], group: str | None, tz: str
) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``(group value, metric, count, mean, median, p90, mean business, median
    business, p90 business, met count)`` per group and metric, computed in SQL: one sort per
    column for both fractions (``percentile_cont(ARRAY[0.5, 0.9])``), in memory (``work_mem``
    raised for this transaction: 4 MB spills a year's sort to disk)."""
    key = _period(group, tz) if group in ("day", "week", "month") else _key(group)
    s, b = MetricFact.seconds, MetricFact.business_seconds
    fractions = postgresql.array([0.5, 0.9])
    stmt = (
        select(
            key.label("g"),
            MetricFact.metric,
            func.count(),
            func.avg(s),
            func.percentile_cont(fractions).within_group(s),
            func.avg(b),
            func.percentile_cont(fractions).within_group(b),
            func.count().filter(MetricFact.met.is_(True)),
        )
        .where(*_where(scope, metrics))
        .group_by(key, MetricFact.metric)
    )
    session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
    return [
        (g, metric, n, mean_s, *q_s, mean_b, *q_b, met)
        for g, metric, n, mean_s, q_s, mean_b, q_b, met in session.execute(_grouped(stmt, group))
    ]


def backlog_counts(session: Session, scope: Scope, group: str | None) -> list[tuple[Any, ...]]:
    """``(group value, metric, count)`` of the created, reopened and resolved facts before the
    period's end (the backlog at the end: created + reopened - resolved)."""
    key = _key(group)
    whole = Scope(**{**scope.__dict__, "start": EARLIEST})
    stmt = (
        select(key.label("g"), MetricFact.metric, func.count())
        .where(*_where(whole, ("created", "reopened", "resolution")))
        .group_by(key, MetricFact.metric)
    )
    return [tuple(r) for r in session.connection().execute(_grouped(stmt, group))]


def breaches(session: Session, scope: Scope, *, kind: str | None, limit: int) -> list[Any]:
    """The breached SLA targets whose breach came in the scope's period, with the ticket's
    clock (due, met, business time used) and the latest breach reason recorded for the target:
    ``(fact, subject, target, reason)``, oldest breach first."""
    metrics = [f"sla:{kind}"] if kind else [f"sla:{k}" for k in SLA_TARGET_KINDS]
    latest = (
        select(func.max(SlaBreachReason.id))
        .where(
            SlaBreachReason.ticket_id == MetricFact.ticket_id,
            SlaBreachReason.kind == func.substr(MetricFact.metric, 5),
        )
        .correlate(MetricFact)
        .scalar_subquery()
    )
    stmt = (
        select(MetricFact, Ticket.subject, TicketSlaTarget, SlaBreachReason)
        .join(Ticket, Ticket.id == MetricFact.ticket_id)
        .outerjoin(
            TicketSlaTarget,
            (TicketSlaTarget.ticket_id == MetricFact.ticket_id)
            & (TicketSlaTarget.kind == func.substr(MetricFact.metric, 5)),
        )
        .outerjoin(SlaBreachReason, SlaBreachReason.id == latest)
        .where(*_where(scope, metrics), MetricFact.met.is_(False))
        .order_by(MetricFact.ended_at, MetricFact.id)
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]


def presence_periods(
    session: Session, *, start: datetime, end: datetime, user_id: int | None
) -> list[tuple[int, str, str | None, datetime, datetime | None]]:
    """``(user_id, status, reason, started_at, ended_at)`` of the presence periods that overlap
    ``[start, end)`` (``ended_at`` None: still going)."""
    stmt = select(
        PresenceLog.user_id, PresenceLog.status, PresenceLog.reason, PresenceLog.started_at,
        PresenceLog.ended_at,
    ).where(
        PresenceLog.started_at < end,
        (PresenceLog.ended_at.is_(None)) | (PresenceLog.ended_at > start),
    )  # fmt: skip
    if user_id is not None:
        stmt = stmt.where(PresenceLog.user_id == user_id)
    return [tuple(r) for r in session.execute(stmt.order_by(PresenceLog.started_at))]  # type: ignore[misc]


def staff_ids(session: Session) -> list[int]:
    """The active agents, supervisors and admins (every one gets a presence row)."""
    stmt = select(User.id).where(
        User.active.is_(True), User.role.in_(("admin", "supervisor", "agent"))
    )
    return list(session.scalars(stmt.order_by(User.id)))
