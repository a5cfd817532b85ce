"""The console's follow-up habits (#15): the on-call review marked from the ticket page
(seed 001), the plan's on-site visits in the customer panel (seed 002 items 35-38), and the
inbox views "waiting for another department" and "in other departments" (seed 001: follow
what you sent on until it is resolved)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from fastapi.testclient import TestClient

from tests.sla.helpers import make_calendar

from .conftest import PASSWORD, form_token

V1 = "/api/v1"
SP = ZoneInfo("America/Sao_Paulo")
SUNDAY = datetime(2026, 11, 15, 0, 34, tzinfo=SP)


def test_a_supervisor_marks_an_on_call_ticket_reviewed_from_its_page(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    cal = make_calendar(admin)
    queue = admin.post(f"{V1}/queues", json={"name": "Special", "calendar_id": cal}).json()
    with time_machine.travel(SUNDAY, tick=False):
        body = {"subject": "PDV parado", "body": "Não liga.", "queue_id": queue["id"]}
        night = admin.post(f"{V1}/tickets", json=body).json()
    assert night["on_call"]
    boss = make_user("supervisor", name="Sara", password=PASSWORD)
    web_login(boss)

    def review(page: str, reviewed: str) -> int:
        answer = client.post(
            f"/tickets/{night['id']}/on-call-review",
            data={"csrf_token": form_token(page), "reviewed": reviewed}, follow_redirects=False,
        )  # fmt: skip
        return int(answer.status_code)

    page = client.get(f"/tickets/{night['id']}").text
    assert "Marcar como revisado" in page
    assert review(page, "yes") == 303
    ticket = admin.get(f"{V1}/tickets/{night['id']}").json()
    assert ticket["on_call_reviewed_by_id"] == boss.id
    page = client.get(f"/tickets/{night['id']}").text
    assert re.search(r"Revisado [^<]* por Sara", page) and "Desfazer a revisão" in page
    assert review(page, "no") == 303
    assert admin.get(f"{V1}/tickets/{night['id']}").json()["on_call_reviewed_at"] is None
    # an agent sees no button and may not mark
    client.cookies.clear()
    agent = make_user("agent", password=PASSWORD, queue_ids=[queue["id"]])
    web_login(agent)
    page = client.get(f"/tickets/{night['id']}").text
    assert "Marcar como revisado" not in page
    assert review(page, "yes") == 403
    assert admin.get(f"{V1}/tickets/{night['id']}").json()["on_call_reviewed_at"] is None


def test_the_customer_panel_says_whether_the_plan_includes_on_site_visits(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    queue = admin.post(f"{V1}/queues", json={"name": "Suporte"}).json()["id"]
    prime = admin.post(f"{V1}/plans", json={"name": "Prime", "includes_field_desk": True})
    light = admin.post(
        f"{V1}/plans", json={"name": "Light", "field_desk_discount_percent": 20}
    )  # fmt: skip
    tickets = {}
    for name, plan in (("Padaria", prime), ("Farmácia", light)):
        org = admin.post(f"{V1}/organizations", json={"name": name, "plan_id": plan.json()["id"]})
        contact = admin.post(f"{V1}/contacts", json={
            "name": f"Cliente {name}", "email": f"c{plan.json()['id']}@x.example",
            "organization_id": org.json()["id"]}).json()  # fmt: skip
        tickets[name] = admin.post(f"{V1}/tickets", json={
            "subject": "Visita", "body": "Preciso de um técnico.", "queue_id": queue,
            "contact_id": contact["id"]}).json()["id"]  # fmt: skip
    web_login(make_user("agent", password=PASSWORD, queue_ids=[queue]))
    assert "Incluídas no plano" in client.get(f"/tickets/{tickets['Padaria']}").text
    page = client.get(f"/tickets/{tickets['Farmácia']}").text
    assert "Pagas, com o desconto de 20% do plano" in page


def test_the_views_of_tickets_waiting_on_or_sent_to_other_departments(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    n1 = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    fin = admin.post(f"{V1}/queues", json={"name": "Financeiro"}).json()["id"]
    paulo = make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[n1])

    def ticket(subject: str) -> int:
        return int(admin.post(f"{V1}/tickets", json={
            "subject": subject, "body": "...", "queue_id": n1, "assignee_id": paulo.id,
        }).json()["id"])  # fmt: skip

    sent = ticket("Boleto em dobro")
    waiting = ticket("Licença pendente")
    kept = ticket("Impressora")
    assert paulo.post(f"{V1}/tickets/{sent}/transfer",
                      json={"queue_id": fin, "reason": "cobrança"}).is_success  # fmt: skip
    assert paulo.patch(f"{V1}/tickets/{waiting}", json={"status": "pending_internal"}).is_success
    web_login(paulo)

    def listed(view: str) -> str:
        page = client.get("/tickets", params={"view": view})
        assert page.status_code == 200
        return page.text

    elsewhere = listed("elsewhere")
    assert "Em outros setores" in elsewhere
    assert "Boleto em dobro" in elsewhere and "Impressora" not in elsewhere
    internal = listed("internal")
    assert "Licença pendente" in internal and "Boleto em dobro" not in internal
    assert kept  # still Paulo's, in his queue: in neither view
    assert "Impressora" not in internal


def test_a_cancellation_is_transferred_with_its_retention_attempt_from_the_page(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    n1 = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    clientes = admin.post(f"{V1}/queues", json={"name": "Clientes"}).json()["id"]
    ticket = admin.post(f"{V1}/tickets", json={
        "subject": "Quero cancelar", "body": "Vamos fechar a loja.", "queue_id": n1,
        "type": "cancellation"}).json()  # fmt: skip
    web_login(make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[n1]))
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "Tentativa de retenção" in page and 'name="retention_offer"' in page
    moved = client.post(f"/tickets/{ticket['id']}/transfer", data={
        "csrf_token": form_token(page), "queue": str(clientes), "reason": "cancelamento",
        "retention_offer": "Dois meses com 50% de desconto", "retention_outcome": "declined",
    }, follow_redirects=False)  # fmt: skip
    assert moved.status_code == 303
    assert admin.get(f"{V1}/tickets/{ticket['id']}").json()["queue_id"] == clientes
    staff_page = client.get(f"/tickets/{ticket['id']}")
    assert staff_page.status_code == 200  # Paulo follows what he transferred: he still reads it
    assert "tentou reter o cliente: a oferta foi recusada" in staff_page.text
    assert 'name="retention_offer"' not in staff_page.text  # recorded: not asked again
