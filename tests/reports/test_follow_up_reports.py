"""Seed 001's follow-up reports: the on-call weekly review (how many on-call tickets of the
week were reviewed, which are left) and the tickets sent to other departments still open, as
JSON and exports."""

from __future__ import annotations

from typing import Any

import time_machine

from tests.reports.helpers import V1, at, ok
from tests.sla.helpers import make_calendar

T = f"{V1}/tickets"


def test_the_on_call_review_report_counts_what_is_left(admin: Any, make_user: Any) -> None:
    cal = make_calendar(admin)  # Mon-Fri 08:30-12:00 and 13:30-18:00
    queue = ok(admin.post(f"{V1}/queues", json={"name": "Special Service", "calendar_id": cal}),
               201)  # fmt: skip
    body = {"subject": "PDV parado", "body": "Não liga.", "queue_id": queue["id"]}
    with time_machine.travel(at(22, 0, 34), tick=False):  # a Sunday night: on call
        night = ok(admin.post(T, json=body), 201)
        night2 = ok(admin.post(T, json={**body, "subject": "Impressora"}), 201)
    with time_machine.travel(at(17, 10), tick=False):  # Tuesday, open hours
        ok(admin.post(T, json=body), 201)
    supervisor = make_user("supervisor", name="Sara")
    with time_machine.travel(at(23, 9), tick=False):  # the Monday after: last week by default
        ok(supervisor.put(f"{T}/{night['id']}/on-call-review"))
        week = ok(supervisor.get(f"{V1}/reports/on-call"))
        csv = supervisor.get(f"{V1}/reports/on-call", params={"format": "csv"})
    assert (week["total"], week["reviewed"], week["not_reviewed"]) == (2, 1, 1)
    assert week["start"] == "2026-11-16T03:00:00Z"  # Monday 00:00 in São Paulo
    left = [r["ticket_id"] for r in week["rows"] if r["reviewed_at"] is None]
    assert left == [night2["id"]]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ticket_id;subject;queue_id;status;created_at;reviewed_at;reviewed_by_id"
    assert len(lines) == 3
    agent = make_user("agent")
    assert agent.get(f"{V1}/reports/on-call").status_code == 403


def test_the_tickets_sent_to_other_departments_still_open(admin: Any, make_user: Any) -> None:
    support = ok(admin.post(f"{V1}/queues", json={"name": "Suporte"}), 201)["id"]
    finance = ok(admin.post(f"{V1}/queues", json={"name": "Financeiro"}), 201)["id"]
    agent = make_user("agent", name="Paulo", queue_ids=[support])
    with time_machine.travel(at(16, 9), tick=False):
        sent = ok(admin.post(T, json={"subject": "Boleto em dobro", "queue_id": support}), 201)
        done = ok(admin.post(T, json={"subject": "Segunda via", "queue_id": support}), 201)
        for t in (sent, done):
            move = {"queue_id": finance, "reason": "Assunto do financeiro"}
            ok(agent.post(f"{T}/{t['id']}/transfer", json=move))
    with time_machine.travel(at(16, 10), tick=False):
        ok(admin.patch(f"{T}/{done['id']}", json={"status": "resolved"}))
    with time_machine.travel(at(17, 9), tick=False):
        report = ok(agent.get(f"{V1}/reports/forwarded"))
        xlsx = agent.get(f"{V1}/reports/forwarded", params={"format": "xlsx"})
    assert report["total"] == 1
    (row,) = report["rows"]
    assert row["ticket_id"] == sent["id"] and row["queue_id"] == finance
    assert row["open_for_s"] == 24 * 3600 and row["away_for_s"] == 24 * 3600
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
