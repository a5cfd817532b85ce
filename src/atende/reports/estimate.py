"""The metrics report's rollup path (decision 0029): the whole days and months of a period
from ``metric_rollups``, the partial days at its edges and the facts above the rollup's
watermark from ``metric_facts``, added up as :class:`rollup.Cell` per group and metric.

Counts, sums (so means), met counts (so % SLA met and FCR), reopen rate and backlog are exact;
medians and p90s are read from the merged histograms, within ``histogram.RELATIVE_ERROR`` of the
exact value. The report answers ``"estimated": true`` when it took this path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from atende.domain import histogram
from atende.domain.metrics import DURATIONS
from atende.reports import merged, repository, rollup
from atende.reports.models import MetricRollupState
from atende.reports.repository import Scope
from atende.reports.rollup import Cell

PERIODS = ("day", "week", "month")
# "auto": below this many facts in scope the report reads the facts themselves (exact)
EXACT_LIMIT = 50_000
PRECISIONS = ("auto", "exact", "estimate")

Cells = dict[Any, dict[str, Cell]]


@dataclass(frozen=True)
class Plan:
    """Which rollup rows answer a report: one dimension ("" for the whole desk) and the keys
    allowed by its filters (None: all), with the rollup's state and zone."""

    dim: str
    keys: tuple[str, ...] | None
    state: MetricRollupState
    zone: ZoneInfo


def plan_for(session: Session, scope: Scope, group: str | None, tz: str) -> Plan | None:
    """The rollup plan for ``scope`` grouped by ``group``, or None when the rollup cannot
    answer: organization or tag (narrow: the raw path is fast), two dimensions at once, days
    in another zone than the rollup's, or a rollup that holds nothing yet."""
    if scope.organization_id is not None or scope.tag is not None:
        return None
    if group in ("organization", "tag"):
        return None
    narrowed: dict[str, set[str]] = {}
    for dim, values in (
        ("agent", scope.agent_ids),
        ("agent", None if scope.reach_agent_id is None else (scope.reach_agent_id,)),
        ("queue", scope.queue_ids),
        ("queue", scope.reach_queue_ids),
        ("channel", None if scope.channel is None else (scope.channel,)),
        ("plan", None if scope.plan_id is None else (scope.plan_id,)),
    ):
        if values is not None:
            allowed = {rollup.key_text(v) for v in values}
            narrowed[dim] = narrowed[dim] & allowed if dim in narrowed else allowed
    dims = set(narrowed) | ({group} if group in rollup.DIMS else set())
    if len(dims) > 1:
        return None
    rollup.hold_for_reading(session)
    state = rollup.state(session)
    if state is None or state.last_id == 0:
        return None
    if group in PERIODS and tz != state.zone:
        return None
    dim = dims.pop() if dims else ""
    keys = tuple(sorted(narrowed[dim])) if dim in narrowed else None
    return Plan(dim, keys, state, ZoneInfo(state.zone))


@dataclass(frozen=True)
class Cover:
    """A period cut in what the rollup holds and the raw instants at its edges (``[start,
    first)`` and ``[last, end)``): the whole local days ``[first, last)`` are the days of
    ``days`` plus the months of ``months`` less the days of ``minus`` (December 1st to 30th is
    December less the 31st: two rows, not thirty)."""

    first: datetime  # the first whole day's midnight (UTC)
    last: datetime  # the midnight after the last whole day (UTC); first == last: no whole day
    days: tuple[tuple[date, date], ...] = ()
    months: tuple[tuple[date, date], ...] = ()  # ranges of months' first days
    minus: tuple[tuple[date, date], ...] = ()

    def sign(self, span: str, day: date) -> int:
        if not self.minus or span != "day":
            return 1
        return -1 if any(lo <= day < hi for lo, hi in self.minus) else 1


def cover(start: datetime, end: datetime, zone: ZoneInfo, *, months: bool) -> Cover:
    local = start.astimezone(zone)
    d0 = local.date() if local.time() == time() else local.date() + timedelta(days=1)
    d1 = end.astimezone(zone).date()
    if d1 <= d0:
        return Cover(start, start)
    first, last = _midnight(d0, zone), _midnight(d1, zone)
    if not months:
        return Cover(first, last, ((d0, d1),))
    days: list[tuple[date, date]] = []
    whole: list[tuple[date, date]] = []
    minus: list[tuple[date, date]] = []
    # the months between the first and the last hold every day: one range
    m0 = d0 if d0.day == 1 else _next_month(d0.replace(day=1))
    m1 = d1.replace(day=1)
    if m0 < m1:
        whole.append((m0, m1))
    for month in {d0.replace(day=1), m1} - ({m1} if m1 == d1 else set()):
        after = _next_month(month)
        if m0 <= month < m1:
            continue  # whole already
        lo, hi = max(d0, month), min(d1, after)
        outside = (after - month).days - (hi - lo).days
        if outside < (hi - lo).days:  # the month less the days outside: fewer rows
            whole.append((month, after))
            minus += [r for r in ((month, lo), (hi, after)) if r[0] < r[1]]
        else:
            days.append((lo, hi))
    return Cover(first, last, tuple(days), tuple(whole), tuple(minus))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Read:
    """The rollup rows of a report's period (`rollup_rows`' shape) and how they cover it."""

    cover: Cover
    rows: list[tuple[Any, ...]]

    def facts(self) -> int:
        """How many facts of the period the rows hold (the cheap measure of a report's size)."""
        return sum(self.cover.sign(r[1], r[2]) * int(r[5]) for r in self.rows)


def read(
    session: Session, plan: Plan, scope: Scope, metrics: Sequence[str], *, periods: bool = False
) -> Read:
    """The rows of the period: its whole months (less a few days) and days, or only days when
    the report groups by period."""
    c = cover(scope.start, scope.end, plan.zone, months=not periods)
    rows = repository.rollup_rows(
        session, dim=plan.dim, keys=plan.keys, metrics=metrics, days=(*c.days, *c.minus),
        months=c.months,
    )  # fmt: skip
    return Read(c, rows)


def rollup_count(session: Session, plan: Plan, scope: Scope, metrics: Sequence[str]) -> int:
    """How many facts of the period the rollup holds."""
    return read(session, plan, scope, metrics).facts()


def cells(
    session: Session,
    plan: Plan,
    scope: Scope,
    metrics: Sequence[str],
    group: str | None,
    *,
    histograms: bool = True,
    rows: Read | None = None,
) -> Cells:
    """Per group key and metric, the rollup rows and the raw facts of ``scope`` added up
    (``rows``: the rollup rows already read, by `read` with the same arguments)."""
    periods = group in PERIODS
    got = rows if rows is not None else read(session, plan, scope, metrics, periods=periods)
    c = got.cover
    out: Cells = defaultdict(dict)
    # rows of the period's last month may still change (the sweep adds to today's day and
    # month): read each time; the rows before it are merged once per process (reports.merged)
    recent = (scope.end - timedelta(microseconds=1)).astimezone(plan.zone).date().replace(day=1)
    to_merge: dict[tuple[Any, str], list[tuple[tuple[Any, ...], int]]] = defaultdict(list)
    fresh: list[tuple[Any, str, int, int]] = []  # (key, metric, row id, sign)
    for row in got.rows:
        _id, span, day, metric, text_key = row[:5]
        if periods:
            key: Any = period_start(day, group).isoformat()
        elif group == plan.dim and group is not None:
            key = _parsed(plan.dim, text_key)
        else:
            key = None
        sign = c.sign(span, day)
        out[key].setdefault(metric, Cell()).add_row(row[5:], sign=sign)
        if histograms and metric in DURATIONS:
            if day >= recent:
                fresh.append((key, metric, row[0], sign))
            else:
                to_merge[(key, metric)].append((row, sign))
    if to_merge or fresh:
        signatures = {
            place: (plan.dim, plan.state.zone, tuple(pairs)) for place, pairs in to_merge.items()
        }
        found, stored = merged.merged(
            {sig: [(row[0], sign) for row, sign in to_merge[place]]
             for place, sig in signatures.items()},
            lambda ids: repository.rollup_histograms(session, ids),
            also=[row_id for _k, _m, row_id, _s in fresh],
        )  # fmt: skip
        for (key, metric), sig in signatures.items():
            out[key][metric].add_merged(*found[sig].dense())
        for key, metric, row_id, sign in fresh:
            hist_s, hist_b = stored[row_id]
            out[key][metric].add_merged(histogram.loads(hist_s), histogram.loads(hist_b), sign=sign)
    st = plan.state
    # the partial days at the period's edges, each its own range of the (metric, ended_at)
    # index (two bounds on one side made SQLite keep the wider one: a walk of the period),
    # and the facts the rollup does not hold yet
    reads: list[tuple[Scope, tuple[ColumnElement[bool], ...]]] = [
        (replace(scope, end=c.first), ()),
        (replace(scope, start=c.last), ()),
    ]
    reads.append((scope, (repository.above_watermark(c.first, c.last, st.last_id, st.pending),)))
    for part, narrowing in reads:
        if part.start >= part.end:
            continue
        for g, metric, seconds, business, met, ended_at in repository.fact_values(
            session, part, metrics, group, narrowing
        ):
            key = period_start(ended_at.astimezone(plan.zone).date(), group).isoformat() if (
                periods
            ) else g  # fmt: skip
            out[key].setdefault(metric, Cell()).add_fact(seconds, business, met)
    return out


def summary(cell: Cell) -> tuple[Any, ...]:
    """``(count, mean, median, p90, mean business, median business, p90 business, met)``, the
    shape of the SQL summaries of the exact path."""
    n = cell.count
    cal, bus = cell.histograms()
    (med, p90), (med_b, p90_b) = cal.quantiles(0.5, 0.9), bus.quantiles(0.5, 0.9)
    return (n, cell.seconds / n, med, p90, cell.business / n, med_b, p90_b, cell.met)


def counts_summary(cell: Cell) -> tuple[Any, ...]:
    """The same shape for a metric whose values are not read (created, reopened, FCR, SLA)."""
    return (cell.count, 0, 0, 0, 0, 0, 0, cell.met)


def _parsed(dim: str, key: str) -> Any:
    if key == "":
        return None
    return key if dim == "channel" else int(key)


def period_start(day: date, period: str | None) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day
