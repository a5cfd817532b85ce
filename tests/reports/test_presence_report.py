"""The presence report (seed 004): per agent and local day, time online, paused per reason and
offline, from the presence changes the agents made through the API."""

from __future__ import annotations

from typing import Any

import time_machine

from tests.reports.helpers import V1, at, ok
from tests.routing.presence_support import add_reasons, set_presence

H = 3600


def test_online_paused_per_reason_and_offline_per_day(admin: Any, make_user: Any) -> None:
    add_reasons(admin, "Almoço", "Café")
    agent = make_user("agent", name="Alice")
    other = make_user("agent", name="Bruno")
    for when, status, reason in (
        (at(16, 8), "online", None),
        (at(16, 12), "paused", "Almoço"),
        (at(16, 13), "online", None),
        (at(16, 15), "paused", "Café"),
        (at(16, 15, 15), "online", None),
        (at(16, 18), "offline", None),
        (at(17, 23), "online", None),  # across midnight: an hour on Tuesday, one on Wednesday
        (at(18, 1), "offline", None),
    ):
        with time_machine.travel(when, tick=False):
            set_presence(agent, status, reason)
    params = {"from": at(16, 0).isoformat(), "to": at(18, 0).isoformat()}
    with time_machine.travel(at(18, 12), tick=False):
        rows = ok(admin.get(f"{V1}/reports/presence", params={**params, "agent_id": agent.id}))
        mine = ok(agent.get(f"{V1}/reports/presence", params={**params, "agent_id": other.id}))
        everyone = ok(admin.get(f"{V1}/reports/presence", params=params))
        csv = admin.get(f"{V1}/reports/presence", params={**params, "format": "csv"})
    monday, tuesday = rows["rows"]
    assert monday == {
        "agent_id": agent.id, "day": "2026-11-16",
        "online_s": 4 * H + 2 * H + 2 * H + 45 * 60,
        "paused_s": H + 15 * 60, "paused_by_reason": {"Almoço": H, "Café": 15 * 60},
        "offline_s": 24 * H - (8 * H + 45 * 60) - (H + 15 * 60),
    }  # fmt: skip
    assert tuesday == {
        "agent_id": agent.id, "day": "2026-11-17", "online_s": H, "paused_s": 0,
        "paused_by_reason": {}, "offline_s": 23 * H,
    }  # fmt: skip
    # an agent reads their own presence only, whoever they ask for
    assert {r["agent_id"] for r in mine["rows"]} == {agent.id}
    # everyone: Bruno never came online, offline all along
    bruno = [r for r in everyone["rows"] if r["agent_id"] == other.id]
    assert [r["offline_s"] for r in bruno] == [24 * H, 24 * H]
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert header == "agent_id;day;online_s;paused_s;paused_Almoço_s;paused_Café_s;offline_s"
