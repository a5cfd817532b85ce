"""The SLA clocks run on every ticket change made through the API, with no explicit call:
GET /api/v1/tickets/{id} carries them, the reply meets the first response, and a contact sees
them only when the policy is public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy

T = "/api/v1/tickets"


def test_a_ticket_created_and_answered_through_the_api_runs_on_its_policy(admin: Any) -> None:
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS, open_on_holidays=True)
    make_policy(admin, "Chat 30 min", cal, first_response_minutes=30, resolution_minutes=600)
    # Wednesday 2026-11-25 10:00 in São Paulo (13:00 UTC): inside 08:00-21:00.
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        made = admin.post(
            T,
            json={
                "subject": "PDV travado",
                "body": "O caixa não abre",
                "channel": "chat",
                "requester": {"name": "Bia", "email": "bia@example.com"},
            },
        )
    assert made.status_code == 201, made.text
    sla = made.json()["sla"]
    assert sla["policy_name"] == "Chat 30 min"
    first = sla["targets"]["first_response"]
    assert first["state"] == "running"
    assert first["due_at"].startswith("2026-11-25T13:30:00")

    with time_machine.travel(start + timedelta(minutes=12), tick=False):
        reply = admin.post(f"{T}/{made.json()['id']}/messages", json={"body": "Olá!"})
    assert reply.status_code == 201
    got = admin.get(f"{T}/{made.json()['id']}").json()["sla"]["targets"]["first_response"]
    assert got["state"] == "met"
    assert got["met_at"].startswith("2026-11-25T13:12:00")
    timeline = admin.get(f"{T}/{made.json()['id']}/timeline").json()
    details = " | ".join(e.get("detail") or "" for e in timeline)
    assert "Chat 30 min" in details
    assert "met" in details


def test_an_imported_ticket_three_hours_old_is_already_breached(admin: Any) -> None:
    cal = make_calendar(
        admin,
        "24x7",
        weekly_hours={
            d: [["00:00", "24:00"]]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
    )
    make_policy(admin, "Rápido", cal, first_response_minutes=30)
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        made = admin.post(
            T,
            json={
                "subject": "Sem acesso",
                "body": "Não consigo entrar",
                "channel": "email",
                "requester": {"name": "Caio", "email": "caio@example.com"},
                "created_at": (now - timedelta(hours=3)).isoformat(),
            },
        )
    assert made.status_code == 201, made.text
    first = made.json()["sla"]["targets"]["first_response"]
    assert first["state"] == "breached"
    assert first["breached_at"].startswith("2026-11-25T12:30:00")


def test_no_policy_means_no_sla_and_the_timeline_says_so(admin: Any) -> None:
    made = admin.post(
        T,
        json={"subject": "Dúvida", "requester": {"name": "Di", "email": "di@example.com"}},
    )
    assert made.status_code == 201
    assert made.json()["sla"] is None
    timeline = admin.get(f"{T}/{made.json()['id']}/timeline").json()
    assert any("no SLA policy matches" in (e.get("detail") or "") for e in timeline)


def test_a_plan_change_moves_open_tickets_to_the_new_policy(admin: Any) -> None:
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS, open_on_holidays=True)
    prime = admin.post("/api/v1/plans", json={"name": "Prime"}).json()
    basic = admin.post("/api/v1/plans", json={"name": "Básico"}).json()
    make_policy(
        admin,
        "Prime",
        cal,
        position=1,
        first_response_minutes=15,
        conditions={"all": [{"field": "organization.plan", "op": "in", "value": ["Prime"]}]},
    )
    make_policy(admin, "Padrão", cal, position=2, first_response_minutes=240)
    org = admin.post("/api/v1/organizations", json={"name": "Loja X", "plan_id": basic["id"]})
    assert org.status_code == 201, org.text
    contact = admin.post(
        "/api/v1/contacts",
        json={"name": "Eva", "email": "eva@lojax.example", "organization_id": org.json()["id"]},
    ).json()
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        made = admin.post(T, json={"subject": "Erro", "contact_id": contact["id"]}).json()
    assert made["sla"]["policy_name"] == "Padrão"

    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        changed = admin.patch(
            f"/api/v1/organizations/{org.json()['id']}", json={"plan_id": prime["id"]}
        )
    assert changed.status_code == 200, changed.text
    sla = admin.get(f"{T}/{made['id']}").json()["sla"]
    assert sla["policy_name"] == "Prime"
    assert sla["targets"]["first_response"]["due_at"].startswith("2026-11-25T13:15:00")
    timeline = admin.get(f"{T}/{made['id']}/timeline").json()
    assert any("changed from Padrão to Prime" in (e.get("detail") or "") for e in timeline)
