"""Field Desk visits and appointments (seed 002 items 34-41, 50-51), through the API: included
in the plan or paid with its discount after the customer accepted; the standard 4-24 business
hours window; the technician's agenda; the customer's reminder; the ticket's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.jobs.models import Job
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar

V1 = "/api/v1"
SP = ZoneInfo("America/Sao_Paulo")
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=SP)
WEEKDAYS = {d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday",
                                              "friday")}  # fmt: skip


def made(res: Any, status: int = 201) -> dict[str, Any]:
    assert res.status_code == status, res.text
    return res.json()  # type: ignore[no-any-return]


def refused(res: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert res.status_code == status, res.text
    problem: dict[str, Any] = res.json()
    if field is not None:
        assert [e["field"] for e in problem.get("errors", [])] == [field], problem
    return problem


def world(admin: Any, make_user: Any) -> dict[str, Any]:
    plus = made(admin.post(f"{V1}/plans", json={"name": "Plus", "includes_field_desk": True}))
    light = made(admin.post(f"{V1}/plans", json={"name": "Light",
                                                  "field_desk_discount_percent": 30}))  # fmt: skip
    queue = made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))
    out: dict[str, Any] = {"queue": queue["id"]}
    for name, plan in (("plus", plus), ("light", light)):
        org = made(admin.post(f"{V1}/organizations", json={"name": f"Loja {name}",
                                                           "plan_id": plan["id"]}))  # fmt: skip
        contact = made(admin.post(f"{V1}/contacts", json={
            "name": f"Cliente {name}", "email": f"{name}@loja.example",
            "organization_id": org["id"]}))  # fmt: skip
        ticket = made(admin.post(f"{V1}/tickets", json={
            "subject": "PDV não liga", "body": "Sem energia no PDV", "queue_id": queue["id"],
            "contact_id": contact["id"]}))  # fmt: skip
        out[name] = ticket["id"]
    out["tech"] = make_user("agent", name="Téo Técnico", queue_ids=[queue["id"]])
    out["other"] = make_user("agent", name="Outra Agente", queue_ids=[queue["id"]])
    return out


def test_a_visit_the_plan_includes_gets_the_standard_window_and_a_reminder(
    admin: Any, make_user: Any, db: Session
) -> None:
    make_calendar(admin, "Comercial", weekly_hours=WEEKDAYS)
    with time_machine.travel(MONDAY_9, tick=False):
        w = world(admin, make_user)
        visit = made(admin.post(f"{V1}/tickets/{w['plus']}/visits", json={
            "kind": "field_desk", "purpose": "PDV sem energia", "address": "Rua A, 10",
            "assignee_id": w["tech"].user.id}))  # fmt: skip
    assert visit["billing"] == "included" and visit["discount_percent"] == 0
    # 4 business hours after Monday 09:00 is 13:00; 24 after it is Wednesday 13:00 (10 h a day)
    assert visit["starts_at"] == "2026-11-16T16:00:00Z"
    assert visit["ends_at"] == "2026-11-18T16:00:00Z"
    assert visit["status"] == "scheduled" and visit["assignee_id"] == w["tech"].user.id
    timeline = made(admin.get(f"{V1}/tickets/{w['plus']}/timeline"), 200)
    booked = [e for e in timeline if e.get("kind") == "visit_scheduled"]
    assert len(booked) == 1 and "incluída no plano" in booked[0]["detail"]
    # the customer is reminded a day before by e-mail, once
    jobs = list(db.scalars(select(Job).where(Job.kind == "notify.email",
                                             Job.idempotency_key.like("visit:%"))))  # fmt: skip
    assert len(jobs) == 1 and jobs[0].payload["to"] == ["plus@loja.example"]
    assert jobs[0].run_at == datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # now: less than a day
    assert "Rua A, 10" in jobs[0].payload["text"]


def test_a_paid_visit_needs_the_customers_acceptance_and_carries_the_plan_discount(
    admin: Any, make_user: Any
) -> None:
    w = world(admin, make_user)
    start = datetime.now(UTC) + timedelta(days=2)
    body = {
        "kind": "field_desk",
        "purpose": "Rede caiu",
        "address": "Av. B, 200",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
    }
    problem = refused(admin.post(f"{V1}/tickets/{w['light']}/visits", json=body), 422,
                      "accepted_by")  # fmt: skip
    assert "não inclui" in problem["detail"] or "does not include" in problem["detail"]
    visit = made(
        admin.post(
            f"{V1}/tickets/{w['light']}/visits",
            json={**body, "accepted_by": "Cliente light, por telefone"},
        )
    )
    assert (visit["billing"], visit["discount_percent"]) == ("paid", 30)
    assert visit["accepted_by"] == "Cliente light, por telefone" and visit["accepted_at"]


def test_bad_bookings_are_refused_naming_the_field(admin: Any, make_user: Any) -> None:
    w = world(admin, make_user)
    t = w["plus"]
    soon = datetime.now(UTC) + timedelta(days=1)
    cases = [
        ({"kind": "field_desk", "purpose": "x"}, "address"),
        ({"kind": "appointment", "purpose": "Treinamento"}, "starts_at"),
        ({"kind": "appointment", "purpose": "Treinamento", "starts_at": soon.isoformat(),
          "ends_at": (soon - timedelta(hours=1)).isoformat()}, "ends_at"),
        ({"kind": "appointment", "purpose": "Treinamento",
          "starts_at": (soon - timedelta(days=3)).isoformat()}, "starts_at"),
        ({"kind": "appointment", "purpose": "Treinamento", "starts_at": soon.isoformat(),
          "assignee_id": 999999}, "assignee_id"),
        ({"kind": "visita", "purpose": "x"}, "kind"),
        ({"kind": "appointment", "purpose": "x", "starts_at": "2026-12-01T10:00:00"},
         "starts_at"),
    ]  # fmt: skip
    for body, field in cases:
        refused(admin.post(f"{V1}/tickets/{t}/visits", json=body), 422, field)
    assert made(admin.get(f"{V1}/tickets/{t}/visits"), 200) == []  # nothing half-written


def test_the_visit_moves_on_and_the_agenda_shows_it(admin: Any, make_user: Any) -> None:
    w = world(admin, make_user)
    tech, other = w["tech"], w["other"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    training = made(tech.post(f"{V1}/tickets/{w['plus']}/visits", json={
        "kind": "appointment", "purpose": "Treinamento do PDV",
        "starts_at": start.isoformat()}))  # fmt: skip
    assert training["assignee_id"] == tech.user.id  # the caller's own agenda by default
    assert training["billing"] == "none"
    window = {"start": (start - timedelta(hours=2)).isoformat(),
              "end": (start + timedelta(hours=2)).isoformat()}  # fmt: skip
    assert [v["id"] for v in made(tech.get(f"{V1}/visits", params=window), 200)] == [training["id"]]
    assert made(other.get(f"{V1}/visits", params=window), 200) == []  # her own agenda
    refused(other.get(f"{V1}/visits", params={**window, "assignee_id": tech.user.id}), 403)
    assert len(made(admin.get(f"{V1}/visits", params=window), 200)) == 1  # everyone's
    refused(admin.get(f"{V1}/visits", params={"start": window["end"], "end": window["start"]}),
            422, "end")  # fmt: skip

    v = f"{V1}/visits/{training['id']}"
    moved = made(tech.patch(v, json={"starts_at": (start + timedelta(days=1)).isoformat()}), 200)
    assert moved["ends_at"] == (start + timedelta(days=1, hours=1)).isoformat().replace(
        "+00:00", "Z"
    )
    refused(tech.patch(v, json={"status": "cancelled"}), 422, "cancel_reason")
    made(tech.patch(v, json={"status": "on_the_way"}), 200)
    refused(tech.patch(v, json={"status": "scheduled"}), 409, "status")
    done = made(tech.patch(v, json={"status": "done"}), 200)
    assert done["status"] == "done"
    refused(tech.patch(v, json={"status": "cancelled", "cancel_reason": "x"}), 409, "status")
    kinds = [e.get("kind") for e in made(admin.get(f"{V1}/tickets/{w['plus']}/timeline"), 200)]
    assert kinds.count("visit_changed") == 3 and kinds.count("visit_scheduled") == 1


def test_cancelling_cancels_the_reminder_and_contacts_see_only_their_visits(
    admin: Any, make_user: Any, db: Session
) -> None:
    w = world(admin, make_user)
    start = datetime.now(UTC) + timedelta(days=3)
    visit = made(admin.post(f"{V1}/tickets/{w['light']}/visits", json={
        "kind": "field_desk", "purpose": "Impressora", "address": "Rua C, 3",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
        "accepted_by": "Cliente light, pelo chat"}))  # fmt: skip
    made(admin.patch(f"{V1}/visits/{visit['id']}", json={"status": "cancelled",
                                                         "cancel_reason": "Cliente resolveu"}),
         200)  # fmt: skip
    job = db.scalars(select(Job).where(Job.idempotency_key.like(f"visit:{visit['id']}:%"))).one()
    db.refresh(job)
    assert job.state == "dead" and "cancelled" in job.last_error

    org_light = made(admin.get(f"{V1}/tickets/{w['light']}"), 200)["organization_id"]
    contacts = made(admin.get(f"{V1}/contacts", params={"organization_id": org_light}), 200)
    customer = make_user("contact", contact_id=contacts["items"][0]["id"])
    seen = made(customer.get(f"{V1}/tickets/{w['light']}/visits"), 200)
    assert [v["status"] for v in seen] == ["cancelled"]
    assert seen[0]["accepted_by"] is None and seen[0]["notes"] is None  # staff-only fields
    refused(customer.get(f"{V1}/tickets/{w['plus']}/visits"), 404)  # another organization's
    refused(customer.post(f"{V1}/tickets/{w['light']}/visits",
                          json={"kind": "appointment", "purpose": "x",
                                "starts_at": start.isoformat()}), 403)  # fmt: skip
    refused(customer.get(f"{V1}/visits", params={"start": start.isoformat(),
                                                 "end": (start + timedelta(days=1)).isoformat()}),
            403)  # fmt: skip


def test_an_appointment_holds_the_ticket_scheduled_and_the_policy_may_pause_its_clock(
    admin: Any, make_user: Any
) -> None:
    """Seed 002 items 39-41: non-urgent work is booked, and the ticket waits in 'scheduled'
    (its SLA clock paused when the policy lists 'scheduled' in pause_statuses) until the last
    booking is done or cancelled; then it is back in work ('open')."""
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS, open_on_holidays=True)
    made(admin.post("/api/v1/sla-policies", json={
        "name": "Resolução 8 h", "calendar_id": cal, "resolution_minutes": 480,
        "pause_statuses": ["pending_customer", "scheduled"]}))  # fmt: skip
    w = world(admin, make_user)
    t = w["plus"]
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    first = made(
        admin.post(
            f"{V1}/tickets/{t}/visits",
            json={"kind": "appointment", "purpose": "Treinamento", "starts_at": start.isoformat()},
        )
    )
    second = made(admin.post(f"{V1}/tickets/{t}/visits", json={
        "kind": "appointment", "purpose": "Certificado A1",
        "starts_at": (start + timedelta(days=1)).isoformat()}))  # fmt: skip
    ticket = made(admin.get(f"{V1}/tickets/{t}"), 200)
    assert ticket["status"] == "scheduled"
    assert ticket["sla"]["targets"]["resolution"]["state"] == "paused"
    made(admin.patch(f"{V1}/visits/{first['id']}", json={"status": "done"}), 200)
    assert made(admin.get(f"{V1}/tickets/{t}"), 200)["status"] == "scheduled"  # one is left
    made(
        admin.patch(
            f"{V1}/visits/{second['id']}",
            json={"status": "cancelled", "cancel_reason": "Cliente desistiu"},
        ),
        200,
    )
    ticket = made(admin.get(f"{V1}/tickets/{t}"), 200)
    assert ticket["status"] == "open"
    assert ticket["sla"]["targets"]["resolution"]["state"] == "running"

    # hold_ticket: false books without touching the ticket's status
    made(admin.post(f"{V1}/tickets/{t}/visits", json={
        "kind": "appointment", "purpose": "Backup", "starts_at": start.isoformat(),
        "hold_ticket": False}))  # fmt: skip
    assert made(admin.get(f"{V1}/tickets/{t}"), 200)["status"] == "open"
    # a resolved ticket is reopened before work is scheduled on it
    made(admin.patch(f"{V1}/tickets/{t}", json={"status": "resolved"}), 200)
    refused(admin.patch(f"{V1}/tickets/{t}", json={"status": "scheduled"}), 409, "status")
