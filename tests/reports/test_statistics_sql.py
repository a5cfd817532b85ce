"""The report's statistics over random facts equal the standard library's: on PostgreSQL they
are computed in SQL (``percentile_cont``), on SQLite in Python; both against one reference."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.reports import service
from atende.reports.models import MetricFact

T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
facts = st.lists(
    st.tuples(
        st.sampled_from(("tmpr", "tmr", "resolution")),
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from((1, 2, None)),
    ),
    min_size=1,
    max_size=60,
)


def reference(values: list[int]) -> tuple[float, float, float]:
    p90 = (
        statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    )
    return statistics.mean(values), float(statistics.median(values)), float(p90)


@pytest.fixture
def ticket_id(admin: Any) -> int:
    res = admin.post("/api/v1/tickets", json={"subject": "Medido"})
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


@given(facts)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_sql_and_python_statistics_agree_with_the_reference(
    db: Session, ticket_id: int, rows: list[tuple[str, int, int, int | None]]
) -> None:
    """The facts the ticket's creation wrote (agent None, ``created``) do not interfere."""
    nested = db.begin_nested()
    try:
        db.add_all(
            MetricFact(
                ticket_id=ticket_id,
                metric=m,
                agent_id=a,
                channel="chat",
                started_at=T0,
                ended_at=T0 + timedelta(minutes=i),
                seconds=s,
                business_seconds=b,
            )
            for i, (m, s, b, a) in enumerate(rows)
        )
        db.flush()
        actor = Actor(user_id=None, role="admin", name="Admin")
        filters = service.Filters(start=T0, end=T0 + timedelta(days=1), group_by="agent")
        answer = service.metrics_report(db, actor=actor, filters=filters)
        by_agent = {r["group"]["agent_id"]: r for r in answer["rows"]}
        for agent in {a for *_, a in rows}:
            for metric in ("tmpr", "tmr", "resolution"):
                mine = [(s, b) for m, s, b, a in rows if m == metric and a == agent]
                got = by_agent[agent][metric]
                if not mine:
                    assert got is None
                    continue
                cal = reference([s for s, _ in mine])
                bus = reference([b for _, b in mine])
                assert got["count"] == len(mine)
                for key, want in zip(("mean_s", "median_s", "p90_s"), cal, strict=True):
                    assert abs(got[key] - want) <= 0.001 + 1e-9 * want, (key, got, want)
                for key, want in zip(
                    ("mean_business_s", "median_business_s", "p90_business_s"), bus, strict=True
                ):
                    assert abs(got[key] - want) <= 0.001 + 1e-9 * want, (key, got, want)
    finally:
        nested.rollback()
