"""Time moves tickets: the sweeper fires SLA warnings and breaches (with escalation), resolved
tickets close themselves, closed tickets get a survey, policy edits re-evaluate open tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.jobs.models import Job
from atende.tickets.models import Ticket
from atende.worker import Worker
from atende.workflows import sweeps
from tests.jobs.conftest import Clock
from tests.sla.helpers import EVERY_DAY_HOURS, WEEKDAYS, make_calendar, make_policy
from tests.support.queries import assert_query_count

T = "/api/v1/tickets"
ALWAYS = {d: [["00:00", "24:00"]] for d in WEEKDAYS}


def always_open(admin: Any) -> int:
    return make_calendar(admin, "24x7", weekly_hours=ALWAYS, holidays=None)


def timeline_kinds(admin: Any, ticket_id: int) -> list[str]:
    return [e.get("kind") for e in timeline(admin, ticket_id)]


def timeline(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    return admin.get(f"{T}/{ticket_id}/timeline").json()  # type: ignore[no-any-return]


def test_imported_ticket_three_hours_old_is_breached_and_escalated(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    """The issue's acceptance case: created 3 h ago, 30 min first response."""
    queue = make_queue()
    supervisor = make_user("supervisor", queue_ids=[queue.id])
    agent = make_user("agent", queue_ids=[queue.id])
    make_policy(admin, "Chat 30 min", always_open(admin), first_response_minutes=30)
    created = (utcnow() - timedelta(hours=3)).isoformat()
    r = admin.post(T, json={
        "subject": "Sistema fora do ar", "body": "Não consigo emitir NF-e", "channel": "chat",
        "requester": {"name": "Bia", "email": "bia@loja.example"}, "queue_id": queue.id,
        "assignee_id": agent.id, "created_at": created, "status": "open",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    ticket = admin.get(f"{T}/{r.json()['id']}").json()
    assert ticket["sla"]["targets"]["first_response"]["state"] == "breached"
    assert ticket["priority"] == "high"  # the warning raised it one step
    events = timeline(admin, ticket["id"])
    kinds = [e.get("kind") for e in events]
    assert "sla_warning" in kinds and "sla_breached" in kinds
    raised = next(e for e in events if e.get("kind") == "priority")
    assert raised["before"] == "normal" and raised["after"] == "high"
    assert "escalated: first response nearing its target" in raised["detail"]
    for user in (supervisor, agent):
        notes = user.get("/api/v1/notifications").json()["items"]
        assert {n["kind"] for n in notes} == {"sla_warning", "sla_breach"}
        assert all(n["ticket_id"] == ticket["id"] for n in notes)


def test_the_sweeper_fires_warning_then_breach_at_their_instants(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    make_policy(admin, "1 h", always_open(admin), first_response_minutes=60, warning_percent=80)
    r = admin.post(T, json={"subject": "Erro no PDV", "body": "trava", "queue_id": queue.id,
                            "assignee_id": agent.id})  # fmt: skip
    ticket_id = r.json()["id"]
    created = datetime.fromisoformat(r.json()["created_at"])
    worker = make_worker()

    clock.now = created + timedelta(minutes=47)
    assert worker.run_sweeps(0, force=True)["sla"] == 0  # nothing due yet
    assert "sla_warning" not in timeline_kinds(admin, ticket_id)

    clock.now = created + timedelta(minutes=48, seconds=1)
    assert worker.run_sweeps(0, force=True)["sla"] == 1
    assert timeline_kinds(admin, ticket_id).count("sla_warning") == 1
    assert admin.get(f"{T}/{ticket_id}").json()["priority"] == "high"
    assert [n["kind"] for n in agent.get("/api/v1/notifications").json()["items"]] == [
        "sla_warning"
    ]
    assert worker.run_sweeps(0, force=True)["sla"] == 0  # announced once

    clock.now = created + timedelta(minutes=60, seconds=1)
    assert worker.run_sweeps(0, force=True)["sla"] == 1
    shown = admin.get(f"{T}/{ticket_id}").json()
    assert shown["sla"]["targets"]["first_response"]["state"] == "breached"
    assert shown["priority"] == "high"  # a breach does not raise by default
    assert timeline_kinds(admin, ticket_id).count("sla_breached") == 1
    kinds = [n["kind"] for n in agent.get("/api/v1/notifications").json()["items"]]
    assert kinds == ["sla_breach", "sla_warning"]
    # the e-mail copies are jobs (completed without SMTP: the in-app notice is the delivery)
    assert worker.run_due_jobs() >= 2


def test_escalation_follows_the_policy_settings(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    queue = make_queue()
    supervisor = make_user("supervisor", queue_ids=[queue.id])
    make_policy(
        admin, "Quiet", always_open(admin), first_response_minutes=30,
        escalation={"warning": {"raise_priority": False, "notify": []},
                    "breach": {"raise_priority": True, "notify": ["supervisors"]}},
    )  # fmt: skip
    created = (utcnow() - timedelta(hours=1)).isoformat()
    r = admin.post(T, json={"subject": "x", "body": "y", "queue_id": queue.id,
                            "created_at": created, "priority": "urgent"})  # fmt: skip
    ticket = admin.get(f"{T}/{r.json()['id']}").json()
    assert ticket["priority"] == "urgent"  # already at the top: nothing to raise
    notes = supervisor.get("/api/v1/notifications").json()["items"]
    assert [n["kind"] for n in notes] == ["sla_breach"]
    policy = admin.get("/api/v1/sla-policies").json()[0]
    assert policy["escalation"]["warning"] == {"raise_priority": False, "notify": []}
    assert policy["auto_close_business_hours"] == 48
    bad = admin.post("/api/v1/sla-policies", json={
        "name": "Bad", "calendar_id": policy["calendar_id"], "first_response_minutes": 5,
        "escalation": {"warning": {"notify": ["everyone"]}},
    })  # fmt: skip
    assert bad.status_code == 422
    assert "escalation" in bad.text and "notify" in bad.text


def test_resolved_ticket_closes_itself_after_48_business_hours(
    admin: Any, db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    """The issue's acceptance case: imported as resolved 4 business days ago -> closed
    (seed 000: 08:00-21:00 every day, holidays included, so 48 business hours < 4 days)."""
    seed_000 = make_calendar(admin, "08-21", weekly_hours=EVERY_DAY_HOURS, holidays=None)
    make_policy(admin, "Padrão", seed_000, resolution_minutes=960)
    now = utcnow()
    r = admin.post(T, json={
        "subject": "Dúvida sobre boleto", "body": "Como emito a segunda via?",
        "requester": {"name": "Caio", "email": "caio@cliente.example"},
        "created_at": (now - timedelta(days=5)).isoformat(), "status": "resolved",
        "resolved_at": (now - timedelta(days=4)).isoformat(),
        "messages": [{"author": "agent", "body": "Pelo portal.",
                      "created_at": (now - timedelta(days=4, minutes=5)).isoformat()}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    ticket_id = r.json()["id"]
    worker = make_worker()
    assert worker.run_sweeps(0, force=True)["auto_close"] == 1
    shown = admin.get(f"{T}/{ticket_id}").json()
    assert shown["status"] == "closed"
    items = timeline(admin, ticket_id)
    notice = [m for m in items if m.get("author_kind") == "system" and m.get("public")]
    assert notice and "encerrado automaticamente" in notice[-1]["body_text"]
    status = [e for e in items if e.get("kind") == "status"][-1]
    assert status["after"] == "closed" and "48 business hours" in status["detail"]
    kinds = {j.kind for j in db.scalars(select(Job).where(Job.ticket_id == ticket_id))}
    assert {"surveys.after_close", "tickets.contact_notice"} <= kinds
    worker.run_due_jobs()
    [survey] = [e for e in timeline(admin, ticket_id) if e.get("kind") == "survey_sent"]
    assert survey["actor"] == "Satisfaction survey"  # not "Auto-close": any close owes one
    assert worker.run_sweeps(0, force=True)["auto_close"] == 0


def test_auto_close_waits_business_hours_and_a_contact_reply_cancels_it(
    admin: Any, db: Session, make_user: Any
) -> None:
    cal = make_calendar(admin)  # Mon-Fri 08:30-12:00, 13:30-18:00, BR holidays
    make_policy(admin, "Padrão", cal, resolution_minutes=960, auto_close_business_hours=16)
    dani = {"name": "Dani", "email": "dani@cliente.example"}
    r = admin.post(T, json={"subject": "Impressora", "body": "não imprime", "requester": dani})
    ticket_id = r.json()["id"]
    admin.patch(f"{T}/{ticket_id}", json={"status": "resolved"})
    row = db.get(Ticket, ticket_id)
    assert row is not None
    db.refresh(row)
    assert row.auto_close_at is not None and row.resolved_at is not None
    due = admin.get(
        f"/api/v1/calendars/{cal}/due",
        params={"start": row.resolved_at.isoformat(), "minutes": 16 * 60},
    ).json()["due_at"]
    assert row.auto_close_at == datetime.fromisoformat(due).astimezone(UTC)
    # the contact answers: the ticket reopens and will not close itself
    admin.post(f"{T}/{ticket_id}/messages", json={"body": "voltou a falhar", "author": "contact"})
    db.refresh(row)
    assert row.status == "open" and row.auto_close_at is None


def test_a_policy_edit_reevaluates_open_tickets(
    admin: Any, make_worker: Callable[..., Worker]
) -> None:
    r = admin.post(T, json={"subject": "Sem política", "body": "ainda"})
    ticket_id = r.json()["id"]
    assert admin.get(f"{T}/{ticket_id}").json()["sla"] is None
    make_policy(admin, "Nova", always_open(admin), first_response_minutes=120)
    make_worker().run_due_jobs()
    assert admin.get(f"{T}/{ticket_id}").json()["sla"]["policy_name"] == "Nova"


def test_breach_reasons_are_recorded_by_supervisors(admin: Any, make_user: Any) -> None:
    make_policy(admin, "30 min", always_open(admin), first_response_minutes=30)
    old = (utcnow() - timedelta(hours=2)).isoformat()
    ticket_id = admin.post(T, json={"subject": "a", "body": "b", "created_at": old}).json()["id"]
    fresh = admin.post(T, json={"subject": "c", "body": "d"}).json()["id"]
    supervisor, agent = make_user("supervisor"), make_user("agent")
    url = f"{T}/{ticket_id}/sla/breach-reasons"
    body = {"kind": "first_response", "category": "waiting_other_department",
            "note": "Financeiro demorou"}  # fmt: skip
    assert agent.post(url, json=body).status_code == 403
    r = supervisor.post(url, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["category"] == "waiting_other_department" and r.json()["cycle"] == 1
    assert [x["note"] for x in supervisor.get(url).json()] == ["Financeiro demorou"]
    event = [e for e in timeline(admin, ticket_id) if e.get("kind") == "sla_breach_reason"]
    assert "waiting on another department (Financeiro demorou)" in event[0]["detail"]
    r = supervisor.post(f"{T}/{fresh}/sla/breach-reasons", json=body)
    assert r.status_code == 409 and "not breached" in r.json()["detail"]
    r = supervisor.post(url, json={"kind": "first_response", "category": "other"})
    assert r.status_code == 422 and "note" in r.text
    r = supervisor.post(url, json={"kind": "first_response", "category": "bored"})
    assert r.status_code == 422


def test_an_imported_history_of_late_replies_notifies_nobody(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    """A breach that is already history (answered late, long ago) is on the timeline, but
    importing thousands of old tickets must not page the supervisors."""
    queue = make_queue()
    supervisor = make_user("supervisor", queue_ids=[queue.id])
    make_policy(admin, "30 min", always_open(admin), first_response_minutes=30)
    now = utcnow()
    r = admin.post(T, json={
        "subject": "Antigo", "body": "x", "queue_id": queue.id, "status": "resolved",
        "requester": {"name": "Eva", "email": "eva@cliente.example"},
        "created_at": (now - timedelta(days=20)).isoformat(),
        "resolved_at": (now - timedelta(days=19)).isoformat(),
        "messages": [{"author": "agent", "body": "ok",
                      "created_at": (now - timedelta(days=19, hours=2)).isoformat()}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    assert "sla_breached" in timeline_kinds(admin, r.json()["id"])
    assert supervisor.get("/api/v1/notifications").json()["items"] == []
    assert admin.get(f"{T}/{r.json()['id']}").json()["priority"] == "normal"


def test_tickets_resolved_before_an_upgrade_get_their_auto_close(
    admin: Any, db: Session, make_worker: Callable[..., Worker]
) -> None:
    """Migration 0006 queues `tickets.schedule_auto_close` for tickets resolved before
    auto-close existed (they have no instant)."""
    from atende.jobs import outbox

    r = admin.post(T, json={"subject": "Antigo", "body": "x"})
    admin.patch(f"{T}/{r.json()['id']}", json={"status": "resolved"})
    row = db.get(Ticket, r.json()["id"])
    assert row is not None
    row.auto_close_at = None  # as before the upgrade
    outbox.enqueue(db, "tickets.schedule_auto_close", idempotency_key="migration-0006:x")
    db.commit()
    make_worker(sweeps=[]).run_due_jobs()
    db.refresh(row)
    assert row.auto_close_at is not None and row.resolved_at is not None
    assert row.auto_close_at == row.resolved_at + timedelta(hours=48)  # no policy: real hours


def test_a_breach_swept_costs_a_pinned_number_of_statements(
    admin: Any,
    make_user: Any,
    make_queue: Any,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    """The Monday-08:00 burst (#14) is this, ten thousand times: the sweep of one due ticket —
    row lock, clocks from its history, the breach on the timeline, the escalation's policy from
    the process's copy, its recipients (assignee and the queue's supervisor) in one query, their
    notifications in one ``INSERT … ON CONFLICT DO NOTHING`` and their e-mail jobs in another,
    the stream event, the breach's metric fact, the ``sla_breach`` rules."""
    queue = make_queue()
    supervisor = make_user("supervisor", queue_ids=[queue.id])
    agent = make_user("agent", queue_ids=[queue.id])
    make_policy(admin, "1 h", always_open(admin), first_response_minutes=60, warning_percent=80)
    created = (utcnow() - timedelta(minutes=50)).isoformat()
    r = admin.post(T, json={"subject": "Erro no PDV", "body": "trava", "queue_id": queue.id,
                            "assignee_id": agent.id, "created_at": created})  # fmt: skip
    ticket_id = r.json()["id"]
    assert [n["kind"] for n in agent.get("/api/v1/notifications").json()["items"]] == [
        "sla_warning"
    ]
    due = utcnow() + timedelta(minutes=11)
    with assert_query_count(db, 20):
        assert sweeps.sla_deadlines(session_factory, due, threads=1) == 1
    for user in (agent, supervisor):
        kinds = [n["kind"] for n in user.get("/api/v1/notifications").json()["items"]]
        assert kinds == ["sla_breach", "sla_warning"]
    assert timeline_kinds(admin, ticket_id).count("sla_breached") == 1
    assert sweeps.sla_deadlines(session_factory, due, threads=1) == 0  # announced once
