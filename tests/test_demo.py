"""The demo data set: loaded through the services into the test transaction, read back through
the API as the demo admin."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from atende import demo
from atende.agents import repository as agents_repository
from atende.auth import service as auth_service
from atende.demo.catalogue import STAFF
from atende.demo.stories import STORIES
from atende.domain.documents import cnpj_is_valid, normalise_document
from atende.domain.errors import ValidationFailed
from atende.workflows import sweeps

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)  # a Monday, 14:30 in São Paulo
LOCAL = ZoneInfo("America/Sao_Paulo")


def admin_headers(db: Session) -> dict[str, str]:
    user = agents_repository.user_by_email(db, demo.ADMIN_EMAIL)
    assert user is not None and user.role == "admin"
    _, secret = auth_service.create_token(db, user=user, name="test", now=NOW)
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def every(client: TestClient, headers: dict[str, str], path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200 if path.endswith("tickets") else 100}
        if cursor:
            params["cursor"] = cursor
        res = client.get(path, params=params, headers=headers)
        assert res.status_code == 200, res.text
        items.extend(res.json()["items"])
        cursor = res.json()["next_cursor"]
        if not cursor:
            return items


def test_cnpj_check_digits_match_a_known_cnpj_and_the_validator() -> None:
    assert demo.cnpj_check_digits("112223330001") == "81"  # 11.222.333/0001-81
    rng = random.Random(1)
    for _ in range(500):
        formatted = demo.make_cnpj(rng)
        assert re.fullmatch(r"\d{2}\.\d{3}\.\d{3}/0001-\d{2}", formatted)
        assert cnpj_is_valid(normalise_document(formatted))


def test_mobile_numbers_are_e164() -> None:
    rng = random.Random(2)
    for ddd in ("11", "21", "85", "92"):
        number = demo.make_mobile(rng, ddd)
        assert re.fullmatch(rf"\+55{ddd}9\d{{8}}", number)


def test_replies_follow_the_house_style_of_seed_002() -> None:
    """No "gerundismo" ("vou estar verificando") and every resolution asks about doubts."""
    gerundismo = re.compile(r"\b(vou|vamos|vai|estarei|estaremos)\s+estar\s+\w+ndo\b", re.I)
    for story in STORIES:
        for text in (story.reply, story.question, story.solution, story.forward):
            assert not gerundismo.search(text), text
        assert story.solution.endswith("Ficou alguma dúvida?")


@time_machine.travel(NOW, tick=True)
def test_the_demo_world_through_the_api(db: Session, client: TestClient) -> None:
    """Read back at the demo's own date: "blocked" depends on today's date, so the clock is frozen
    at NOW (the suite was red from 2026-12-06 while it read the real clock)."""
    progress: list[tuple[int, int]] = []
    result = demo.load(db, now=NOW, on_progress=lambda done, total: progress.append((done, total)))
    db.commit()
    assert (result.plans, result.queues, result.organizations, result.tickets) == (6, 6, 20, 200)
    assert progress[-1] == (200, 200) and len(progress) == 200
    headers = admin_headers(db)

    plans = {p["id"]: p for p in client.get("/api/v1/plans", headers=headers).json()}
    queues = {q["id"]: q["name"] for q in client.get("/api/v1/queues", headers=headers).json()}
    orgs = {o["id"]: o for o in every(client, headers, "/api/v1/organizations")}
    assert len(orgs) == 20 and all(cnpj_is_valid(o["document"]) for o in orgs.values())
    assert len({o["name"] for o in orgs.values()}) == 20
    key_accounts = [o for o in orgs.values() if o["key_account"]]
    assert len(key_accounts) >= 3 and all(o["stores"] >= 15 for o in key_accounts)
    assert all(o["account_manager_id"] for o in key_accounts)
    delinquent = [o for o in orgs.values() if o["delinquent"]]
    assert {o["system_blocked"] for o in delinquent} == {True, False}
    assert {plans[o["plan_id"]]["name"] for o in orgs.values()} == {
        "Prime",
        "Plus",
        "Premium",
        "Light",
        "Básico",
        "Essencial",
    }

    contacts = every(client, headers, "/api/v1/contacts")
    emails = [c["email"] for c in contacts]
    assert len(emails) == len(set(emails))
    assert all(re.fullmatch(r"\+55\d{11}", c["phone"]) for c in contacts)
    assert any(c["organization_id"] is None for c in contacts)  # non-customers exist too

    tickets = every(client, headers, "/api/v1/tickets")
    assert len(tickets) == 200
    assert {t["channel"] for t in tickets} == set(demo_channels())
    assert {"new", "open", "pending_customer", "resolved", "closed"} <= {
        t["status"] for t in tickets
    }
    for t in tickets:
        created = datetime.fromisoformat(t["created_at"])
        assert NOW - timedelta(days=30) <= created <= NOW
        assert t["subject"] and t["queue_id"] in queues
        if t["status"] == "new":  # unanswered; an automatic queue may have handed it out
            assert t["first_response_at"] is None
        else:
            assert t["first_response_at"] is not None and t["assignee_id"] is not None
        if t["status"] in ("resolved", "closed"):
            assert t["resolved_at"] is not None
        if t["status"] == "closed":
            assert t["resolved_at"] <= t["closed_at"]
            assert datetime.fromisoformat(t["closed_at"]) - datetime.fromisoformat(
                t["resolved_at"]
            ) >= timedelta(hours=48)
        queue = queues[t["queue_id"]]
        org = orgs.get(t["organization_id"]) if t["organization_id"] else None
        if queue == "Prime - Especialistas":
            assert org is not None and plans[org["plan_id"]]["name"] == "Prime"
        if queue == "Special Service":
            assert org is not None and org["key_account"]
        if queue == "Field Desk" and "orcamento" not in t["tags"]:
            assert org is not None and plans[org["plan_id"]]["includes_field_desk"]
        if org is None:
            assert queue == "Clientes"


def test_ticket_histories_read_like_real_cases(db: Session, client: TestClient) -> None:
    demo.load(db, now=NOW)
    db.commit()
    headers = admin_headers(db)
    tickets = every(client, headers, "/api/v1/tickets")
    closed = [t for t in tickets if t["status"] == "closed"]
    assert len(closed) >= 50
    for t in closed[:25] + [t for t in tickets if t["status"] != "closed"][:25]:
        res = client.get(f"/api/v1/tickets/{t['id']}/timeline", headers=headers)
        assert res.status_code == 200
        timeline = res.json()
        assert timeline[0]["entry"] == "event" and timeline[0]["kind"] == "created"
        messages = [e for e in timeline if e["entry"] == "message"]
        assert messages[0]["author_kind"] == "contact"
        times = [e["created_at"] for e in timeline]
        assert times == sorted(times)
        # who held the ticket: its assignee now, and before a handover (e.g. a vacation)
        holders = {t["assignee_id"]} | {
            e["before"] for e in timeline if e["entry"] == "event" and e["kind"] == "assignee"
        }
        for m in messages:
            if m["author_kind"] == "agent":  # agents answer while the desk is open
                local = datetime.fromisoformat(m["created_at"]).astimezone(LOCAL)
                assert 8 <= local.hour < 21, m
                assert m["author_user_id"] in holders
        statuses = [e["after"] for e in timeline if e["entry"] == "event" and e["kind"] == "status"]
        if t["status"] == "closed":
            assert statuses[-2:] == ["resolved", "closed"]
            assert any(m["author_kind"] == "agent" and m["public"] for m in messages)


def test_same_seed_and_time_give_the_same_demo(db: Session) -> None:
    def snapshot() -> list[tuple[Any, ...]]:
        token = demo.load(db, now=NOW, tickets=40)
        assert token.tickets == 40
        from sqlalchemy import select

        from atende.customers.models import Organization
        from atende.tickets.models import Ticket

        orgs = [(o.name, o.document) for o in db.scalars(select(Organization).order_by("id"))]
        rows = db.scalars(select(Ticket).order_by(Ticket.created_at, Ticket.subject)).all()
        return [
            *orgs,
            *((t.subject, t.channel, t.status, t.created_at, t.closed_at) for t in rows),
        ]

    first_tx = db.begin_nested()
    first = snapshot()
    first_tx.rollback()
    second_tx = db.begin_nested()
    second = snapshot()
    second_tx.rollback()
    assert first == second and len(first) == 60


def test_every_demo_user_logs_in_with_the_published_password(db: Session) -> None:
    demo.load(db, now=NOW, tickets=0)
    one_per_role = {role: email for _name, email, role, _queues in STAFF}
    assert set(one_per_role) == {"admin", "supervisor", "agent"}
    for role, email in one_per_role.items():
        _web, _secret, user = auth_service.login(
            db,
            email=email,
            password=demo.DEMO_PASSWORD,
            client="test",
            now=NOW,
            max_attempts=5,
            window=timedelta(minutes=5),
            session_days=1,
        )
        assert user.role == role
    with pytest.raises(auth_service.AuthenticationFailed):
        auth_service.login(
            db,
            email=demo.ADMIN_EMAIL,
            password="wrong-password",
            client="test",
            now=NOW,
            max_attempts=5,
            window=timedelta(minutes=5),
            session_days=1,
        )


def test_the_demo_refuses_a_database_with_users(db: Session, make_user: Any) -> None:
    make_user("agent")
    assert not demo.is_empty(db)
    with pytest.raises(ValidationFailed, match="already has users"):
        demo.load(db, now=NOW, tickets=1)


def demo_channels() -> tuple[str, ...]:
    return ("chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api")


def test_the_demo_runs_a_day_of_operations(db: Session, client: TestClient) -> None:
    """Presence with load, pause reasons, automatic queues, a vacation handover, the seeds'
    SLA policies and automation playbook."""
    result = demo.load(db, now=NOW)
    db.commit()
    assert result.rules >= 9
    headers = admin_headers(db)
    board = client.get("/api/v1/agents/presence", headers=headers).json()
    by_name = {row["name"]: row for row in board}
    assert by_name["Juliana Souza"]["status"] == "paused"
    assert by_name["Juliana Souza"]["reason"] == "Almoço"
    assert by_name["Thiago Santos"]["status"] == "offline"
    online = [row for row in board if row["status"] == "online"]
    assert len(online) >= 4 and any(row["open_tickets"] > 0 for row in online)
    reasons = client.get("/api/v1/pause-reasons", headers=headers).json()
    assert {r["name"] for r in reasons} >= {"Almoço", "Treinamento", "Reunião", "Feedback"}
    absences = client.get("/api/v1/absences", headers=headers).json()["items"]
    assert {a["state"] for a in absences} == {"active", "scheduled"}
    queues = {q["name"]: q for q in client.get("/api/v1/queues", headers=headers).json()}
    assert queues["Special Service"]["assignment_mode"] == "least_loaded"
    assert queues["Special Service"]["default_max_open_tickets"] == 5
    policies = [p["name"] for p in client.get("/api/v1/sla-policies", headers=headers).json()]
    assert policies == ["Special Service (clientes chave)", "Prime", "Padrão"]
    tickets = every(client, headers, "/api/v1/tickets")
    with_sla = client.get(f"/api/v1/tickets/{tickets[0]['id']}", headers=headers).json()
    assert with_sla["sla"] is not None


def test_the_demo_agents_stay_present_when_the_server_starts(
    db: Session, session_factory: Any
) -> None:
    """The idle sweep must not send the demo's online agents offline at the first round."""
    demo.load(db, now=NOW)
    db.commit()
    assert sweeps.presence_idle(session_factory, NOW + timedelta(minutes=1)) == 0
    assert sweeps.presence_idle(session_factory, NOW + timedelta(hours=1)) > 0
