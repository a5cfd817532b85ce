"""The metrics report over a year of facts: does it answer in ≤ 500 ms p95 at 1M tickets?

    .venv/bin/python bench/reports.py --db postgres                 # 1,000,000 tickets
    .venv/bin/python bench/reports.py --db sqlite --tickets 100000  # a smaller run
    .venv/bin/python bench/reports.py --db postgres --keep          # keep the database
    .venv/bin/python bench/reports.py --db postgres --reuse --keep  # time again, no load

A scratch database (PostgreSQL: ``--url``, default ``$ATENDE_BENCH_POSTGRES_URL`` or
postgresql://postgres@127.0.0.1:5432/bench_reports; SQLite: a temporary file) is migrated, then
filled in bulk (executemany of plain tuples, indexes dropped during the load and built again
after) with the facts of ``--tickets`` tickets opened one after the other over 2026 (ticket
``n`` about ``n/N`` of the way through the year, so fact ids follow time roughly, as they do
when facts are written as things happen): per ticket
``created``, ``tmpr``, one to three ``tmr``, and for 90 % of them ``resolution``, ``tma``,
``tme``, ``fcr`` and two SLA outcomes, over 40 agents, 8 queues, 4 channels and 500
organizations. The ticket rows themselves are minimal (the report never reads them).

Then the rollup is built from every fact (``reports.rollup.rebuild``, the command
``atende reports rollup --rebuild``; timed), and each shape is timed through
``reports.service.metrics_report`` as an admin (all facts) and as an agent (their own), on both
paths: ``precision="exact"`` (the facts; ``--exact-runs`` times) and ``precision="auto"`` (what
the API does by default: the rollup for large scopes; ``--runs`` times), median and p95 of the
runs. Shapes: the year; by queue; by agent; by day; a month by day; one agent's own year; one
organization's year. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from atende.auth.actor import Actor
from atende.db.engine import make_engine, make_sessionmaker
from atende.db.migrate import upgrade
from atende.reports import rollup
from atende.reports import service as reports

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench_reports"
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
INDEXES = (
    ("ix_metric_facts_metric_ended", "metric, ended_at"),
    ("ix_metric_facts_agent_metric_ended", "agent_id, metric, ended_at"),
    ("ix_metric_facts_queue_metric_ended", "queue_id, metric, ended_at"),
    ("ix_metric_facts_org_metric_ended", "organization_id, metric, ended_at"),
    ("ix_metric_facts_ticket", "ticket_id"),
)
CHANNELS = ("chat", "email", "whatsapp", "phone")


def scratch_postgres(url: str) -> None:
    u = make_url(url)
    admin = u.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_plain(admin), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
        c.execute(f'CREATE DATABASE "{u.database}"')


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def facts_of(n: int, tickets: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """The facts of ticket ``n`` of ``tickets`` (``ticket_id, metric, agent, queue, org, plan,
    channel, started, ended, seconds, business, met``)."""
    at_s = (n - 1) * 365 * 86400 // tickets + rng.randrange(3600)
    created = YEAR + timedelta(seconds=min(at_s, 365 * 86400 - 1))
    agent, queue = rng.randrange(1, 41), rng.randrange(1, 9)
    org = rng.randrange(1, 501)
    plan, channel = org % 6 + 1, CHANNELS[n % 4]
    first = rng.randrange(60, 4 * 3600)
    out = [
        (n, "created", None, queue, org, plan, channel, created, created, 0, 0, None),
        (n, "tmpr", agent, queue, org, plan, channel, created,
         created + timedelta(seconds=first), first, first // 3, None),
    ]  # fmt: skip
    at = created + timedelta(seconds=first)
    for _ in range(rng.randrange(1, 4)):
        wait = rng.randrange(60, 8 * 3600)
        at += timedelta(seconds=wait)
        out.append((n, "tmr", agent, queue, org, plan, channel, at - timedelta(seconds=wait),
                    at, wait, wait // 3, None))  # fmt: skip
    if rng.random() < 0.9:
        done = at + timedelta(seconds=rng.randrange(600, 3 * 86400))
        span = int((done - created).total_seconds())
        for metric, met in (("resolution", None), ("tma", None), ("tme", None),
                            ("fcr", rng.random() < 0.4), ("sla:first_response", first < 3600),
                            ("sla:resolution", span < 86400)):  # fmt: skip
            out.append((n, metric, agent, queue, org, plan, channel, created, done,
                        span, span // 3, met))  # fmt: skip
    return out


def fill(engine: Engine, tickets: int, chunk: int = 20_000) -> int:
    rng = random.Random(19)
    is_pg = engine.dialect.name == "postgresql"
    total = 0
    with engine.begin() as conn:
        for name, _ in INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        if is_pg:
            conn.execute(text("ALTER TABLE metric_facts DROP CONSTRAINT IF EXISTS "
                              "metric_facts_ticket_id_fkey"))  # fmt: skip
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for lo in range(1, tickets + 1, chunk):
            hi = min(tickets + 1, lo + chunk)
            ticket_rows = [(i, f"Bench {i}", "resolved", "normal", "chat", "{}", YEAR, YEAR,
                            0, False, False, 0) for i in range(lo, hi)]  # fmt: skip
            rows = [f for i in range(lo, hi) for f in facts_of(i, tickets, rng)]
            total += len(rows)
            if is_pg:
                with cur.copy(  # type: ignore[attr-defined]
                    "COPY tickets (id, subject, status, priority, channel, custom_fields, "
                    "created_at, updated_at, priority_class, queue_front, on_call, "
                    "timeline_count) FROM STDIN"
                ) as copy:
                    for r in ticket_rows:
                        copy.write_row(r)
                with cur.copy(  # type: ignore[attr-defined]
                    "COPY metric_facts (ticket_id, metric, agent_id, queue_id, "
                    "organization_id, plan_id, channel, started_at, ended_at, seconds, "
                    "business_seconds, met) FROM STDIN"
                ) as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                cur.executemany(
                    "INSERT INTO tickets (id, subject, status, priority, channel, custom_fields, "
                    "created_at, updated_at, priority_class, queue_front, on_call, "
                    "timeline_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*r[:6], _naive(r[6]), _naive(r[7]), *r[8:]) for r in ticket_rows],
                )
                cur.executemany(
                    "INSERT INTO metric_facts (ticket_id, metric, agent_id, queue_id, "
                    "organization_id, plan_id, channel, started_at, ended_at, seconds, "
                    "business_seconds, met) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*r[:7], _naive(r[7]), _naive(r[8]), *r[9:]) for r in rows],
                )
            raw.commit()
            print(f"  {hi - 1:>9,} tickets, {total:>10,} facts, "
                  f"{time.perf_counter() - started:6.1f} s", file=sys.stderr)  # fmt: skip
    finally:
        raw.close()
    with engine.begin() as conn:
        for name, cols in INDEXES:
            conn.execute(text(f"CREATE INDEX {name} ON metric_facts ({cols})"))
        conn.execute(text("ANALYZE"))
    print(f"  indexes built, {time.perf_counter() - started:6.1f} s", file=sys.stderr)
    return total


def _naive(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


CASES = (
    ("the year, all", "admin", {}, None, 365),
    ("the year by queue", "admin", {}, "queue", 365),
    ("the year by agent", "admin", {}, "agent", 365),
    ("the year by day", "admin", {}, "day", 365),
    ("a month by day", "admin", {}, "day", 30),
    ("the year, one agent's own", "agent", {}, None, 365),
    ("the year, one organization", "admin", {"organization_id": 42}, None, 365),
)


def build_rollup(engine: Engine) -> float:
    """Build the rollup from every fact, as ``atende reports rollup --rebuild``; seconds."""
    t0 = time.perf_counter()
    done = rollup.rebuild(make_sessionmaker(engine), zone=reports.DEFAULT_TIMEZONE)
    took = time.perf_counter() - t0
    print(f"  rollup built: {done:,} facts in {took:.1f} s", file=sys.stderr)
    return took


def _time(engine: Engine, case: tuple[Any, ...], precision: str, runs: int) -> Timing:
    label, role, extra, group, days = case
    sessions = make_sessionmaker(engine)
    actor = Actor(user_id=7 if role == "agent" else None, role=role, name=role)
    start = YEAR + timedelta(days=120) if days == 30 else YEAR
    filters = reports.Filters(start=start, end=start + timedelta(days=days), group_by=group,
                              precision=precision, **extra)  # fmt: skip
    times = []
    estimated = False
    for _ in range(runs):
        with sessions() as session:
            t0 = time.perf_counter()
            answer = reports.metrics_report(session, actor=actor, filters=filters)
            times.append((time.perf_counter() - t0) * 1000)
            estimated = answer["estimated"]
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if runs > 1 else times[0]
    print(f"  {label} ({precision}): median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms"
          f"{', estimated' if estimated else ''}", file=sys.stderr)  # fmt: skip
    return Timing(statistics.median(times), p95, estimated)


@dataclass(frozen=True)
class Timing:
    median: float
    p95: float
    estimated: bool


SKIPPED = Timing(float("nan"), float("nan"), False)  # --exact-runs 0


def measure(engine: Engine, runs: int, exact_runs: int) -> list[tuple[str, Timing, Timing]]:
    out = []
    for case in CASES:
        exact = _time(engine, case, "exact", exact_runs) if exact_runs else SKIPPED
        auto = _time(engine, case, "auto", runs)
        out.append((case[0], exact, auto))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--url", default=os.environ.get("ATENDE_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10, help="runs of the default (auto) path")
    parser.add_argument(
        "--exact-runs", type=int, default=3, help="runs of the exact path (0: not timed)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (SQLite: --file)")
    parser.add_argument(
        "--file", default=None, help="SQLite: the database file (default: a temporary one)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="a kept database, no load (the rollup is built again)",
    )
    parser.add_argument(
        "--keep-rollup", action="store_true", help="with --reuse: time the rollup as it is"
    )
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="atende-bench-reports-")
    if args.db == "postgres":
        url = args.url
        if not args.reuse:
            scratch_postgres(url)
    else:
        url = f"sqlite:///{args.file or tmp.name + '/reports.db'}"
    engine = make_engine(url)
    if args.reuse:
        with engine.connect() as conn:
            facts = int(conn.execute(text("SELECT count(*) FROM metric_facts")).scalar_one())
    else:
        upgrade(engine)
        facts = fill(engine, args.tickets)
    built = 0.0 if args.reuse and args.keep_rollup else build_rollup(engine)
    results = measure(engine, args.runs, args.exact_runs)
    print(f"\n{args.db}, {args.tickets:,} tickets, {facts:,} facts over 2026; rollup built in "
          f"{built:.0f} s; {platform.python_implementation()} {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print("| report | exact median ms | exact p95 ms | default median ms | default p95 ms "
          "| estimated |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---|")
    for label, exact, auto in results:
        print(f"| {label} | {exact.median:,.0f} | {exact.p95:,.0f} | {auto.median:,.0f} "
              f"| {auto.p95:,.0f} | {'yes' if auto.estimated else 'no'} |")  # fmt: skip
    engine.dispose()
    if args.db == "postgres" and not args.keep:
        u = make_url(url)
        admin = u.set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(_plain(admin), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
