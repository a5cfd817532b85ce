"""A burst of SLA deadlines (issue 14: Monday 08:00) swept by one worker several tickets at a
time, and by two workers at once: every breach is announced and escalated exactly once, and
nothing stays due (PostgreSQL: the threads and the workers each hold their own connection)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker
from atende.notifications.models import Notification
from atende.sla import repository as sla_repository
from atende.tickets.models import TicketEvent
from tests.conftest import test_db_kind
from tests.jobs.test_reliability import Scratch, scratch_db  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.skipif(
        test_db_kind() != "postgres",
        reason="PostgreSQL only: SQLite has one writer, so its sweep handles one ticket at a time",
    ),
    pytest.mark.slow,
]

_spec = importlib.util.spec_from_file_location(
    "sweep_bench", Path(__file__).resolve().parents[2] / "bench" / "sweep.py"
)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["sweep_bench"] = bench
_spec.loader.exec_module(bench)


def test_a_burst_is_swept_in_threads_by_two_workers_and_announced_once(
    scratch_db: Callable[[str], Scratch],  # noqa: F811
) -> None:
    db = scratch_db("burst")
    now = utcnow().replace(microsecond=0)
    setup = make_sessionmaker(db.engine)
    ref = bench._ensure_reference(setup, now)
    due = bench.make_due(setup, ref, 60, now)  # each warned already; the breach is due now
    engines = [make_engine(db.url), make_engine(db.url)]  # two workers, one pool each
    swept: list[int] = []
    try:
        threads = [
            threading.Thread(
                target=lambda e=engine: swept.append(bench.sweep_all(make_sessionmaker(e), now, 4))
            )
            for engine in engines
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for engine in engines:
            engine.dispose()
    assert sum(swept) == len(due)  # each ticket handled by exactly one of them
    with setup() as session:
        breaches = Counter(
            session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "sla_breached"))
        )
        assert breaches == Counter({ticket_id: 1 for ticket_id in due})
        assert sla_repository.due_ticket_ids(session, now=now, limit=10) == []
        per_key = session.execute(
            select(Notification.user_id, Notification.key, func.count())
            .where(Notification.kind == "sla_breach")
            .group_by(Notification.user_id, Notification.key)
        ).all()
        assert per_key and all(n == 1 for _u, _k, n in per_key)
        assert len({k for _u, k, _n in per_key}) == len(due)
