"""Every metric of the report equals the value measured by hand on known histories (issue 19,
"done when"): tickets lived through the API with time-machine, and one imported with its
history; calendar and business time (Mon-Fri 08:00-18:00, São Paulo); a pause waiting for the
customer, a reopen, an automatic greeting (a bot's message) and internal notes that never count
as an agent's answer. Runs on SQLite and PostgreSQL (the statistics in Python and in SQL)."""

from __future__ import annotations

from typing import Any

from tests.reports.helpers import (
    World,
    agent_replies,
    at,
    build,
    change,
    customer_writes,
    expected,
    import_ticket,
    open_ticket,
    report,
)

H = 3600


def live_the_week(w: World) -> dict[str, int]:
    a, b, admin = w.a, w.b, w.admin
    # T1, chat. Mon 09:00 the customer opens it; the greeting answers at once (a bot: no answer)
    t1 = open_ticket(w, at(16, 9, 0))
    change(admin, t1, at(16, 9, 10), assignee_id=a.id)  # TMA starts
    agent_replies(a, t1, at(16, 9, 20), public=False)  # an internal note: no answer
    agent_replies(a, t1, at(16, 9, 30))  # TMPR 30 min; TMR 30 min; waited 30 min
    change(a, t1, at(16, 9, 40), status="pending_customer")  # TMA pauses
    customer_writes(w, t1, at(16, 10, 40))  # back to open: paused 1 h
    customer_writes(w, t1, at(16, 10, 45))
    agent_replies(a, t1, at(16, 11, 0))  # TMR 20 min and 15 min; waited 20 min more
    change(a, t1, at(16, 11, 30), status="resolved")
    customer_writes(w, t1, at(16, 17, 0))  # reopened: a new cycle from 17:00
    agent_replies(a, t1, at(17, 9, 0))  # overnight: 16 h, 2 business hours
    change(a, t1, at(17, 10, 0), status="resolved")
    # T2, e-mail: Bruno takes it, answers, solves it at the first contact
    t2 = open_ticket(w, at(16, 14, 0), channel="email")
    change(b, t2, at(16, 14, 10), assignee_id=b.id)
    agent_replies(b, t2, at(16, 14, 20))
    change(b, t2, at(16, 15, 0), status="resolved")
    # T3: the customer writes at 16:00; only the greeting answers until Tuesday 08:30
    t3 = open_ticket(w, at(16, 16, 0))
    agent_replies(a, t3, at(17, 8, 30))
    # T5: opened Monday 22:30 in São Paulo (Tuesday 01:30 UTC), never answered
    t5 = open_ticket(w, at(16, 22, 30))
    # T4: imported with its history (Wednesday), assigned to Alice
    t4 = import_ticket(
        w,
        at(19, 12, 0),
        {
            "subject": "Impressora",
            "external_id": "legado-4",
            "channel": "phone",
            "queue_id": w.queue,
            "contact_id": w.contact,
            "assignee_id": a.id,
            "created_at": at(18, 10, 0).isoformat(),
            "status": "resolved",
            "resolved_at": at(18, 11, 0).isoformat(),
            "messages": [
                {
                    "author": "contact",
                    "body": "A impressora parou",
                    "created_at": at(18, 10, 0).isoformat(),
                },
                {
                    "author": "agent",
                    "agent_id": a.id,
                    "body": "Reinicie, por favor",
                    "created_at": at(18, 10, 15).isoformat(),
                },
                {
                    "author": "contact",
                    "body": "Não voltou",
                    "created_at": at(18, 10, 30).isoformat(),
                },
                {
                    "author": "agent",
                    "agent_id": a.id,
                    "body": "Troquei o driver",
                    "created_at": at(18, 10, 50).isoformat(),
                },
            ],
        },
    )
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


# The spans measured by hand: (calendar seconds, business seconds), per agent.
ALICE = {
    # T1 first cycle 09:00->09:30; T1 reopen 17:00->Tue 09:00 (18:00-17:00 + 09:00-08:00);
    # T3 Mon 16:00->Tue 08:30 (2 h + 30 min of business time); T4 10:00->10:15
    "tmpr": [(1800, 1800), (16 * H, 2 * H), (16 * H + 30 * 60, 2 * H + 30 * 60), (900, 900)],
    # each customer message to the reply that answered it
    "tmr": [
        (1800, 1800),
        (1200, 1200),
        (900, 900),
        (16 * H, 2 * H),
        (16 * H + 30 * 60, 2 * H + 30 * 60),
        (900, 900),
        (1200, 1200),
    ],
    # the waits of a resolution cycle, summed: T1 30 + 20 min; T1 reopen 16 h; T4 15 + 20 min
    "tme": [(3000, 3000), (16 * H, 2 * H), (2100, 2100)],
    # assignment (09:10) to resolution (11:30) less the hour waiting for the customer;
    # the reopen 17:00 -> Tue 10:00; T4 10:00 -> 11:00
    "tma": [(4800, 4800), (17 * H, 3 * H), (H, H)],
    # creation or reopen to resolution
    "resolution": [(9000, 9000), (17 * H, 3 * H), (H, H)],
}
BRUNO = {
    "tmpr": [(1200, 1200)],
    "tmr": [(1200, 1200)],
    "tme": [(1200, 1200)],
    "tma": [(3000, 3000)],
    "resolution": [(H, H)],
}


def _expect(spans: list[tuple[int, int]]) -> dict[str, Any]:
    return expected([s[0] for s in spans], [s[1] for s in spans])


def test_every_metric_equals_the_hand_measured_value(admin: Any, make_user: Any) -> None:
    w = build(admin, make_user)
    live_the_week(w)
    rows = report(admin, group_by="agent")
    by_agent = {r["group"]["agent_id"]: r for r in rows}
    for agent, spans in ((w.a.id, ALICE), (w.b.id, BRUNO)):
        for metric, values in spans.items():
            assert by_agent[agent][metric] == _expect(values), (agent, metric)
    # the whole team: every span of both agents
    (team,) = report(admin)
    assert team["group"] == {}
    for metric in ALICE:
        assert team[metric] == _expect(ALICE[metric] + BRUNO[metric]), metric
    # created 5 (4 opened, 1 imported), resolved 4 (T1 twice, T2, T4), reopened once;
    # open at the end: T3 and T5
    assert team["counts"] == {"created": 5, "resolved": 4, "reopened": 1, "backlog": 2}
    assert team["reopen_rate_percent"] == 25.0
    # first-contact resolution: T2 only (T1 and T4 needed two replies)
    assert team["fcr_percent"] == 33.33
    assert team["csat"] is None and team["sla_met_percent"] == {}


def test_days_are_the_customer_time_zone_and_filters_narrow(admin: Any, make_user: Any) -> None:
    w = build(admin, make_user)
    t = live_the_week(w)
    days = {r["group"]["day"]: r for r in report(admin, group_by="day")}
    # T5 was opened on Monday 22:30 in São Paulo (Tuesday in UTC): it counts on Monday
    assert {d: r["counts"]["created"] for d, r in days.items()} == {
        "2026-11-16": 4,
        "2026-11-17": 0,
        "2026-11-18": 1,
    }
    assert days["2026-11-17"]["tmpr"] == _expect([(16 * H, 2 * H), (16 * H + 1800, 2 * H + 1800)])
    # in UTC, Monday's 22:30 is Tuesday
    utc = {
        r["group"]["day"]: r["counts"]["created"] for r in report(admin, group_by="day", tz="UTC")
    }
    assert utc == {"2026-11-16": 3, "2026-11-17": 1, "2026-11-18": 1}
    weeks = report(admin, group_by="week")
    assert [r["group"]["week"] for r in weeks] == ["2026-11-16"]
    # filters: the channel, the imported ticket's one
    (phone,) = report(admin, channel="phone")
    assert phone["resolution"] == _expect([(H, H)]) and phone["counts"]["created"] == 1
    (email,) = report(admin, channel="email", group_by="channel")
    assert email["group"] == {"channel": "email"} and email["tmpr"] == _expect([(1200, 1200)])
    # a tag added to T2 narrows to its facts
    change(admin, t["t2"], at(19, 13, 0), tags=["vip"])
    (vip,) = report(admin, tag="vip")
    assert vip["tma"] == _expect([(3000, 3000)]) and vip["tmpr"] == _expect([(1200, 1200)])
    (org,) = report(admin, organization_id=w.org, plan_id=w.plan, queue_id=w.queue)
    assert org["counts"]["created"] == 5
    (nothing,) = report(admin, queue_id=w.other_queue)
    assert nothing["tmpr"] is None and nothing["counts"]["created"] == 0
    # the period: only Tuesday's facts
    (tuesday,) = report(admin, **{"from": at(17, 0).isoformat(), "to": at(18, 0).isoformat()})
    assert tuesday["resolution"] == _expect([(17 * H, 3 * H)])
    assert tuesday["counts"]["backlog"] == 2  # T3 and T5 (T1 was solved again on Tuesday)
