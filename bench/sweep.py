"""The SLA sweep at 1,000,000 open tickets: its cost follows the due tickets, not the open ones.

    .venv/bin/python bench/sweep.py                       # creates, fills, measures, drops
    .venv/bin/python bench/sweep.py --keep                # keeps the database for a next run

A scratch PostgreSQL database (``--url``, default ``$ATENDE_BENCH_POSTGRES_URL`` or
postgresql://postgres@127.0.0.1:5432/bench_sweep) is created and migrated, then filled with:

* 999,000 open tickets whose ``next_sla_deadline`` lies in the future (1 h to 30 days ahead),
  written set-based with COPY: minimal valid rows (no timeline, no stored clocks), because the
  sweep must never read them, and that is the point of the measure;
* 1,000 due tickets made by the app's own code: a 24x7 calendar and an SLA policy (first
  response 60 min, warning at 80 %, resolution 8 h), each ticket created through
  ``tickets.service.create_ticket`` 1 h 40 min to 3 h ago (queue with a supervisor, assignee,
  the requester's opening message) and swept once 50 min after its creation, which announced its
  warning (priority raised, assignee and supervisor notified). Each now has a first response
  due in the past: the sweep at "now" announces exactly one breach per ticket.

Measured, on the ticket table at full size:

1. ``sla.repository.due_ticket_ids(limit=1000)``: the query that finds the due tickets (first
   run, then the median of repeated runs), with its plan (``EXPLAIN (ANALYZE, BUFFERS)`` of the
   very statement the function sends), which must use ``ix_tickets_next_sla_deadline``;
2. the sweep of every due ticket, as one worker does it: rounds of
   ``workflows.sweeps.sla_deadlines(sessions, now, threads=--threads)`` (each the query above,
   then at most 1,000 due tickets re-evaluated, ``--threads`` at once, each in its own
   transaction: row lock, clocks recomputed from its history, breach event, escalation,
   notifications, rules, next deadline moved on) until nothing is due; ms, tickets/s and SQL
   statements per ticket. ``--due 10000`` is the burst of issue 14 (Monday 08:00);
3. the same query once nothing is due any more.

With ``--keep`` the database stays; a later ``--keep`` run reuses its 999,000 tickets, retires
the previous due tickets (closed, no deadline) and makes 1,000 new ones. Everything is bounded:
on a busy 2-core VM a whole run takes about 3 minutes (a minute each for the COPY with its index
rebuild and for the 1,000 tickets made through the app, under a minute for the sweep).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from atende.agents.models import User
from atende.auth.actor import SYSTEM
from atende.calendars import service as calendar_service
from atende.customers.models import Contact
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, normalise_url, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember
from atende.sla import policies as sla_policies
from atende.sla import repository as sla_repository
from atende.sla.models import TicketSlaTarget
from atende.tickets.models import Ticket
from atende.tickets.schemas import TicketIn
from atende.workflows import sweeps
from atende.workflows import tickets as ticket_workflows
from atende.workflows.settle import Settler

console = Console(stderr=True, soft_wrap=True)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_sweep"
BULK_SUBJECT = "Bench sweep: open ticket"
DUE_SUBJECT = "Bench sweep: due ticket"
CALENDAR = "Bench sweep 24x7"
POLICY = "Bench sweep SLA"
QUEUE = "Bench sweep queue"
INDEX = "ix_tickets_next_sla_deadline"
COPY_BATCH = 50_000
SERVICE_BATCH = 100
EVERY_DAY = {
    day: [["00:00", "24:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
BULK_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "custom_fields",
    "created_at",
    "updated_at",
    "status_changed_at",
    "next_sla_deadline",
    "timeline_count",
)


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


def _libpq_urls(url: str) -> tuple[str, str, str]:
    """(server URL on the ``postgres`` database, the database's URL, its name) for psycopg."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    name = parsed.database
    if not name:
        raise SystemExit(f"no database name in {url!r}")
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    return server, parsed.render_as_string(hide_password=False), name


def _exists(server: str, name: str) -> bool:
    with psycopg.connect(server, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


@dataclass(frozen=True)
class Reference:
    queue_id: int
    agent_ids: list[int]
    contact_id: int
    policy_id: int


def _ensure_reference(sessions: sessionmaker[Session], now: datetime) -> Reference:
    """The calendar, SLA policy, queue (a supervisor and agents) and requester (created once)."""
    with transaction(sessions) as session:
        policy = sla_repository.policy_by_name(session, POLICY)
        if policy is None:
            cal = calendar_service.create_calendar(
                session,
                actor=SYSTEM,
                data={"name": CALENDAR, "timezone": "UTC", "weekly_hours": EVERY_DAY},
                now=now,
            )
            policy = sla_policies.create_policy(
                session,
                actor=SYSTEM,
                data={
                    "name": POLICY,
                    "calendar_id": cal.id,
                    "conditions": {},
                    "first_response_minutes": 60,
                    "resolution_minutes": 480,
                    "warning_percent": 80,
                },
                now=now,
            )
            session.execute(insert(Queue), [{"name": QUEUE, "created_at": now}])
            queue_id = session.execute(select(Queue.id).where(Queue.name == QUEUE)).scalar_one()
            people = [("supervisor", "supervisor@sweep.bench.example")] + [
                ("agent", f"agent{i}@sweep.bench.example") for i in range(4)
            ]
            session.execute(
                insert(User),
                [
                    {"name": f"Bench {email}", "email": email, "role": role, "active": True}
                    for role, email in people
                ],
            )
            users = session.execute(
                select(User.id).where(User.email.like("%@sweep.bench.example"))
            ).scalars()
            session.execute(
                insert(QueueMember), [{"queue_id": queue_id, "user_id": u} for u in users]
            )
            session.execute(
                insert(Contact),
                [{"name": "Bench requester", "email": "requester@sweep.bench.example"}],
            )
        policy_id = policy.id
        queue_id = session.execute(select(Queue.id).where(Queue.name == QUEUE)).scalar_one()
        agent_ids = list(
            session.execute(
                select(User.id)
                .where(User.email.like("agent%@sweep.bench.example"))
                .order_by(User.id)
            ).scalars()
        )
        contact_id = session.execute(
            select(Contact.id).where(Contact.email == "requester@sweep.bench.example")
        ).scalar_one()
    return Reference(queue_id, agent_ids, contact_id, policy_id)


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8}/s"),
        TimeElapsedColumn(),
        console=console,
    )


def _other_columns() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The ticket columns a bulk row leaves to their default: the NOT NULL ones with a constant
    default get it (the app's value for a new ticket); nullable ones stay NULL."""
    names: list[str] = []
    values: list[Any] = []
    for column in Ticket.__table__.columns:
        if column.name in BULK_COLUMNS or column.nullable:
            continue
        default = column.default
        if default is None or not getattr(default, "is_scalar", False):
            raise SystemExit(
                f"tickets.{column.name} is NOT NULL without a constant default: "
                "bench/sweep.py must set it"
            )
        value = default.arg
        names.append(column.name)
        values.append(json.dumps(value) if isinstance(value, dict | list) else value)
    return tuple(names), tuple(values)


def _bulk_rows(
    rng: random.Random, first_id: int, count: int, now: datetime, tail: tuple[Any, ...]
) -> Iterator[tuple[Any, ...]]:
    """Open tickets created over the last 10 days (ids grow with time), each with its next
    deadline 1 h to 30 days ahead."""
    span = 10 * 86400
    for k in range(count):
        created = now - timedelta(seconds=span - span * k // count)
        deadline = now + timedelta(seconds=rng.randrange(3600, 30 * 86400))
        yield (
            first_id + k, BULK_SUBJECT, "open", "normal", "email", "{}",
            created, created, created, deadline, 0, *tail,
        )  # fmt: skip


SECONDARY_INDEXES = text(
    "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
    "JOIN pg_class c ON c.oid = x.indexrelid "
    "WHERE x.indrelid = 'tickets'::regclass "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
    "ORDER BY c.relname"
)


def load_bulk(engine: Engine, count: int, now: datetime) -> float:
    """COPY ``count`` open, not-due tickets (ids from 1, growing with ``created_at``); returns
    the seconds taken.

    One transaction: the ticket table's secondary indexes are dropped, the rows copied in
    batches, then every index is built again from its own definition (``pg_get_indexdef``), as
    a bulk load does; an interrupted load leaves nothing behind."""
    rng = random.Random(2026)
    other_names, other_values = _other_columns()
    columns = ", ".join(BULK_COLUMNS + other_names)
    rows = _bulk_rows(rng, 1, count, now, other_values)
    began = time.monotonic()
    done = 0
    with engine.begin() as conn:
        indexes = [(str(n), str(d)) for n, d in conn.execute(SECONDARY_INDEXES)]
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for index_name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{index_name}"'))
        raw = conn.connection.driver_connection
        assert raw is not None
        with _progress("open tickets (COPY)") as progress:
            task = progress.add_task("copy", total=count, rate="-")
            while done < count:
                n = min(COPY_BATCH, count - done)
                with raw.cursor() as cur, cur.copy(f"COPY tickets ({columns}) FROM STDIN") as copy:
                    for _ in range(n):
                        copy.write_row(next(rows))
                done += n
                rate = done / max(time.monotonic() - began, 1e-9)
                progress.update(task, advance=n, rate=f"{rate:,.0f}")
        with _progress("ticket indexes") as progress:
            task = progress.add_task("index", total=len(indexes), rate="-")
            for _, definition in indexes:
                conn.execute(text(definition))
                progress.update(task, advance=1)
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                "(SELECT max(id) FROM tickets))"
            )
        )
    return time.monotonic() - began


def retire_previous(engine: Engine, now: datetime) -> int:
    """On a reused database: close the due tickets of earlier runs, and push any bulk ticket
    whose deadline came meanwhile 30 days on (so exactly the new due tickets are due)."""
    with engine.begin() as conn:
        retired = conn.execute(
            update(Ticket)
            .where(Ticket.subject == DUE_SUBJECT, Ticket.status != "closed")
            .values(status="closed", closed_at=now, next_sla_deadline=None)
        ).rowcount
        conn.execute(
            text(
                "UPDATE tickets SET next_sla_deadline = next_sla_deadline + interval '30 days' "
                "WHERE subject = :subject AND next_sla_deadline <= :soon"
            ),
            {"subject": BULK_SUBJECT, "soon": now + timedelta(hours=1)},
        )
    return int(retired)


def make_due(
    sessions: sessionmaker[Session], ref: Reference, count: int, now: datetime
) -> list[int]:
    """``count`` tickets made by the app 3 h to 1 h 40 min ago, swept once 50 min after their
    creation (warning announced): their first response is due now (60 min, 24x7)."""
    start = now - timedelta(hours=3)
    step = timedelta(minutes=80) / max(count, 1)
    ids: list[int] = []
    began = time.monotonic()
    with _progress("due tickets (app)") as progress:
        task = progress.add_task("due", total=count, rate="-")
        for lo in range(0, count, SERVICE_BATCH):
            batch = range(lo, min(lo + SERVICE_BATCH, count))
            with transaction(sessions) as session:
                made = []
                for i in batch:
                    created = (start + step * i).replace(microsecond=0)
                    data = TicketIn(
                        subject=DUE_SUBJECT,
                        body="A nota fiscal não sai. Podem verificar?",
                        channel="email",
                        contact_id=ref.contact_id,
                        queue_id=ref.queue_id,
                        assignee_id=ref.agent_ids[i % len(ref.agent_ids)],
                    )
                    made.append(
                        ticket_workflows.create_ticket(
                            session, actor=SYSTEM, data=data, now=created
                        ).ticket
                    )
            with transaction(sessions) as session:
                for ticket in made:
                    swept = session.get(Ticket, ticket.id, with_for_update=True)
                    assert swept is not None
                    Settler(session, now=swept.created_at + timedelta(minutes=50)).refresh(swept)
            ids += [t.id for t in made]
            rate = len(ids) / max(time.monotonic() - began, 1e-9)
            progress.update(task, advance=len(batch), rate=f"{rate:,.0f}")
    return ids


# --------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------


DUMP = os.environ.get("ATENDE_BENCH_STATEMENTS")  # a file: every statement, one a line


class StatementLog:
    """Counts the SQL statements an engine sends, and keeps the due-tickets query."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.due_query: tuple[str, Any] | None = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
    ) -> None:
        self.count += 1
        if DUMP:
            with open(DUMP, "a") as out:
                out.write(" ".join(statement.split())[:300] + "\n")
        if "next_sla_deadline <=" in statement and "ORDER BY" in statement:
            self.due_query = (statement, parameters)


@contextmanager
def timed() -> Iterator[list[float]]:
    out: list[float] = []
    began = time.perf_counter()
    yield out
    out.append((time.perf_counter() - began) * 1000)


def sweep_all(sessions: sessionmaker[Session], now: datetime, threads: int) -> int:
    """Sweep as a worker does, round after round (each at most ``SLA_SWEEP_LIMIT`` tickets),
    until nothing is due: a burst of more deadlines than one round takes."""
    swept = 0
    while True:
        done = int(sweeps.sla_deadlines(sessions, now, threads=threads))
        swept += done
        if done == 0:
            return swept


def due_query_ms(sessions: sessionmaker[Session], now: datetime, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        with transaction(sessions) as session:
            began = time.perf_counter()
            sla_repository.due_ticket_ids(session, now=now, limit=sweeps.SLA_SWEEP_LIMIT)
            times.append((time.perf_counter() - began) * 1000)
    return times


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        return [str(r[0]) for r in rows]


@dataclass
class Figures:
    open_tickets: int = 0
    due_before: int = 0
    load_s: float = 0.0
    due_setup_s: float = 0.0
    query_first_ms: float = 0.0
    query_median_ms: float = 0.0
    query_min_ms: float = 0.0
    sweep_ms: float = 0.0
    swept: int = 0
    statements_per_ticket: float = 0.0
    breached: int = 0
    due_after: int = 0
    query_empty_median_ms: float = 0.0
    plan: tuple[str, ...] = ()


def measure(
    engine: Engine, sessions: sessionmaker[Session], repeats: int, profile: int, threads: int
) -> Figures:
    figures = Figures()
    log = StatementLog(engine)
    now = utcnow()
    with engine.connect() as conn:
        figures.open_tickets = conn.execute(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.status.in_(("new", "open", "pending_customer", "pending_internal")))
        ).scalar_one()
        figures.due_before = conn.execute(
            select(func.count()).select_from(Ticket).where(Ticket.next_sla_deadline <= now)
        ).scalar_one()

    first = due_query_ms(sessions, now, 1)
    warm = due_query_ms(sessions, now, repeats)
    figures.query_first_ms = first[0]
    figures.query_median_ms = statistics.median(warm)
    figures.query_min_ms = min(warm)
    assert log.due_query is not None, "the due-tickets query was not seen"
    figures.plan = tuple(explain(engine, *log.due_query))

    before = log.count
    with timed() as took:
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU: waits on the server left out
            figures.swept = profiler.runcall(sweep_all, sessions, now, threads)
        else:
            figures.swept = sweep_all(sessions, now, threads)
    figures.sweep_ms = took[0]
    figures.statements_per_ticket = (log.count - before) / max(figures.swept, 1)
    if profile:
        console.print(f"sweep profile (cProfile inflates the time), top {profile} by cumulative:")
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)

    with engine.connect() as conn:
        figures.breached = conn.execute(
            select(func.count())
            .select_from(TicketSlaTarget)
            .join(Ticket, Ticket.id == TicketSlaTarget.ticket_id)
            .where(
                Ticket.subject == DUE_SUBJECT,
                Ticket.status != "closed",
                TicketSlaTarget.kind == "first_response",
                TicketSlaTarget.state == "breached",
            )
        ).scalar_one()
    with transaction(sessions) as session:
        figures.due_after = len(sla_repository.due_ticket_ids(session, now=now, limit=1000))
    figures.query_empty_median_ms = statistics.median(due_query_ms(sessions, now, repeats))
    return figures


def report(figures: Figures, *, due: int) -> None:
    out = Console(soft_wrap=True)
    out.print(f"open tickets: {figures.open_tickets:,}; due at 'now': {figures.due_before:,}")
    out.print(
        f"setup: COPY {figures.load_s:.1f} s; {due:,} due tickets through the app "
        f"{figures.due_setup_s:.1f} s"
    )
    out.print(
        f"(i)  due_ticket_ids(limit=1000): first {figures.query_first_ms:.1f} ms, "
        f"median {figures.query_median_ms:.2f} ms, min {figures.query_min_ms:.2f} ms"
    )
    rate = figures.swept / (figures.sweep_ms / 1000) if figures.sweep_ms else 0.0
    out.print(
        f"(ii) sweep: {figures.swept:,} tickets in {figures.sweep_ms:,.0f} ms = "
        f"{rate:,.0f} tickets/s ({figures.sweep_ms / max(figures.swept, 1):.1f} ms and "
        f"{figures.statements_per_ticket:.1f} SQL statements per ticket); "
        f"first responses breached: {figures.breached:,}; still due: {figures.due_after}"
    )
    out.print(
        f"(iii) due_ticket_ids with nothing due: median {figures.query_empty_median_ms:.2f} ms"
    )
    out.print("EXPLAIN (ANALYZE, BUFFERS) of the due-tickets query:")
    for line in figures.plan:
        out.print(f"    {line}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ATENDE_BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets in all")
    parser.add_argument("--due", type=int, default=1_000, help="of which due now")
    parser.add_argument("--repeats", type=int, default=25, help="runs of the due query")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile the sweep: top N functions"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and reuse a kept one)"
    )
    parser.add_argument(
        "--threads", type=int, default=sweeps.SWEEP_THREADS,
        help="tickets one worker handles at once (ATENDE_SWEEP_THREADS)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not 0 < args.due <= args.tickets:
        parser.error("--due must be at least 1 and at most --tickets")
    if not args.url.startswith(("postgresql", "postgres:")):
        parser.error("a PostgreSQL URL is needed")
    server, url, name = _libpq_urls(args.url)
    bulk = args.tickets - args.due

    reuse = False
    if args.keep and _exists(server, name):
        probe = make_engine(url)
        try:
            upgrade(probe)
            with probe.connect() as conn:
                have = conn.execute(
                    select(func.count()).select_from(Ticket).where(Ticket.subject == BULK_SUBJECT)
                ).scalar_one()
            reuse = have == bulk
            if not reuse:
                console.print(f"{name} holds {have:,} bulk tickets, not {bulk:,}: made anew")
        finally:
            probe.dispose()
    if not reuse:
        _drop(server, name)
        _create(server, name)

    engine = make_engine(url)
    figures = Figures()
    began = time.monotonic()
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        now = utcnow()
        ref = _ensure_reference(sessions, now)
        if reuse:
            retired = retire_previous(engine, now)
            console.print(f"reusing {name}: {bulk:,} open tickets; {retired:,} earlier due retired")
        elif bulk:
            figures.load_s = load_bulk(engine, bulk, now)
        with timed() as took:
            make_due(sessions, ref, args.due, utcnow())
        figures.due_setup_s = took[0] / 1000
        console.print("VACUUM ANALYZE tickets ...")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tickets"))
        measured = measure(engine, sessions, args.repeats, args.profile, args.threads)
        measured.load_s, measured.due_setup_s = figures.load_s, figures.due_setup_s
        figures = measured
    finally:
        engine.dispose()
        if not args.keep:
            _drop(server, name)
    with psycopg.connect(server) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    console.print(
        f"PostgreSQL {row[0] if row else '?'}, CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"run took {time.monotonic() - began:.0f} s" + ("" if args.keep else f"; {name} dropped")
    )
    report(figures, due=args.due)
    uses_index = any(INDEX in line for line in figures.plan)
    if not uses_index:
        console.print(f"[red]the plan does not use {INDEX}[/red]")
    ok = uses_index and figures.swept == args.due and figures.due_after == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
