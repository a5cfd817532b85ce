"""The rollup on PostgreSQL under real concurrency (committed transactions in a scratch
database): two workers sweeping at once while writers commit facts out of id order (and some
roll back) count each fact exactly once; a fact whose transaction took its id before a later
one committed is rolled up when it commits, and the report reads it at once meanwhile."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from atende.auth.actor import Actor
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.reports import rollup
from atende.reports import service as reports
from atende.reports.models import MetricFact, MetricRollup
from tests.conftest import scratch_postgres, test_db_kind

pytestmark = pytest.mark.skipif(
    test_db_kind() != "postgres",
    reason="PostgreSQL only: ids handed out before commit, concurrent sweeps (SQLite: one writer)",
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ADMIN = Actor(user_id=None, role="admin", name="Admin")
INSERT = text(
    "INSERT INTO metric_facts (ticket_id, metric, agent_id, queue_id, organization_id, plan_id,"
    " channel, started_at, ended_at, seconds, business_seconds, met) VALUES (:ticket, :metric,"
    " :agent, :queue, NULL, NULL, 'chat', :ended, :ended, :seconds, :seconds, :met)"
    " RETURNING id"
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with scratch_postgres(database_url, "rollup") as url:
        eng = make_engine(url)
        upgrade(eng)
        with eng.begin() as conn:
            for ticket in range(1, 5):
                conn.execute(
                    text(
                        "INSERT INTO tickets (id, subject, status, priority, channel,"
                        " custom_fields, created_at, updated_at, priority_class, queue_front,"
                        " on_call, timeline_count) VALUES (:id, 'Medido', 'open', 'normal',"
                        " 'chat', '{}', now(), now(), 0, false, false, 0)"
                    ),
                    {"id": ticket},
                )
        yield eng
        eng.dispose()


def _fact(conn: Any, rng: random.Random, ticket: int) -> int:
    """A ticket change first (the transaction has its xid), then the fact, as the settle loop
    (one ticket per writer: writers do not wait for each other's ticket row)."""
    conn.execute(
        text("UPDATE tickets SET timeline_count = timeline_count + 1 WHERE id = :id"),
        {"id": ticket},
    )
    ended = T0 + timedelta(seconds=rng.randrange(40 * 86400))
    return int(
        conn.execute(
            INSERT,
            {"ticket": ticket, "agent": rng.choice((1, 2, None)), "ended": ended,
             "queue": rng.choice((1, None)),
             "seconds": rng.randrange(10**6), "met": rng.random() < 0.5,
             "metric": rng.choice(("tmpr", "tmr", "created", "sla:first_response"))},
        ).scalar_one()
    )  # fmt: skip


def _report(sessions: sessionmaker[Session], precision: str) -> dict[str, Any]:
    with transaction(sessions) as session:
        filters = reports.Filters(
            start=T0 - timedelta(days=1), end=T0 + timedelta(days=60), group_by="agent",
            precision=precision,
        )  # fmt: skip
        return reports.metrics_report(session, actor=ADMIN, filters=filters)


def _counts(answer: dict[str, Any]) -> list[Any]:
    return [
        (r["group"], r["counts"], r["sla_met_percent"], (r["tmpr"] or {}).get("count"),
         (r["tmr"] or {}).get("count"))
        for r in answer["rows"]
    ]  # fmt: skip


def _rolled(sessions: sessionmaker[Session]) -> dict[str, tuple[int, int]]:
    """Per dimension (and the whole desk), the facts and seconds the daily rows add up."""
    r = MetricRollup
    with transaction(sessions) as session:
        rows = session.execute(
            select(r.dim, func.sum(r.count), func.sum(r.seconds))
            .where(r.span == "day")
            .group_by(r.dim)
        )
        return {dim: (int(n), int(s)) for dim, n, s in rows}


def test_a_fact_committed_after_a_later_id_is_rolled_up_once(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    rng = random.Random(3)
    early = engine.connect()
    early.begin()
    held = _fact(early, rng, 1)  # takes its id, commits later
    with engine.begin() as conn:
        later = _fact(conn, rng, 2)
    assert later > held
    with transaction(sessions) as session:
        assert rollup.catch_up(session) == 1
    with transaction(sessions) as session:
        st = rollup.state(session)
        assert st is not None and st.last_id == later
        assert any(lo <= held <= hi for lo, hi, _m in st.pending)
    early.commit()
    early.close()
    # read at once: the pending id is read from the facts until the sweep takes it
    assert _counts(_report(sessions, "estimate")) == _counts(_report(sessions, "exact"))
    with transaction(sessions) as session:
        assert rollup.catch_up(session) == 1
        st = rollup.state(session)
        assert st is not None and not any(lo <= held <= hi for lo, hi, _m in st.pending)
    assert _rolled(sessions)[""] == (2, _seconds(sessions))
    assert _counts(_report(sessions, "estimate")) == _counts(_report(sessions, "exact"))


def _seconds(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.sum(MetricFact.seconds))) or 0)


def test_two_workers_sweeping_while_writers_commit_count_each_fact_once(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    writing = threading.Event()
    writing.set()
    errors: list[BaseException] = []
    pending_seen: list[int] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                with engine.connect() as conn, conn.begin() as tx:
                    for _ in range(rng.randrange(1, 4)):
                        _fact(conn, rng, seed + 1)
                    time.sleep(rng.random() * 0.01)  # commit out of id order
                    if rng.random() < 0.15:
                        tx.rollback()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sweeper() -> None:
        try:
            while writing.is_set():
                rollup.sweep(sessions, T0)
                with transaction(sessions) as session:
                    st = rollup.state(session)
                    pending_seen.append(len(st.pending) if st is not None else 0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    sweepers = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in (*writers, *sweepers):
        t.start()
    for t in writers:
        t.join()
    writing.clear()
    for t in sweepers:
        t.join()
    assert not errors, errors
    assert max(pending_seen) > 0  # ids were seen missing (in flight or rolled back)
    rollup.catch_up_all(sessions)
    with transaction(sessions) as session:
        facts = int(session.scalar(select(func.count()).select_from(MetricFact)) or 0)
    assert facts > 100
    total = (facts, _seconds(sessions))
    assert _rolled(sessions) == {dim: total for dim in ("", *rollup.DIMS)}
    assert _counts(_report(sessions, "estimate")) == _counts(_report(sessions, "exact"))
