"""The metrics report: the facts of a period, grouped, as counts, means, medians and p90s in
calendar and business seconds (docs/reports.md). Reads ``metric_facts`` only, never tickets.

On PostgreSQL the statistics are computed in SQL (``percentile_cont``); on SQLite the facts'
values are read and computed here with the same definition (``domain.metrics.percentile``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain import metrics
from atende.domain.errors import PermissionDenied, ValidationFailed
from atende.reports import estimate, repository
from atende.reports.facts import SLA_PREFIX
from atende.reports.repository import Scope
from atende.surveys import repository as surveys_repository

GROUPS = ("agent", "queue", "channel", "organization", "plan", "tag", "day", "week", "month")
PERIODS = ("day", "week", "month")
MAX_DAYS = 400  # a report spans at most this (a year and some)
DEFAULT_TIMEZONE = "America/Sao_Paulo"
SLA_TARGETS = (
    "first_response", "next_response", "resolution",
    "private_first_response", "private_next_response", "private_resolution",
)  # fmt: skip
COUNTED = (metrics.CREATED, metrics.REOPENED, metrics.FCR)
READ = (*metrics.DURATIONS, *COUNTED, *(SLA_PREFIX + t for t in SLA_TARGETS))


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    group_by: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    queue_id: int | None = None
    agent_id: int | None = None
    channel: str | None = None
    organization_id: int | None = None
    plan_id: int | None = None
    tag: str | None = None
    # auto: the rollup (estimated medians and p90s) for large scopes, the facts otherwise;
    # exact: always the facts; estimate: the rollup wherever it can answer (docs/reports.md)
    precision: str = "auto"


def check_filters(f: Filters) -> ZoneInfo:
    """The filters' zone; a period that is backwards, empty or too long is refused."""
    if f.start.tzinfo is None or f.end.tzinfo is None:
        raise ValidationFailed("from and to need a UTC offset (e.g. -03:00 or Z)", field="from")
    if f.end <= f.start:
        raise ValidationFailed("to must come after from", field="to")
    if f.end - f.start > timedelta(days=MAX_DAYS):
        raise ValidationFailed(
            "a report spans at most {max_days} days", field="to", max_days=MAX_DAYS
        )
    if f.group_by is not None and f.group_by not in GROUPS:
        raise ValidationFailed(
            "group_by must be one of {groups}", field="group_by", groups=", ".join(GROUPS)
        )  # pragma: no cover - the edge's enum refuses it first
    try:
        return ZoneInfo(f.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            "unknown time zone {timezone!r}", field="tz", timezone=f.timezone
        ) from exc


def scope_for(session: Session, actor: Actor, f: Filters) -> Scope:
    """The facts ``actor`` may read under ``f``: an agent their own, a supervisor those of
    the queues they belong to (one who belongs to none supervises the whole desk, as they
    read every ticket), an admin everything; a contact none (403)."""
    if not actor.is_staff:
        raise PermissionDenied("only staff may read reports")
    reach_agent = None
    reach_queues = None
    if actor.role == "agent":
        reach_agent = actor.user_id if actor.user_id is not None else -1
    elif actor.role == "supervisor":
        reach_queues = (
            repository.member_queue_ids(session, actor.user_id) if actor.user_id is not None else ()
        ) or None
    return Scope(
        start=f.start.astimezone(UTC),
        end=f.end.astimezone(UTC),
        queue_ids=(f.queue_id,) if f.queue_id is not None else None,
        agent_ids=(f.agent_id,) if f.agent_id is not None else None,
        channel=f.channel,
        organization_id=f.organization_id,
        plan_id=f.plan_id,
        tag=f.tag,
        reach_agent_id=reach_agent,
        reach_queue_ids=reach_queues,
    )


@dataclass
class _Acc:
    """What a group gathered: per metric, the values (SQLite) or the SQL summaries."""

    values: dict[str, list[tuple[int, int, bool | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    summaries: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def _estimated(
    session: Session, scope: Scope, filters: Filters
) -> tuple[dict[Any, _Acc], dict[Any, dict[str, int]]] | None:
    """The rollup path's groups and backlog, or None when the report reads the facts: the
    rollup cannot answer, ``precision`` is exact, or (auto) the period holds few facts."""
    if filters.precision == "exact":
        return None
    group = filters.group_by
    plan = estimate.plan_for(session, scope, group, filters.timezone)
    if plan is None:
        return None
    rows = None if group in PERIODS else estimate.read(session, plan, scope, READ)
    if filters.precision == "auto":
        size = rows if rows is not None else estimate.read(session, plan, scope, READ)
        if size.facts() < estimate.EXACT_LIMIT:
            return None
    accs: dict[Any, _Acc] = defaultdict(_Acc)
    for key, by_metric in estimate.cells(session, plan, scope, READ, group, rows=rows).items():
        for metric, cell in by_metric.items():
            accs[key].summaries[metric] = (
                estimate.summary(cell) if metric in metrics.DURATIONS
                else estimate.counts_summary(cell)
            )  # fmt: skip
    backlog: dict[Any, dict[str, int]] = defaultdict(dict)
    if group not in PERIODS:
        whole = Scope(**{**scope.__dict__, "start": repository.EARLIEST})
        counted = (metrics.CREATED, metrics.REOPENED, metrics.RESOLUTION)
        for key, by_metric in estimate.cells(
            session, plan, whole, counted, group, histograms=False
        ).items():
            backlog[key] = {m: c.count for m, c in by_metric.items()}
    return accs, backlog


def metrics_report(session: Session, *, actor: Actor, filters: Filters) -> dict[str, Any]:
    """``{"rows": [{"group": {...}, "tmpr": M, ..., "sla_met_percent": {...}, ...}],
    "estimated": bool}`` (estimated: medians and p90s read from the rollup's histograms)."""
    zone = check_filters(filters)
    scope = scope_for(session, actor, filters)
    group = filters.group_by
    accs: dict[Any, _Acc] = defaultdict(_Acc)
    backlog: dict[Any, dict[str, int]] = defaultdict(dict)
    postgres = session.get_bind().dialect.name == "postgresql"
    rolled = _estimated(session, scope, filters)
    if rolled is not None:
        accs, backlog = rolled
    elif postgres:
        for row in repository.fact_summaries(session, scope, READ, group, filters.timezone):
            key = _period_key(row[0], group) if group in PERIODS else row[0]
            accs[key].summaries[row[1]] = tuple(row[2:])
    else:
        for g, metric, seconds, business, met, ended_at in repository.fact_values(
            session, scope, READ, group
        ):
            key = _bucket(ended_at, group, zone) if group in PERIODS else g
            accs[key].values[metric].append((seconds, business, met))
    if rolled is None and group not in PERIODS:
        for g, metric, count in repository.backlog_counts(session, scope, group):
            backlog[g][metric] = count
    csat = csat_by_group(session, actor=actor, filters=filters, zone=zone)
    if csat is not None and scope.reach_queue_ids is not None:
        # a supervisor reads their queues' ratings only: cut by queue, or not at all
        reach = set(scope.reach_queue_ids)
        csat = {k: v for k, v in csat.items() if k in reach} if group == "queue" else None
    rated = set(csat or {}) - {None}  # a group rated in the period but with no span in it
    keys = sorted(set(accs) | set(backlog) | rated, key=lambda k: (k is None, str(k)))
    if not keys and group is None:
        keys = [None]  # an empty period still answers its one row
    rows = [_row(group, k, accs[k], None if group in PERIODS else backlog.get(k, {})) for k in keys]
    for key, answer in zip(keys, rows, strict=True):
        answer["csat"] = None if csat is None else csat.get(key)
    return {"rows": rows, "estimated": rolled is not None}


CSAT_GROUPS = (None, "agent", "queue", "organization", "day", "week", "month")


def csat_by_group(
    session: Session, *, actor: Actor, filters: Filters, zone: ZoneInfo
) -> dict[Any, dict[str, Any]] | None:
    """CSAT of the surveys answered in the period (surveys/: docs/surveys.md), keyed like the
    report's groups: ``{"count", "satisfied_percent", "average"}``. The agent is the one
    recorded when the survey was sent. None (``"csat": null`` on every row) where the surveys
    cannot be cut the report's way: by channel or plan, or with a filter other than the period
    (queue, agent, channel, organization, plan, tag); for a supervisor who belongs to queues,
    anything but by queue (`metrics_report` keeps their queues' rows)."""
    narrowed = (
        filters.queue_id, filters.agent_id, filters.channel, filters.organization_id,
        filters.plan_id, filters.tag,
    )  # fmt: skip
    if filters.group_by not in CSAT_GROUPS or any(v is not None for v in narrowed):
        return None
    group = filters.group_by
    out: dict[Any, dict[str, Any]] = {}
    for row in surveys_repository.csat_summary(
        session, start=filters.start, end=filters.end, group_by=group, actor=actor, tz=zone
    ):
        if not row.count:
            continue  # nothing rated: null, like a metric nothing measured
        if group is None:
            key: Any = None
        elif group in PERIODS:
            key = row.group["period"]
        else:
            key = row.group[f"{group}_id"]
        out[key] = {
            "count": row.count,
            "satisfied_percent": row.satisfied_percent,
            "average": row.average,
        }
    return out


def _bucket(ended_at: datetime, period: str | None, zone: ZoneInfo) -> str:
    day = ended_at.astimezone(zone).date()
    return estimate.period_start(day, period).isoformat()


def _period_key(value: Any, period: str | None) -> str:
    day = value.date() if isinstance(value, datetime) else value
    return estimate.period_start(day, period).isoformat()


def _group(group: str | None, key: Any) -> dict[str, Any]:
    if group is None:
        return {}
    if group in PERIODS:
        return {group: key}
    name = group if group in ("channel", "tag") else f"{group}_id"
    return {name: key}


def _m(acc: _Acc, metric: str) -> dict[str, Any] | None:
    if metric in acc.summaries:
        n, mean_s, med, p90, mean_b, med_b, p90_b, _met = acc.summaries[metric]
        return _shape(n, mean_s, med, p90, mean_b, med_b, p90_b)
    values = acc.values.get(metric)
    if not values:
        return None
    cal = metrics.summary([v[0] for v in values])
    bus = metrics.summary([v[1] for v in values])
    assert cal is not None and bus is not None
    return _shape(cal[0], cal[1], cal[2], cal[3], bus[1], bus[2], bus[3])


def _shape(n: Any, *stats: Any) -> dict[str, Any]:
    keys = ("mean_s", "median_s", "p90_s", "mean_business_s", "median_business_s",
            "p90_business_s")  # fmt: skip
    return {"count": int(n), **{k: round(float(v), 3) for k, v in zip(keys, stats, strict=True)}}


def _count(acc: _Acc, metric: str) -> tuple[int, int]:
    """``(count, met count)`` of ``metric``'s facts."""
    if metric in acc.summaries:
        summary = acc.summaries[metric]
        return int(summary[0]), int(summary[-1])
    values = acc.values.get(metric, [])
    return len(values), sum(1 for v in values if v[2])


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _row(group: str | None, key: Any, acc: _Acc, backlog: dict[str, int] | None) -> dict[str, Any]:
    created, _ = _count(acc, metrics.CREATED)
    reopened, _ = _count(acc, metrics.REOPENED)
    resolved, _ = _count(acc, metrics.RESOLUTION)
    fcr_total, fcr_met = _count(acc, metrics.FCR)
    sla: dict[str, float | None] = {}
    for target in SLA_TARGETS:
        total, met = _count(acc, SLA_PREFIX + target)
        if total:
            sla[target] = _percent(met, total)
    counts: dict[str, int | None] = {
        "created": created,
        "resolved": resolved,
        "reopened": reopened,
        "backlog": None,
    }
    if backlog is not None:
        counts["backlog"] = (
            backlog.get(metrics.CREATED, 0)
            + backlog.get(metrics.REOPENED, 0)
            - backlog.get(metrics.RESOLUTION, 0)
        )
    return {
        "group": _group(group, key),
        "tmpr": _m(acc, metrics.TMPR),
        "tme": _m(acc, metrics.TME),
        "tmr": _m(acc, metrics.TMR),
        "tma": _m(acc, metrics.TMA),
        "resolution": _m(acc, metrics.RESOLUTION),
        "sla_met_percent": sla,
        "counts": counts,
        "reopen_rate_percent": _percent(reopened, resolved),
        "fcr_percent": _percent(fcr_met, fcr_total),
        "csat": None,
    }


def flat(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The report as one table (the exports): a column per group key and statistic."""
    group_keys = sorted({k for r in rows for k in r["group"]})
    stats = ("count", "mean_s", "median_s", "p90_s", "mean_business_s", "median_business_s",
             "p90_business_s")  # fmt: skip
    names = ("tmpr", "tme", "tmr", "tma", "resolution")
    header = [*group_keys]
    header += [f"{n}_{s}" for n in names for s in stats]
    header += [f"sla_{t}_met_percent" for t in SLA_TARGETS]
    header += ["created", "resolved", "reopened", "backlog", "reopen_rate_percent",
               "fcr_percent"]  # fmt: skip
    out: list[list[Any]] = []
    for r in rows:
        line: list[Any] = [r["group"].get(k) for k in group_keys]
        for n in names:
            m = r[n]
            line += [m[s] if m is not None else None for s in stats]
        line += [r["sla_met_percent"].get(t) for t in SLA_TARGETS]
        c = r["counts"]
        line += [c["created"], c["resolved"], c["reopened"], c["backlog"],
                 r["reopen_rate_percent"], r["fcr_percent"]]  # fmt: skip
        out.append(line)
    return header, out
