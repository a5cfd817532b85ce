"""The report of replies sent despite the reply check's warnings (replycheck/report.py,
``GET /api/v1/reports/reply-check``): per agent, replies sent, warned, % and by kind; the warned
replies themselves with their phrases; each reader's reach; CSV for the supervisors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

V1 = "/api/v1"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
URL = f"{V1}/reports/reply-check"
PERIOD = {"from": "2026-03-01T00:00:00-03:00", "to": "2026-03-08T00:00:00-03:00"}


def _ticket(admin: Any, queue: int) -> int:
    made = admin.post(f"{V1}/tickets", json={"subject": "PDV", "body": "...", "queue_id": queue})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _reply(agent: Any, ticket: int, body: str, minutes: int) -> None:
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        sent = agent.post(f"{V1}/tickets/{ticket}/messages", json={"body": body})
        assert sent.status_code == 201, sent.text


def test_replies_sent_with_warnings_per_agent_and_each_readers_reach(
    admin: Any, make_user: Any
) -> None:
    n1 = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    fin = admin.post(f"{V1}/queues", json={"name": "Financeiro"}).json()["id"]
    ana = make_user("agent", name="Ana", queue_ids=[n1])
    bruno = make_user("agent", name="Bruno", queue_ids=[fin])
    t1, t2 = _ticket(admin, n1), _ticket(admin, fin)
    _reply(ana, t1, "Vou estar verificando o seu caso.", 1)  # gerund, no closing question
    _reply(ana, t1, "Resolvido: reinstale o driver. Ficou alguma dúvida?", 2)  # clean
    _reply(bruno, t2, "O financeiro vai liberar hoje sem falta. Posso ajudar em algo mais?", 3)
    _reply(bruno, t2, "Boleto reenviado. Ficou alguma dúvida?", 4)  # clean

    whole = admin.get(URL, params=PERIOD)
    assert whole.status_code == 200, whole.text
    body = whole.json()
    rows = {r["agent_id"]: r for r in body["rows"]}
    assert rows[ana.id]["replies"] == 2 and rows[ana.id]["warned"] == 1
    assert rows[ana.id]["warned_percent"] == 50.0
    assert rows[ana.id]["by_kind"] == {"gerund": 1, "promise": 0, "closing_question": 1}
    assert rows[bruno.id]["by_kind"]["promise"] == 1 and rows[bruno.id]["warned"] == 1
    assert [i["ticket_id"] for i in body["items"]] == [t2, t1]  # newest first
    phrases = [f["phrase"] for f in body["items"][1]["findings"]]
    assert "Vou estar verificando" in phrases

    mine = ana.get(URL, params=PERIOD).json()
    assert [r["agent_id"] for r in mine["rows"]] == [ana.id]
    assert ana.get(URL, params={**PERIOD, "agent_id": bruno.id}).json()["rows"] == []
    boss = make_user("supervisor", queue_ids=[fin])
    assert [r["agent_id"] for r in boss.get(URL, params=PERIOD).json()["rows"]] == [bruno.id]
    contact = make_user("contact")
    assert contact.get(URL, params=PERIOD).status_code == 403

    csv = admin.get(URL, params={**PERIOD, "format": "csv"})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ticket_number;subject;agent_id;at;kinds;phrases"
    assert len(lines) == 3 and "gerund" in lines[2]
    backwards = admin.get(URL, params={"from": PERIOD["to"], "to": PERIOD["from"]})
    assert backwards.status_code == 422
