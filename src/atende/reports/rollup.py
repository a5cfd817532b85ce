"""The rollup of the metric facts: per local day and month, metric and ONE dimension, counts,
sums and log-scale histograms (``domain.histogram``), so a whole-desk report over a year reads
a few thousand rows instead of millions of facts (decision 0029, docs/reports.md).

`catch_up` adds the facts above the watermark (``metric_rollup_state.last_id``), a bounded
number per call, to ``metric_rollups``; the worker runs it every few seconds (the
``report_rollup`` sweep). On PostgreSQL the sweep takes a transaction-level advisory lock
(``pg_try_advisory_xact_lock``: a second worker skips the round; reports hold it shared while
they read); on SQLite its transaction holds the one writer slot. So no fact is counted twice.

On PostgreSQL ids are handed out before commit, not in commit order: an id missing below the
newest one seen may belong to a transaction still in flight. Such ids are kept as ranges in
``pending`` with a marker, the transaction id the sweep takes right after looking; an id is
rolled up when it appears, and a range is forgotten once every transaction below the marker
has ended (its ids were rolled back, or never used). A fact is written after its ticket's
change, so its transaction already had a transaction id (below the marker) when it took the
fact's id. (A snapshot's ``xmax`` would not do: it is one past the latest *completed*
transaction, and a running one may be above it.) On SQLite one writer commits
at a time and ids come in commit order: no gap is ever pending.

The reports read the rollup up to the watermark and the raw facts above it and in ``pending``
(`reports/estimate.py`), so a report is never stale.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, insert, or_, select, text, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
from atende.domain import histogram, metrics
from atende.reports.models import MetricFact, MetricRollup, MetricRollupState

BATCH = 20_000  # facts per sweep on PostgreSQL
SQLITE_BATCH = 2_000  # on SQLite: the sweep holds the one writer slot (~0.1 s), as text_index
LOCK_KEY = 125822885983600  # "rollup" in ASCII: the advisory lock of sweeps and reports
NEVER = 2**62  # the marker of a pending range whose transactions cannot be bounded
DIMS = ("agent", "queue", "channel", "plan")  # and "" for the whole desk
F = MetricFact.__table__.c


@dataclass
class Cell:
    """What one rollup row adds up (also the sum of a report group's rows and facts): the
    facts counted one by one (``hist_s``, ``hist_b``: dicts) and the stored rows added
    (``sums_s``, ``sums_b``: a count per bucket, summed in C)."""

    count: int = 0
    seconds: int = 0
    business: int = 0
    met: int = 0
    hist_s: histogram.Histogram = field(default_factory=dict)
    hist_b: histogram.Histogram = field(default_factory=dict)
    sums_s: list[int] = field(default_factory=list)  # per bucket, of the stored rows added
    sums_b: list[int] = field(default_factory=list)
    merged_s: histogram.Dense = field(default_factory=histogram.Dense)  # stored rows, merged
    merged_b: histogram.Dense = field(default_factory=histogram.Dense)

    def add_fact(self, seconds: int, business: int, met: bool | None) -> None:
        self.count_fact(seconds, business, met, histogram.bucket(seconds),
                        histogram.bucket(business))  # fmt: skip

    def count_fact(
        self, seconds: int, business: int, met: bool | None, ks: int | None, kb: int | None
    ) -> None:
        """Count one fact whose buckets are ``ks`` and ``kb`` (None: not in the histograms,
        as for the counted metrics, whose medians are never read)."""
        self.count += 1
        self.seconds += seconds
        self.business += business
        self.met += 1 if met else 0
        if ks is not None and kb is not None:
            self.hist_s[ks] = self.hist_s.get(ks, 0) + 1
            self.hist_b[kb] = self.hist_b.get(kb, 0) + 1

    def add_row(self, row: Sequence[Any], *, sign: int = 1) -> None:
        """Add (``sign`` -1: take away) a stored row ``(count, seconds, business seconds,
        met[, hist_s, hist_b])``."""
        self.count += sign * int(row[0])
        self.seconds += sign * int(row[1])
        self.business += sign * int(row[2])
        self.met += sign * int(row[3])
        if len(row) > 4 and row[4] is not None:
            if not self.sums_s:
                self.sums_s, self.sums_b = [0] * histogram.BUCKETS, [0] * histogram.BUCKETS
            histogram.add_into(self.sums_s, row[4], sign=sign)
            histogram.add_into(self.sums_b, row[5], sign=sign)

    def add_merged(
        self, hist_s: histogram.Dense, hist_b: histogram.Dense, *, sign: int = 1
    ) -> None:
        """Add (``sign`` -1: take away) the histograms of stored rows, merged beforehand
        (``reports.merged``) or read as they are; their counts and sums are added by `add_row`
        without histograms."""
        self.merged_s = self.merged_s.plus(hist_s, sign=sign)
        self.merged_b = self.merged_b.plus(hist_b, sign=sign)

    def histograms(self) -> tuple[histogram.Dense, histogram.Dense]:
        return (
            histogram.Dense.of_sums(self.sums_s)
            .plus(self.merged_s)
            .plus(histogram.Dense.of(self.hist_s)),
            histogram.Dense.of_sums(self.sums_b)
            .plus(self.merged_b)
            .plus(histogram.Dense.of(self.hist_b)),
        )


def key_text(value: Any) -> str:
    return "" if value is None else str(value)


def state(session: Session) -> MetricRollupState | None:
    stmt = select(MetricRollupState).where(MetricRollupState.id == 1)
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def hold_for_reading(session: Session) -> None:
    """A report's lock (PostgreSQL, shared, until its transaction ends): it waits for a running
    sweep's commit, and no sweep commits while the report reads, so the report sees the
    rollup and its watermark of one moment. SQLite: a read transaction is one snapshot."""
    if _pg(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})


def _hold_for_sweeping(session: Session) -> bool:
    """The sweep's lock: False when a sweep or a report holds it (PostgreSQL; skip the round).
    On SQLite the sweep's transaction holds the one writer slot."""
    if not _pg(session):
        return True
    took = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    return bool(took.scalar_one())


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _horizon(session: Session) -> int:
    """Every transaction id below this has ended (PostgreSQL)."""
    sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    return int(session.execute(text(sql)).scalar_one())


def _marker(session: Session) -> int:
    """A transaction id above that of every transaction which already had one (PostgreSQL):
    the sweep's own, taken now, after it looked for the facts. If the caller's transaction
    had one already (it wrote before), no bound is known: the range is kept until found."""
    assigned = session.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar()
    if assigned is not None:
        return NEVER
    return int(session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())


FACT_COLUMNS = (F.id, F.metric, F.agent_id, F.queue_id, F.channel, F.plan_id, F.ended_at,
                F.seconds, F.business_seconds, F.met)  # fmt: skip


def catch_up(session: Session, *, batch: int = BATCH) -> int:
    """Roll up to ``batch`` facts above the watermark (and the pending ones that appeared);
    how many were added. Call it in a transaction that has written nothing yet (PostgreSQL:
    the bound of a pending range is the transaction id it takes after looking)."""
    if not _hold_for_sweeping(session):
        return 0  # another worker is sweeping (or a report reading)
    pg = _pg(session)
    horizon = _horizon(session) if pg else 0
    st = state(session)
    if st is None:
        return 0
    pending = [(int(lo), int(hi), int(m)) for lo, hi, m in st.pending]
    rows: list[Any] = []
    if pending:
        inside = or_(*(F.id.between(lo, hi) for lo, hi, _m in pending))
        rows += session.execute(select(*FACT_COLUMNS).where(inside)).all()
    fresh = session.execute(
        select(*FACT_COLUMNS).where(F.id > st.last_id).order_by(F.id).limit(batch)
    ).all()
    rows += fresh
    if not rows and not pending:
        return 0
    last = fresh[-1][0] if fresh else st.last_id
    keep: list[tuple[int, int, int]] = []
    if pg:
        found = sorted(r[0] for r in rows)
        for lo, hi, m in pending:
            if m > horizon:  # a transaction that may hold one of these ids may still commit
                keep += [(a, b, m) for a, b in missing(lo, hi, found)]
        marker = _marker(session)
        keep += [(a, b, marker) for a, b in missing(st.last_id + 1, last, found)]
    add(session, ZoneInfo(st.zone), rows)
    st.last_id = last
    st.pending = [list(p) for p in sorted(keep)]
    session.flush()
    return len(rows)


def missing(lo: int, hi: int, found: list[int]) -> list[tuple[int, int]]:
    """The ranges of ``[lo, hi]`` (inclusive) that hold none of the sorted ids ``found``."""
    out: list[tuple[int, int]] = []
    at = lo
    for i in found[bisect_left(found, lo) : bisect_right(found, hi)]:
        if i > at:
            out.append((at, i - 1))
        at = i + 1
    if at <= hi:
        out.append((at, hi))
    return out


def add(session: Session, zone: ZoneInfo, rows: list[Any]) -> None:
    """Add facts ``(id, metric, agent, queue, channel, plan, ended_at, seconds, business,
    met)`` to their day and month rows, for the whole desk and each dimension."""
    cells: dict[tuple[str, str, date, str, str], Cell] = {}
    for _id, metric, agent, queue, channel, plan, ended_at, seconds, business, met in rows:
        day = ended_at.astimezone(zone).date()
        month = day.replace(day=1)
        keys = (("", ""), ("agent", key_text(agent)), ("queue", key_text(queue)),
                ("channel", key_text(channel)), ("plan", key_text(plan)))  # fmt: skip
        ks = kb = None
        if metric in metrics.DURATIONS:
            ks, kb = histogram.bucket(seconds), histogram.bucket(business)
        for span, when in (("day", day), ("month", month)):
            for dim, key in keys:
                cell = cells.get((dim, span, when, metric, key))
                if cell is None:
                    cell = cells[(dim, span, when, metric, key)] = Cell()
                cell.count_fact(seconds, business, met, ks, kb)
    _write(session, cells)


def _write(session: Session, cells: dict[tuple[str, str, date, str, str], Cell]) -> None:
    """Merge ``cells`` into the stored rows (the caller holds the state row's lock)."""
    if not cells:
        return
    places = sorted({(dim, span, when) for dim, span, when, _m, _k in cells})
    r = MetricRollup.__table__.c
    updates: list[dict[str, Any]] = []
    for lo in range(0, len(places), 500):
        chunk = places[lo : lo + 500]
        stored = session.execute(
            select(r.id, r.dim, r.span, r.day, r.metric, r.key, r.count, r.seconds,
                   r.business_seconds, r.met, r.hist_s, r.hist_b)
            .where(tuple_(r.dim, r.span, r.day).in_(chunk))
        ).all()  # fmt: skip
        for row in stored:
            cell = cells.pop(tuple(row[1:6]), None)
            if cell is None:
                continue
            cell.add_row(row[6:])
            updates.append({"id": row[0], **_values(cell)})
    table = cast(Table, MetricRollup.__table__)  # Core: no ORM bulk bookkeeping
    if updates:
        session.execute(update(MetricRollup), updates)
    if cells:
        session.execute(
            insert(table),
            [
                {"dim": d, "span": s, "day": w, "metric": m, "key": k, **_values(c)}
                for (d, s, w, m, k), c in cells.items()
            ],
        )


def _values(cell: Cell) -> dict[str, Any]:
    hist_s, hist_b = cell.histograms()
    return {
        "count": cell.count,
        "seconds": cell.seconds,
        "business_seconds": cell.business,
        "met": cell.met,
        "hist_s": histogram.dumps(hist_s),
        "hist_b": histogram.dumps(hist_b),
    }


def reset(session: Session, *, zone: str) -> None:
    """Empty the rollup and put its watermark back to 0, its days in ``zone`` (the reports
    read raw facts until the sweep has caught up again)."""
    if _pg(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    st = session.scalars(select(MetricRollupState).where(MetricRollupState.id == 1)).one()
    session.execute(delete(MetricRollup))
    st.last_id = 0
    st.pending = []
    st.zone = zone
    session.flush()


def sweep(sessions: sessionmaker[Session], now: datetime) -> int:
    """The worker's sweep: one batch in one short transaction."""
    with transaction(sessions) as session:
        return catch_up(session, batch=BATCH if _pg(session) else SQLITE_BATCH)


REBUILD_BATCH = 250_000  # a month's row is rewritten once per batch: few, large batches


def rebuild(sessions: sessionmaker[Session], *, zone: str, batch: int = REBUILD_BATCH) -> int:
    """Empty the rollup and build it again from every fact, a batch per transaction (the
    command ``atende reports rollup --rebuild``); how many facts were rolled up."""
    with transaction(sessions) as session:
        reset(session, zone=zone)
    return catch_up_all(sessions, batch=batch)


def catch_up_all(sessions: sessionmaker[Session], *, batch: int = REBUILD_BATCH) -> int:
    """Sweep batch after batch until the rollup has caught up; how many facts were added."""
    total = 0
    while True:
        with transaction(sessions) as session:
            done = catch_up(session, batch=batch)
        total += done
        if done < batch:
            return total
