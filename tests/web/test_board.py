"""The supervisor board (web/board.py): per queue the waiting tickets and the longest wait, the
ones at SLA risk and breached; per person the presence and the load; supervisors only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient

from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy

from .conftest import PASSWORD
from .test_agenda import _login

V1 = "/api/v1"
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 12:00 in São Paulo


def _ticket(admin: Any, queue_id: int, subject: str, **extra: Any) -> int:
    r = admin.post(
        f"{V1}/tickets",
        json={"subject": subject, "body": "...", "queue_id": queue_id,
              "requester": {"email": "c@example.com"}, **extra},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_board_shows_each_queues_line_and_each_persons_presence(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    cal = make_calendar(admin, weekly_hours=EVERY_DAY_HOURS)
    make_policy(admin, "Padrão", cal, first_response_minutes=30, warning_percent=50)
    queue = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    admin.post(f"{V1}/queues", json={"name": "Financeiro"})
    paula = make_user("agent", name="Paula", queue_ids=[queue])
    assert admin.post(f"{V1}/pause-reasons", json={"name": "Almoço"}).status_code == 201
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        _ticket(admin, queue, "Sem acesso")  # waits 2 h: breached
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        _ticket(admin, queue, "Boleto")  # 20 of 30 min: warned (at 15), not due
        _ticket(admin, queue, "NF-e", assignee_id=paula.id)
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        assert (
            paula.put(
                f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Almoço"}
            ).status_code
            == 200
        )
    boss = make_user("supervisor", name="Sol", password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        _login(client, boss)
        page = client.get("/board")
    assert page.status_code == 200
    html = page.text
    row = html[html.index(f'data-queue="{queue}"') :].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:]]
    assert cells[0] == "3"  # unresolved
    assert f'href="/tickets?view=unassigned&amp;queue={queue}">2</a>' in row  # waiting, linked
    assert "2 horas" in row  # the longest wait
    assert '<span class="badge sla-warning">2</span>' in row  # Boleto and NF-e
    assert '<span class="badge sla-breached">1</span>' in row
    person = html[html.index(f'data-person="{paula.id}"') :].split("</tr>")[0]
    assert "Em pausa: Almoço" in person and "5 minutos" in person and ">1<" in person
    assert 'href="/board"' in html and "Painel da supervisão" in html


def test_agents_and_customers_have_no_board(client: TestClient, make_user: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    _login(client, agent)
    assert client.get("/board").status_code == 404
    assert 'href="/board"' not in client.get("/tickets").text
