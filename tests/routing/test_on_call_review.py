"""The weekly review of tickets opened on call (seed 001; #15 item 4): supervisors mark each
reviewed (who and when, on the ticket and its timeline), take the mark back, and list those
still to review."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy.orm import Session

from tests.sla.helpers import make_calendar
from tests.support.queries import count_queries

T = "/api/v1/tickets"
SP = ZoneInfo("America/Sao_Paulo")
SUNDAY = datetime(2026, 11, 15, 0, 34, tzinfo=SP)  # the Special Service is closed
TUESDAY = datetime(2026, 11, 17, 10, 0, tzinfo=SP)  # open
MONDAY_AFTER = datetime(2026, 11, 23, 9, 0, tzinfo=SP)  # the weekly review
# statements of a mark: the version of the copies, the ticket locked and changed, its timeline
# event, the settle loop (its stream event, tags, queue, clocks, the reports' measuring state:
# read, nothing to write) and the answer (its tags)
MARK_COST = 12


def _world(admin: Any, make_user: Any) -> tuple[dict[str, Any], ...]:
    cal = make_calendar(admin)
    queue = admin.post("/api/v1/queues", json={"name": "Special Service", "calendar_id": cal})
    assert queue.status_code == 201, queue.text
    body = {"subject": "PDV parado", "body": "Não liga.", "queue_id": queue.json()["id"]}
    with time_machine.travel(SUNDAY, tick=False):
        night = admin.post(T, json=body).json()
        night2 = admin.post(T, json={**body, "subject": "Impressora"}).json()
    with time_machine.travel(TUESDAY, tick=False):
        day = admin.post(T, json=body).json()
    assert night["on_call"] and night2["on_call"] and not day["on_call"]
    return night, night2, day


def _ids(res: Any) -> list[int]:
    assert res.status_code == 200, res.text
    return sorted(t["id"] for t in res.json()["items"])


def test_a_supervisor_marks_an_on_call_ticket_reviewed_and_the_lists_follow(
    admin: Any, make_user: Any
) -> None:
    night, night2, day = _world(admin, make_user)
    supervisor = make_user("supervisor", name="Sara Supervisora")
    todo = {"on_call": "true", "reviewed": "false"}
    assert _ids(supervisor.get(T, params=todo)) == [night["id"], night2["id"]]
    assert _ids(supervisor.get(T, params={"on_call": "false"})) == [day["id"]]

    with time_machine.travel(MONDAY_AFTER, tick=False):
        res = supervisor.put(f"{T}/{night['id']}/on-call-review")
        assert res.status_code == 200, res.text
        assert res.json()["on_call_reviewed_at"] == "2026-11-23T12:00:00Z"
        assert res.json()["on_call_reviewed_by_id"] == supervisor.id
        week = {"start": "2026-11-09T00:00:00-03:00", "end": "2026-11-23T00:00:00-03:00"}
        assert _ids(supervisor.get("/api/v1/on-call", params={**week, "reviewed": "false"})) == [
            night2["id"]
        ]
        assert _ids(supervisor.get("/api/v1/on-call", params={**week, "reviewed": "true"})) == [
            night["id"]
        ]
    with time_machine.travel(MONDAY_AFTER + timedelta(hours=1), tick=False):
        again = supervisor.put(f"{T}/{night['id']}/on-call-review")  # keeps the first mark
        assert again.json()["on_call_reviewed_at"] == "2026-11-23T12:00:00Z"
    assert _ids(supervisor.get(T, params=todo)) == [night2["id"]]
    assert _ids(supervisor.get(T, params={"on_call": "true", "reviewed": "true"})) == [night["id"]]
    shown = admin.get(f"{T}/{night['id']}").json()
    assert shown["on_call_reviewed_by_id"] == supervisor.id

    timeline = admin.get(f"{T}/{night['id']}/timeline").json()
    marks = [e for e in timeline if (e.get("kind") or "").startswith("on_call_review")]
    assert [(e["kind"], e["actor"], e["actor_user_id"], e["public"]) for e in marks] == [
        ("on_call_reviewed", "Sara Supervisora", supervisor.id, False)
    ]
    assert marks[0]["after"] == {
        "reviewed_at": "2026-11-23T12:00:00+00:00",
        "reviewed_by_id": supervisor.id,
    }


def test_the_mark_is_taken_back_on_the_timeline_too(admin: Any, make_user: Any) -> None:
    night, night2, _ = _world(admin, make_user)
    assert admin.put(f"{T}/{night['id']}/on-call-review").status_code == 200
    res = admin.delete(f"{T}/{night['id']}/on-call-review")
    assert res.status_code == 200, res.text
    assert res.json()["on_call_reviewed_at"] is None
    assert res.json()["on_call_reviewed_by_id"] is None
    assert admin.delete(f"{T}/{night['id']}/on-call-review").status_code == 200  # nothing new
    kinds = [e.get("kind") for e in admin.get(f"{T}/{night['id']}/timeline").json()]
    assert [k for k in kinds if k and k.startswith("on_call_review")] == [
        "on_call_reviewed",
        "on_call_review_removed",
    ]
    todo = {"on_call": "true", "reviewed": "false"}
    assert _ids(admin.get(T, params=todo)) == [night["id"], night2["id"]]


def test_only_supervisors_review_and_only_tickets_opened_on_call(
    admin: Any, make_user: Any
) -> None:
    night, _, day = _world(admin, make_user)
    agent = make_user("agent")
    res = agent.put(f"{T}/{night['id']}/on-call-review")
    assert res.status_code == 403 and res.json()["code"] == "forbidden"
    res = admin.put(f"{T}/{day['id']}/on-call-review")
    assert res.status_code == 409, res.text
    assert res.json()["errors"][0]["field"] == "on_call"
    assert admin.put(f"{T}/{10**15}/on-call-review").status_code == 404
    assert admin.get(f"{T}/{day['id']}").json()["on_call_reviewed_at"] is None


def test_the_contact_sees_no_review_on_the_timeline(admin: Any, make_user: Any) -> None:
    cal = make_calendar(admin)
    queue = admin.post("/api/v1/queues", json={"name": "Special", "calendar_id": cal}).json()
    contact = admin.post(
        "/api/v1/contacts", json={"name": "Lia", "email": "lia@padaria.com.br"}
    ).json()
    portal = make_user("contact", contact_id=contact["id"])
    body = {"subject": "PDV", "body": "x", "queue_id": queue["id"], "contact_id": contact["id"]}
    with time_machine.travel(SUNDAY, tick=False):
        made = admin.post(T, json=body).json()
    assert admin.put(f"{T}/{made['id']}/on-call-review").status_code == 200
    kinds = [e.get("kind") for e in portal.get(f"{T}/{made['id']}/timeline").json()]
    assert not [k for k in kinds if k and k.startswith("on_call")]


def test_a_mark_costs_a_fixed_number_of_statements(admin: Any, make_user: Any, db: Session) -> None:
    night, night2, _ = _world(admin, make_user)
    admin.put(f"{T}/{night['id']}/on-call-review")  # warm: the per-process copies
    with count_queries(db) as counted:
        res = admin.put(f"{T}/{night2['id']}/on-call-review")
    assert res.status_code == 200, res.text
    if os.environ.get("DUMP"):
        print(counted.listing())
    assert counted.count == MARK_COST, counted.listing()
