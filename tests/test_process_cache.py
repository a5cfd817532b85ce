"""The per-process copies of credentials, automation rules, SLA policies and the reply check's
lists (atende/db/cache.py)
never serve a stale answer: a change committed by *another process* counts at this process's
next request. Each scenario runs a real second Python process against the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.test_cli import api, cli_url, migrated, run, token_for  # noqa: F401 (fixtures)

PRELUDE = """
import sys
from datetime import UTC, datetime
from sqlalchemy import select
import atende.db.models
from atende.auth.models import ApiToken
from atende.agents.models import User
from atende.calendars.models import Calendar
from atende.rules.models import Rule
from atende.sla.models import SlaPolicy
from atende.db.engine import make_engine, make_sessionmaker, transaction
factory = make_sessionmaker(make_engine(sys.argv[1]))
now = datetime.now(UTC)
"""


def other_process(url: str, code: str) -> None:
    """Run ``code`` in a separate Python process (its own memory, its own copies)."""
    script = PRELUDE + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ATENDE_DATABASE_URL": url},
    )
    assert done.returncode == 0, done.stderr


def _admin(url: str) -> str:
    made = run(url, "create-user", "--email", "ana@solis.example", "--name", "Ana", "--role",
               "admin", "--password", "senha-segura-1")  # fmt: skip
    assert made.exit_code == 0, made.output
    return token_for(url, "ana@solis.example")


def test_a_token_revoked_by_another_process_is_refused_at_once(
    migrated: str,  # noqa: F811 (the fixture of tests.test_cli)
    tmp_path: Path,
) -> None:
    token = _admin(migrated)
    keep = token_for(migrated, "ana@solis.example")
    with api(migrated, tmp_path, token) as client:
        for _ in range(3):  # known to this process now
            assert client.get("/api/v1/users/me").status_code == 200
            assert client.post("/api/v1/tickets", json={"subject": "PDV"}).status_code == 201
        other_process(
            migrated,
            f"""
            with transaction(factory) as s:
                t = s.scalar(select(ApiToken).where(ApiToken.prefix == {token[:12]!r}))
                t.revoked_at = now
            """,
        )
        # a creation drafted from this process's copy of the credentials is not written
        created = client.post("/api/v1/tickets", json={"subject": "PDV"})
        assert created.status_code == 401, created.text
        res = client.get("/api/v1/users/me")
        assert res.status_code == 401, res.text
        client.headers["Authorization"] = f"Bearer {keep}"  # the user's other token still works
        assert client.get("/api/v1/users/me").status_code == 200


def test_a_user_deactivated_or_demoted_by_another_process_counts_at_once(
    migrated: str,  # noqa: F811 (the fixture of tests.test_cli)
    tmp_path: Path,
) -> None:
    token = _admin(migrated)
    made = run(migrated, "create-user", "--email", "bia@solis.example", "--name", "Bia",
               "--role", "supervisor", "--password", "senha-segura-1")  # fmt: skip
    assert made.exit_code == 0, made.output
    bia = token_for(migrated, "bia@solis.example")
    with api(migrated, tmp_path, bia) as client:
        assert client.get("/api/v1/users/me").json()["role"] == "supervisor"
        other_process(
            migrated,
            """
            with transaction(factory) as s:
                s.scalar(select(User).where(User.email == "bia@solis.example")).role = "agent"
            """,
        )
        assert client.get("/api/v1/users/me").json()["role"] == "agent"
        other_process(
            migrated,
            """
            with transaction(factory) as s:
                s.scalar(select(User).where(User.email == "bia@solis.example")).active = False
            """,
        )
        assert client.get("/api/v1/users/me").status_code == 401
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/users/me").status_code == 200


def test_rules_and_sla_policies_saved_by_another_process_apply_to_the_next_ticket(
    migrated: str,  # noqa: F811 (the fixture of tests.test_cli)
    tmp_path: Path,
) -> None:
    token = _admin(migrated)
    ticket = {"subject": "Erro ao emitir NF-e", "body": "Desde ontem.", "channel": "chat",
              "requester": {"name": "Maria", "email": "maria@loja.example"}}  # fmt: skip
    with api(migrated, tmp_path, token) as client:
        first = client.post("/api/v1/tickets", json=ticket)
        assert first.status_code == 201, first.text
        assert first.json()["tags"] == [] and first.json()["sla"] is None
        other_process(
            migrated,
            """
            with transaction(factory) as s:
                week = {d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday")}
                cal = Calendar(name="Comercial", timezone="America/Sao_Paulo", weekly_hours=week)
                s.add(cal)
                s.flush()
                s.add(SlaPolicy(name="Chat", position=0, calendar_id=cal.id,
                                conditions={}, first_response_minutes=30, pause_statuses=[],
                                escalation={}, warning_percent=80, public=False,
                                chat_resolution_starts_at_chat_end=False))
                s.add(Rule(name="NF-e", active=True, position=0, event="ticket_created",
                           conditions={"all": [{"field": "ticket.subject", "op": "contains",
                                                "value": "NF-e"}]},
                           actions=[{"type": "add_tags", "value": ["nfe"]}]))
            """,
        )
        second = client.post("/api/v1/tickets", json=ticket)
        assert second.status_code == 201, second.text
        assert second.json()["tags"] == ["nfe"]
        assert second.json()["sla"]["policy_name"] == "Chat"
        other_process(
            migrated,
            """
            with transaction(factory) as s:
                s.scalar(select(Rule)).active = False
            """,
        )
        third = client.post("/api/v1/tickets", json=ticket)
        assert third.json()["tags"] == []


def test_contacts_organizations_plans_and_queues_changed_by_another_process_count_at_once(
    migrated: str,  # noqa: F811 (the fixture of tests.test_cli)
    tmp_path: Path,
) -> None:
    """A change made by another process shows in the very next ticket of this one (its
    organization, its priority class, the rules that see the plan)."""
    token = _admin(migrated)
    with api(migrated, tmp_path, token) as client:
        plan = client.post("/api/v1/plans", json={"name": "Básico", "rank": 1}).json()
        org_a = client.post("/api/v1/organizations", json={"name": "Loja A", "plan_id": plan["id"]})
        org_b = client.post("/api/v1/organizations", json={"name": "Loja B"}).json()
        contact = client.post(
            "/api/v1/contacts",
            json={
                "name": "Maria",
                "email": "maria@loja.example",
                "organization_id": org_a.json()["id"],
            },
        ).json()
        queue = client.post("/api/v1/queues", json={"name": "Suporte N1"}).json()
        prime = {"all": [{"field": "organization.plan", "op": "eq", "value": "Prime"}]}
        rule = {"name": "Prime", "event": "ticket_created", "conditions": prime,
                "actions": [{"type": "add_tags", "value": ["prime"]}]}  # fmt: skip
        assert client.post("/api/v1/rules", json=rule).status_code == 201
        ticket = {"subject": "PDV", "contact_id": contact["id"], "queue_id": queue["id"]}
        for _ in range(2):  # the second one from the copies
            first = client.post("/api/v1/tickets", json=ticket).json()
            assert first["organization_id"] == org_a.json()["id"] and first["tags"] == []
        other_process(
            migrated,
            f"""
            from atende.customers.models import Contact, Plan
            with transaction(factory) as s:
                s.get(Plan, {plan["id"]}).name = "Prime"
            """,
        )
        assert client.post("/api/v1/tickets", json=ticket).json()["tags"] == ["prime"]
        other_process(
            migrated,
            f"""
            from atende.customers.models import Contact
            from atende.queues.models import Queue
            with transaction(factory) as s:
                s.get(Contact, {contact["id"]}).organization_id = {org_b["id"]}
                s.get(Queue, {queue["id"]}).assignment_mode = "round_robin"
            """,
        )
        moved = client.post("/api/v1/tickets", json=ticket).json()
        assert moved["organization_id"] == org_b["id"] and moved["tags"] == []


def test_reply_check_lists_replaced_by_another_process_count_at_once(
    migrated: str,  # noqa: F811 (the fixture of tests.test_cli)
    tmp_path: Path,
) -> None:
    token = _admin(migrated)
    draft = {"body": "A contabilidade envia logo. Alguma dúvida?"}
    with api(migrated, tmp_path, token) as client:
        for _ in range(2):  # the second one from the copy
            assert client.post("/api/v1/reply-check", json=draft).json() == {"findings": []}
        other_process(
            migrated,
            """
            from atende.auth.actor import SYSTEM
            from atende.replycheck import service
            with transaction(factory) as s:
                service.replace_list(s, actor=SYSTEM, name="departments",
                                     items=[{"phrase": "contabilidade"}], now=now)
                service.replace_list(s, actor=SYSTEM, name="deadlines",
                                     items=[{"phrase": "logo"}], now=now)
            """,
        )
        found = client.post("/api/v1/reply-check", json=draft).json()["findings"]
        assert [f["phrase"] for f in found] == ["A contabilidade envia logo"]
