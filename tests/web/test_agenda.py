"""The console's agenda and a ticket's bookings (web/agenda.py): a technician books a Field Desk
visit from the ticket page in local time, follows it on the agenda, moves it on and cancels it
with a reason; agents see their own agenda, supervisors everyone's, customers none."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token

V1 = "/api/v1"
SP = ZoneInfo("America/Sao_Paulo")
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=SP)


def _made(res: Any, status: int = 201) -> dict[str, Any]:
    assert res.status_code == status, res.text
    return res.json()  # type: ignore[no-any-return]


def _world(admin: Any, make_user: Any) -> dict[str, Any]:
    plan = _made(admin.post(f"{V1}/plans", json={"name": "Plus", "includes_field_desk": True}))
    queue = _made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))
    org = _made(admin.post(f"{V1}/organizations", json={"name": "Loja", "plan_id": plan["id"]}))
    contact = _made(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Lia", "email": "lia@loja.example", "organization_id": org["id"]},
        )
    )
    ticket = _made(
        admin.post(
            f"{V1}/tickets",
            json={
                "subject": "PDV não liga",
                "body": "Sem energia",
                "queue_id": queue["id"],
                "contact_id": contact["id"],
            },
        )
    )
    tech = make_user("agent", name="Téo Técnico", queue_ids=[queue["id"]], password=PASSWORD)
    return {"ticket": ticket["id"], "tech": tech, "queue": queue["id"], "contact": contact}


def _login(client: TestClient, user: Any) -> str:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": user.user.email,
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
            "next": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return form_token(client.get("/tickets").text)


def test_a_technician_books_follows_and_cancels_a_visit_from_the_pages(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    w = _world(admin, make_user)
    with time_machine.travel(MONDAY_9, tick=False):
        token = _login(client, w["tech"])
        refused = client.post(
            f"/tickets/{w['ticket']}/visits",
            data={"csrf_token": token, "kind": "field_desk", "purpose": "Trocar fonte",
                  "day": "2026-11-17"},
        )  # fmt: skip
        assert refused.status_code == 422
        assert "Informe o dia e os dois horários" in refused.text
        assert _made(admin.get(f"{V1}/tickets/{w['ticket']}/visits"), 200) == []
        no_whatsapp = client.post(
            f"/tickets/{w['ticket']}/visits",
            data={"csrf_token": token, "kind": "field_desk", "purpose": "Trocar fonte",
                  "day": "2026-11-17", "starts": "14:00", "ends": "16:00",
                  "address": "Rua A, 10", "reminder": "whatsapp"},
        )  # fmt: skip
        assert no_whatsapp.status_code == 422
        assert "não tem conversa no WhatsApp" in no_whatsapp.text
        assert _made(admin.get(f"{V1}/tickets/{w['ticket']}/visits"), 200) == []

        booked = client.post(
            f"/tickets/{w['ticket']}/visits",
            data={"csrf_token": token, "kind": "field_desk", "purpose": "Trocar fonte",
                  "day": "2026-11-17", "starts": "14:00", "ends": "16:00",
                  "address": "Rua A, 10"},
            follow_redirects=False,
        )  # fmt: skip
        assert booked.status_code == 303, booked.text
        assert booked.headers["location"] == f"/tickets/{w['ticket']}"
        (visit,) = _made(admin.get(f"{V1}/tickets/{w['ticket']}/visits"), 200)
        assert visit["starts_at"] == "2026-11-17T17:00:00Z"  # 14:00 in São Paulo
        assert visit["assignee_id"] == w["tech"].id

        page = client.get(f"/tickets/{w['ticket']}").text
        assert "Visitas e agendamentos" in page and "Trocar fonte" in page

        agenda = client.get("/agenda?start=2026-11-17&days=1")
        assert agenda.status_code == 200
        assert "Visita do Field Desk" in agenda.text and "14:00–16:00" in agenda.text
        assert "Rua A, 10" in agenda.text and "Agendada" in agenda.text

        moved = client.post(
            f"/agenda/visits/{visit['id']}",
            data={"csrf_token": token, "status": "on_the_way"},
            follow_redirects=False,
        )
        assert moved.status_code == 303
        assert "A caminho" in client.get("/agenda?start=2026-11-17&days=1").text

        no_reason = client.post(
            f"/agenda/visits/{visit['id']}", data={"csrf_token": token, "status": "cancelled"}
        )
        assert no_reason.status_code == 422
        assert "diga por que a visita foi cancelada" in no_reason.text
        cancelled = client.post(
            f"/agenda/visits/{visit['id']}",
            data={"csrf_token": token, "status": "cancelled", "cancel_reason": "Cliente fechou"},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303
        assert _made(admin.get(f"{V1}/visits/{visit['id']}"), 200)["status"] == "cancelled"
        assert "Nada agendado." in client.get("/agenda?start=2026-11-17&days=1").text
        shown = client.get("/agenda?start=2026-11-17&days=1&final=true").text
        assert "Cancelada" in shown and "Cliente fechou" in shown

        forged = client.post(
            f"/agenda/visits/{visit['id']}", data={"csrf_token": "x", "status": "done"}
        )
        assert forged.status_code == 403


def test_agents_see_their_own_agenda_supervisors_everyones_customers_none(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    w = _world(admin, make_user)
    with time_machine.travel(MONDAY_9, tick=False):
        _made(
            admin.post(
                f"{V1}/tickets/{w['ticket']}/visits",
                json={"kind": "field_desk", "purpose": "Instalar", "assignee_id": w["tech"].id,
                      "address": "Rua B, 20",
                      "starts_at": "2026-11-17T14:00:00-03:00",
                      "ends_at": "2026-11-17T15:00:00-03:00"},
            )
        )  # fmt: skip
        other = make_user("agent", name="Outra", queue_ids=[w["queue"]], password=PASSWORD)
        _login(client, other)
        mine = client.get("/agenda?start=2026-11-17&days=1")
        assert "Instalar" not in mine.text and "Nada agendado." in mine.text
        theirs = client.get(f"/agenda?start=2026-11-17&days=1&assignee_id={w['tech'].id}")
        assert theirs.status_code == 422
        assert "agentes veem apenas a própria agenda" in theirs.text

        boss = make_user("supervisor", name="Sol", password=PASSWORD)
        client.cookies.clear()
        _login(client, boss)
        team = client.get("/agenda?start=2026-11-17&days=1")
        assert "Instalar" in team.text and "Téo Técnico" in team.text
        assert 'href="/agenda"' in team.text  # the navigation leads there

        customer = make_user(
            "contact", name="Lia", contact_id=w["contact"]["id"], password=PASSWORD
        )
        client.cookies.clear()
        _login(client, customer)
        assert client.get("/agenda").status_code == 404
        assert 'href="/agenda"' not in client.get("/tickets").text
