"""The rollup path of the metrics report agrees with the facts (decision 0029): over a generated
quarter of facts, through the API, ``precision=estimate`` (the rollup, with the raw facts of
the partial days at the edges and above the watermark) against ``precision=exact`` (the facts
themselves): counts, means, % SLA met, FCR, reopen rate and backlog equal; medians and p90s
within the histogram's relative error. A fact written after the sweep is in the next report
at once; the rebuild gives the same answers; another zone's days fall back to the facts."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atende.domain import histogram
from atende.reports import merged, rollup
from atende.reports.models import MetricFact
from tests.reports.helpers import V1, ok
from tests.support.queries import assert_query_count, count_queries

SP = ZoneInfo("America/Sao_Paulo")
START = datetime(2026, 1, 1, tzinfo=SP)
DAYS = 100  # January to April 10th: three whole months and some days
URL = f"{V1}/reports/metrics"
DURATIONS = ("tmpr", "tme", "tmr", "tma", "resolution")
COUNTED = ("created", "reopened", "fcr", "sla:first_response", "sla:resolution")
CHANNELS = ("chat", "email", "whatsapp")
STATS = ("median_s", "p90_s", "median_business_s", "p90_business_s")


def generated(ticket_id: int, agents: tuple[int, ...], n: int, seed: int) -> list[MetricFact]:
    """``n`` facts spread over the quarter, with short (exact) and long spans, every dimension
    (and none: no agent, no queue, no plan)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ended = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        metric = rng.choice(DURATIONS + COUNTED)
        seconds = rng.choice((rng.randrange(64), rng.randrange(64, 5 * 86400)))
        out.append(
            MetricFact(
                ticket_id=ticket_id,
                metric=metric,
                agent_id=rng.choice((*agents, None)),
                queue_id=rng.choice((1, 2, None)),
                organization_id=7,
                plan_id=rng.choice((3, None)),
                channel=rng.choice(CHANNELS),
                started_at=ended - timedelta(seconds=seconds),
                ended_at=ended,
                seconds=seconds,
                business_seconds=seconds // 3,
                met=rng.random() < 0.6 if metric in COUNTED else None,
            )
        )
    return out


@pytest.fixture
def quarter(db: Session, admin: Any, make_user: Any) -> dict[str, Any]:
    ticket = ok(admin.post(f"{V1}/tickets", json={"subject": "Medido"}), 201)
    agent = make_user("agent", name="Alice")
    db.add_all(generated(ticket["id"], (agent.id, agent.id + 1000), 1500, seed=19))
    db.flush()
    assert rollup.catch_up(db) > 1500
    return {"ticket": ticket["id"], "agent": agent}


def answer(who: Any, precision: str, **params: Any) -> dict[str, Any]:
    got: dict[str, Any] = ok(who.get(URL, params={**params, "precision": precision}))
    return got


def assert_agree(estimated: dict[str, Any], exact: dict[str, Any]) -> None:
    assert estimated["estimated"] is True and exact["estimated"] is False
    assert [r["group"] for r in estimated["rows"]] == [r["group"] for r in exact["rows"]]
    for got, want in zip(estimated["rows"], exact["rows"], strict=True):
        for same in ("sla_met_percent", "counts", "reopen_rate_percent", "fcr_percent"):
            assert got[same] == want[same], (same, got["group"])
        for metric in DURATIONS:
            g, w = got[metric], want[metric]
            if w is None:
                assert g is None
                continue
            assert g["count"] == w["count"]
            for mean in ("mean_s", "mean_business_s"):
                assert g[mean] == pytest.approx(w[mean], abs=0.002), (metric, mean)
            for stat in STATS:
                bound = histogram.RELATIVE_ERROR * w[stat] + 0.002
                assert abs(g[stat] - w[stat]) <= bound, (got["group"], metric, stat, g, w)


WHOLE = {"from": START.isoformat(), "to": (START + timedelta(days=DAYS)).isoformat()}
EDGES = {
    "from": datetime(2026, 1, 5, 13, 30, tzinfo=SP).isoformat(),
    "to": datetime(2026, 3, 20, 7, 15, tzinfo=SP).isoformat(),
}
SHAPES: list[dict[str, Any]] = [
    {},
    {"group_by": "queue"},
    {"group_by": "agent"},
    {"group_by": "channel"},
    {"group_by": "plan"},
    {"group_by": "day"},
    {"group_by": "week"},
    {"group_by": "month"},
    {"channel": "email"},
    {"queue_id": 2, "group_by": "queue"},
    {"plan_id": 3, "group_by": "month"},
]


@pytest.mark.parametrize("period", [WHOLE, EDGES], ids=["whole-days", "partial-edges"])
def test_the_rollup_and_the_facts_agree(
    quarter: dict[str, Any], admin: Any, period: dict[str, Any]
) -> None:
    for shape in SHAPES:
        params = {**period, **shape}
        assert_agree(answer(admin, "estimate", **params), answer(admin, "exact", **params))


def test_an_agent_reads_their_own_figures_from_the_rollup(quarter: dict[str, Any]) -> None:
    agent = quarter["agent"]
    for shape in ({}, {"group_by": "month"}):
        params = {**EDGES, **shape}
        mine = answer(agent, "estimate", **params)
        assert_agree(mine, answer(agent, "exact", **params))
        assert mine["rows"][0]["counts"]["created"] > 0


def test_auto_reads_the_facts_when_they_are_few(quarter: dict[str, Any], admin: Any) -> None:
    auto = answer(admin, "auto", **WHOLE)
    assert auto == answer(admin, "exact", **WHOLE)
    assert auto["estimated"] is False


def test_what_the_rollup_cannot_answer_is_read_from_the_facts(
    quarter: dict[str, Any], admin: Any
) -> None:
    """Organization and tag, two dimensions at once, days in another zone: exact."""
    for shape in (
        {"organization_id": 7},
        {"group_by": "organization"},
        {"group_by": "agent", "queue_id": 1},
        {"group_by": "day", "tz": "UTC"},
    ):
        got = answer(admin, "estimate", **WHOLE, **shape)
        assert got == answer(admin, "exact", **WHOLE, **shape)
        assert got["estimated"] is False


def test_a_fact_written_after_the_sweep_is_in_the_next_report(
    quarter: dict[str, Any], db: Session, admin: Any
) -> None:
    before = answer(admin, "estimate", **WHOLE)["rows"][0]
    db.add_all(generated(quarter["ticket"], (5,), 40, seed=7))
    db.flush()
    after = answer(admin, "estimate", **WHOLE)
    exact = answer(admin, "exact", **WHOLE)
    assert_agree(after, exact)
    assert after["rows"][0] != before
    assert rollup.catch_up(db) == 40
    assert_agree(answer(admin, "estimate", **WHOLE), exact)


def test_the_rebuild_gives_the_same_answers_and_takes_the_zone(
    quarter: dict[str, Any], admin: Any, session_factory: sessionmaker[Session]
) -> None:
    incremental = [answer(admin, "estimate", **EDGES, **shape) for shape in SHAPES]
    assert rollup.rebuild(session_factory, zone="America/Sao_Paulo", batch=400) > 1500
    assert [answer(admin, "estimate", **EDGES, **s) for s in SHAPES] == incremental
    rollup.rebuild(session_factory, zone="UTC")
    by_utc_day: Callable[[str], dict[str, Any]] = lambda p: answer(  # noqa: E731
        admin, p, **WHOLE, group_by="day", tz="UTC"
    )
    assert_agree(by_utc_day("estimate"), by_utc_day("exact"))
    assert answer(admin, "estimate", **WHOLE, group_by="day")["estimated"] is False


def test_the_rollup_path_reads_a_fixed_number_of_statements(
    quarter: dict[str, Any], db: Session, admin: Any
) -> None:
    """However long the period or many its days, the same statements: the rollup's state, its
    rows, their histograms (in one read: those of the period's last month, which the sweep
    still adds to, and those of the earlier rows not merged in this process yet — the second
    report of the same period reads fewer), the facts at the two partial edges and above the
    watermark, the backlog's (and on PostgreSQL the shared lock); an idle sweep only looks."""
    pg = db.get_bind().dialect.name == "postgresql"
    merged.forget()
    counts = []
    read_hist: list[int] = []  # the histograms' statement's length: its number of ids
    for days in (3, 40, DAYS):
        start = START + timedelta(hours=6)  # partial days at both edges
        params = {"from": start.isoformat(), "to": (start + timedelta(days=days)).isoformat()}
        for _cold_then_warm in range(2):
            with count_queries(db) as counted:
                assert answer(admin, "estimate", **params, group_by="queue")["estimated"]
            counts.append(counted.count)
            read_hist.append(max(len(s) for s in counted.statements if "hist_s" in s))
    # the caller, CSAT by queue, and the rollup path's own (state, rows, histograms, the facts
    # at both edges and above the watermark, the backlog's rows and facts at its edges and above
    # the watermark); PostgreSQL: the lock too
    assert counts == [13 if pg else 12] * 6, counts
    # three days of January: all in the last month, read each time; 40 and 100 days: the months
    # before the last are merged once, and read no more
    assert read_hist[0] == read_hist[1]
    assert read_hist[3] < read_hist[2] and read_hist[5] < read_hist[4], read_hist
    st = rollup.state(db)
    assert st is not None
    # PostgreSQL: the lock and the horizon too, and while ids are pending (the ids the suite's
    # rolled-back tests took) a look at them and at the transaction's id
    with assert_query_count(db, (6 if st.pending else 4) if pg else 2):
        assert rollup.catch_up(db) == 0
