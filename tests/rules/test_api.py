"""The rules and canned replies API: CRUD, checks on save naming the path, who may do what,
and the dry-run (which writes nothing and agrees with what the engine then does)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.jobs.models import Job
from atende.tickets.models import Message, TicketEvent

V1 = "/api/v1"


def ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, res.text
    return res.json() if status != 204 else None


def problem(res: Any, status: int = 422) -> tuple[str | None, str]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body = res.json()
    errors = body.get("errors") or [{}]
    return errors[0].get("field"), body["detail"]


@pytest.fixture
def queues(admin: Any) -> dict[str, int]:
    return {
        name: ok(admin.post(f"{V1}/queues", json={"name": name}), 201)["id"]
        for name in ("Suporte N1", "Financeiro")
    }


def prime_rule(queue_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Prime",
        "event": "ticket_created",
        "conditions": {"all": [{"field": "organization.plan", "op": "eq", "value": "Prime"}]},
        "actions": [
            {"type": "set_queue", "value": queue_id},
            {"type": "add_tags", "value": ["prime"]},
        ],
        **extra,
    }


def test_rule_crud(admin: Any, queues: dict[str, int]) -> None:
    created = ok(admin.post(f"{V1}/rules", json=prime_rule(queues["Financeiro"])), 201)
    assert created["position"] == 0 and created["active"] is True
    assert created["conditions_text"] == "organization.plan = Prime"
    assert created["actions"][1] == {"type": "add_tags", "value": ["prime"]}
    second = ok(
        admin.post(
            f"{V1}/rules",
            json={
                "name": "Lembrete",
                "event": "time_based",
                "time": {"status": "pending_customer", "business_hours": 72},
                "actions": [{"type": "add_note", "value": "Cliente sem resposta há 3 dias úteis"}],
            },
        ),
        201,
    )
    assert second["position"] == 1
    assert second["time"] == {"status": "pending_customer", "business_hours": 72}
    rid = created["id"]
    assert [r["name"] for r in ok(admin.get(f"{V1}/rules"))] == ["Prime", "Lembrete"]
    patched = ok(admin.patch(f"{V1}/rules/{rid}", json={"active": False, "position": 9}))
    assert (patched["active"], patched["position"]) == (False, 9)
    assert patched["actions"] == created["actions"]
    # leaving time_based drops the trigger
    moved = ok(admin.patch(f"{V1}/rules/{second['id']}", json={"event": "ticket_updated"}))
    assert moved["time"] is None
    field, _ = problem(admin.patch(f"{V1}/rules/{rid}", json={"name": None}))
    assert field == "name"
    ok(admin.delete(f"{V1}/rules/{rid}"), 204)
    problem(admin.get(f"{V1}/rules/{rid}"), 404)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"conditions": {"all": [{"field": "organization.plano", "op": "eq", "value": "x"}]}},
            "conditions.all[0].field",
            "did you mean 'organization.plan'",
        ),
        (
            {"conditions": {"all": [{"field": "organization.plan", "op": "equals", "value": "x"}]}},
            "conditions.all[0].op",
            "unknown op",
        ),
        (
            {"actions": [{"type": "set_queue", "value": 1}, {"type": "explode", "value": 1}]},
            "actions[1].type",
            "",
        ),
        (
            {"actions": [{"type": "set_queue", "value": 10**9}]},
            "actions[0].value",
            "does not exist",
        ),
        (
            {"actions": [{"type": "set_assignee", "value": 10**9}]},
            "actions[0].value",
            "not an active agent",
        ),
        (
            {"actions": [{"type": "set_type", "value": "reclamacao"}]},
            "actions[0].value",
            "unknown ticket type",
        ),
        (
            {"actions": [{"type": "send_canned_reply", "value": 10**9}]},
            "actions[0].value",
            "canned reply",
        ),
        (
            {"actions": [{"type": "add_note", "value": "Olá {{cliente.nome}}"}]},
            "actions[0].value",
            "unknown variable",
        ),
        (
            {"actions": [{"type": "transfer", "value": {"queue_id": 10**9, "reason": "x"}}]},
            "actions[0].value.queue_id",
            "does not exist",
        ),
        (
            {"actions": [{"type": "notify_webhook", "value": {"url": "javascript:alert(1)"}}]},
            "actions[0].value.url",
            "https://",
        ),
        (
            {"actions": [{"type": "notify_webhook", "value": {"url": "http://169.254.169.254/x"}}]},
            "actions[0].value.url",
            "169.254.169.254 is a",
        ),
        (
            {
                "conditions": {
                    "all": [{"field": "ticket.subject", "op": "matches", "value": "(?=x)"}]
                }
            },
            "conditions.all[0].value",
            "invalid regular expression '(?=x)'",
        ),
        ({"event": "time_based"}, "time", "needs"),
        ({"actions": []}, "actions", ""),
        ({"frequency": 3}, "frequency", ""),
    ],
)
def test_rules_are_checked_when_saved(
    admin: Any, queues: dict[str, int], change: dict[str, Any], field: str, words: str
) -> None:
    field_got, detail = problem(admin.post(f"{V1}/rules", json={**prime_rule(1), **change}))
    assert field_got == field
    assert words in detail


def test_rule_names_are_unique(admin: Any, queues: dict[str, int]) -> None:
    ok(admin.post(f"{V1}/rules", json=prime_rule(queues["Financeiro"])), 201)
    field, _ = problem(
        admin.post(f"{V1}/rules", json=prime_rule(queues["Financeiro"], name="PRIME")), 409
    )
    assert field == "name"


def test_who_may_do_what(admin: Any, make_user: Any, queues: dict[str, int]) -> None:
    supervisor, agent = make_user("supervisor"), make_user("agent")
    rule = ok(
        admin.post(
            f"{V1}/rules",
            json=prime_rule(
                queues["Financeiro"],
                actions=[
                    {
                        "type": "notify_webhook",
                        "value": {"url": "https://h.test/x", "secret": "segredo"},
                    }
                ],
            ),
        ),
        201,
    )
    reply = ok(admin.post(f"{V1}/canned-replies", json={"name": "Oi", "body": "Olá!"}), 201)
    # supervisors read rules, but not the webhook secret; agents do not read rules
    [seen] = ok(supervisor.get(f"{V1}/rules"))
    assert seen["actions"][0]["value"]["secret"] == "********"
    assert ok(admin.get(f"{V1}/rules/{rule['id']}"))["actions"][0]["value"]["secret"] == "segredo"
    problem(agent.get(f"{V1}/rules"), 403)
    problem(supervisor.post(f"{V1}/rules", json=prime_rule(queues["Financeiro"], name="X")), 403)
    problem(supervisor.patch(f"{V1}/rules/{rule['id']}", json={"active": False}), 403)
    # staff read canned replies; only admins write them
    assert [r["name"] for r in ok(agent.get(f"{V1}/canned-replies"))] == ["Oi"]
    problem(agent.patch(f"{V1}/canned-replies/{reply['id']}", json={"body": "x"}), 403)
    problem(supervisor.post(f"{V1}/canned-replies", json={"name": "B", "body": "x"}), 403)


def test_canned_replies(admin: Any, make_user: Any, queues: dict[str, int]) -> None:
    body = "Olá, {{contact.first_name|cliente}}! Seu chamado é o #{{ticket.number}}."
    reply = ok(admin.post(f"{V1}/canned-replies", json={"name": "Saudação", "body": body}), 201)
    assert reply["variables"] == ["contact.first_name", "ticket.number"]
    field, detail = problem(
        admin.post(f"{V1}/canned-replies", json={"name": "Ruim", "body": "{{contato.nome}}"})
    )
    assert field == "body" and "unknown variable 'contato.nome'" in detail
    problem(admin.post(f"{V1}/canned-replies", json={"name": "saudação", "body": "x"}), 409)
    # fill it in for a ticket (nothing is sent)
    ticket = ok(
        admin.post(
            f"{V1}/tickets",
            json={
                "subject": "PDV",
                "body": "Travou",
                "requester": {"name": "Júlia Martins", "email": "julia@lojadajulia.com.br"},
            },
        ),
        201,
    )
    rendered = ok(
        admin.get(f"{V1}/canned-replies/{reply['id']}/render", params={"ticket_id": ticket["id"]})
    )
    assert rendered["body"] == f"Olá, Júlia! Seu chamado é o #{ticket['id']}."
    agent = make_user("agent", queue_ids=[queues["Suporte N1"]])
    problem(
        agent.get(f"{V1}/canned-replies/{reply['id']}/render", params={"ticket_id": ticket["id"]}),
        404,
    )
    # a reply a rule sends cannot be deleted
    ok(
        admin.post(
            f"{V1}/rules",
            json={
                "name": "Auto",
                "event": "ticket_created",
                "actions": [{"type": "send_canned_reply", "value": reply["id"]}],
            },
        ),
        201,
    )
    _, detail = problem(admin.delete(f"{V1}/canned-replies/{reply['id']}"), 409)
    assert "'Auto'" in detail
    other = ok(admin.post(f"{V1}/canned-replies", json={"name": "Outra", "body": "x"}), 201)
    renamed = ok(admin.patch(f"{V1}/canned-replies/{other['id']}", json={"name": "Nova"}))
    assert renamed["name"] == "Nova"
    ok(admin.delete(f"{V1}/canned-replies/{other['id']}"), 204)


def _counts(db: Session, ticket_id: int) -> tuple[int, int, int]:
    events = db.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))
    messages = db.scalar(select(func.count()).where(Message.ticket_id == ticket_id))
    jobs = db.scalar(select(func.count()).select_from(Job))
    return int(events or 0), int(messages or 0), int(jobs or 0)


def test_dry_run_shows_what_would_happen_and_writes_nothing(
    admin: Any, make_user: Any, queues: dict[str, int], db: Session
) -> None:
    plan = ok(admin.post(f"{V1}/plans", json={"name": "Prime"}), 201)["id"]
    org = ok(admin.post(f"{V1}/organizations", json={"name": "Bom Preço", "plan_id": plan}), 201)[
        "id"
    ]
    contact = ok(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Rui", "email": "rui@bompreco.com.br", "organization_id": org},
        ),
        201,
    )["id"]
    ticket = ok(
        admin.post(
            f"{V1}/tickets", json={"subject": "PDV", "body": "Oi #prime", "contact_id": contact}
        ),
        201,
    )
    ok(admin.post(f"{V1}/rules", json=prime_rule(queues["Financeiro"])), 201)
    ok(
        admin.post(
            f"{V1}/rules",
            json={
                "name": "Aviso",
                "event": "ticket_updated",
                "conditions": {
                    "all": [{"field": "ticket.queue", "op": "eq", "value": "Financeiro"}]
                },
                "actions": [{"type": "notify_email", "value": {"to": ["fin@solis.test"]}}],
            },
        ),
        201,
    )
    before = _counts(db, ticket["id"])
    result = ok(admin.post(f"{V1}/rules/dry-run", json={"ticket_id": ticket["id"]}))
    assert _counts(db, ticket["id"]) == before
    assert result["facts"]["organization.plan"] == "Prime"
    assert result["facts"]["ticket.in_business_hours"] is True  # no calendar: always open
    by_event = {run["event"]: run for run in result["runs"]}
    assert set(by_event) == {"ticket_created", "ticket_updated"}
    created = by_event["ticket_created"]
    assert created["message_id"] is not None
    assert [(s["depth"], s["rule_name"], s["matched"]) for s in created["steps"]] == [
        (1, "Prime", True),
        (2, "Aviso", True),
    ]
    fin = queues["Financeiro"]
    assert created["steps"][0]["planned"] == [f"queue → Financeiro (queue {fin})", "tags → [prime]"]
    assert created["steps"][1]["planned"] == ["e-mail fin@solis.test"]
    assert created["steps"][0]["effects"] == [
        {"kind": "change", "field": "queue_id", "value": fin, "index": None, "why": None},
        {"kind": "change", "field": "tags", "value": ["prime"], "index": None, "why": None},
    ]
    assert created["steps"][1]["effects"] == [
        {"kind": "action", "field": None, "value": None, "index": 0, "why": None}
    ]
    assert created["steps"][0]["explanation"] == "organization.plan = Prime"
    updated = by_event["ticket_updated"]["steps"]
    assert updated[0]["matched"] is False
    assert (
        updated[0]["explanation"] == "ticket.queue = Financeiro is false (ticket.queue is Triagem)"
    )
    assert updated[0]["checks"] == [
        {"field": "ticket.queue", "op": "eq", "value": "Financeiro", "fact": "Triagem",
         "holds": False, "depth": 1, "group": "all"}
    ]  # fmt: skip
    # a draft replaces the stored rule of its name, and is not saved
    draft = prime_rule(queues["Suporte N1"], conditions={})
    result = ok(
        admin.post(
            f"{V1}/rules/dry-run",
            json={"ticket_id": ticket["id"], "event": "ticket_created", "rule": draft},
        )
    )
    [run] = result["runs"]
    n1 = queues["Suporte N1"]
    assert run["steps"][0]["planned"] == [f"queue → Suporte N1 (queue {n1})", "tags → [prime]"]
    assert run["steps"][1]["matched"] is False
    assert [r["name"] for r in ok(admin.get(f"{V1}/rules"))] == ["Prime", "Aviso"]
    assert _counts(db, ticket["id"]) == before
    # checks: the draft, the message, the role
    field, _ = problem(
        admin.post(
            f"{V1}/rules/dry-run",
            json={
                "ticket_id": ticket["id"],
                "rule": {**draft, "actions": [{"type": "set_queue", "value": 10**9}]},
            },
        )
    )
    assert field == "actions[0].value"
    other = ok(admin.post(f"{V1}/tickets", json={"subject": "Outro", "body": "x"}), 201)
    other_message = db.scalar(select(Message.id).where(Message.ticket_id == other["id"]))
    field, _ = problem(
        admin.post(
            f"{V1}/rules/dry-run", json={"ticket_id": ticket["id"], "message_id": other_message}
        )
    )
    assert field == "message_id"
    problem(make_user("agent").post(f"{V1}/rules/dry-run", json={"ticket_id": ticket["id"]}), 403)
    problem(admin.post(f"{V1}/rules/dry-run", json={"ticket_id": 10**12}), 404)


def test_dry_run_agrees_with_the_engine(admin: Any, queues: dict[str, int]) -> None:
    """Predict with a dry-run, then let it happen: the same rules do the same things."""
    rules = [
        {
            "name": "Cancelamento",
            "event": "message_received",
            "conditions": {
                "all": [
                    {
                        "field": "message.text",
                        "op": "matches",
                        "value": r"\bcancelar\b.{0,30}\bsistema",
                    }
                ]
            },
            "actions": [
                {"type": "add_tags", "value": ["cancelamento"]},
                {"type": "set_priority", "value": "high"},
            ],
        },
        {
            "name": "Alta",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "ticket.priority", "op": "eq", "value": "high"}]},
            "actions": [
                {
                    "type": "transfer",
                    "value": {"queue_id": queues["Financeiro"], "reason": "Prioridade alta"},
                }
            ],
        },
    ]
    for rule in rules:
        ok(admin.post(f"{V1}/rules", json=rule), 201)
    ticket = ok(
        admin.post(
            f"{V1}/tickets",
            json={
                "subject": "Sistema",
                "body": "Oi",
                "queue_id": queues["Suporte N1"],
                "requester": {"name": "Ana", "email": "ana@lojadaana.com.br"},
            },
        ),
        201,
    )
    said = ok(
        admin.post(
            f"{V1}/tickets/{ticket['id']}/messages",
            json={"body": "Quero cancelar o sistema", "public": True, "author": "contact"},
        ),
        201,
    )
    timeline = ok(admin.get(f"{V1}/tickets/{ticket['id']}/timeline"))
    ran = [(e["after"]["rule"], e["after"]["actions"]) for e in timeline if e.get("kind") == "rule"]
    fin = queues["Financeiro"]
    assert ran == [
        ("Cancelamento", ["priority → high", "tags → [cancelamento]"]),
        ("Alta", [f"transfer to Financeiro (queue {fin}) (reason: 'Prioridade alta')"]),
    ]
    # the dry-run for that message, run afterwards, would do nothing more (already done) —
    # run it on a twin ticket instead, before its message
    twin = ok(
        admin.post(
            f"{V1}/tickets",
            json={
                "subject": "Sistema",
                "body": "Quero cancelar o sistema",
                "queue_id": queues["Suporte N1"],
                "requester": {"name": "Ana", "email": "ana@lojadaana.com.br"},
            },
        ),
        201,
    )
    timeline = ok(admin.get(f"{V1}/tickets/{twin['id']}/timeline"))
    first = next(e for e in timeline if e["entry"] == "message")
    predicted = ok(
        admin.post(
            f"{V1}/rules/dry-run",
            json={"ticket_id": twin["id"], "event": "message_received", "message_id": first["id"]},
        )
    )
    steps = predicted["runs"][0]["steps"]
    assert [
        (s["rule_name"], s["planned"]) for s in steps if s["matched"] and not s["skipped"]
    ] == ran
    assert steps[-1]["skipped"] == "already ran in this chain of changes; would change nothing now"
    assert said["ticket_id"] == ticket["id"]


def test_patterns_that_backtrack_in_python_are_saved_and_dry_run_at_once(
    admin: Any, queues: dict[str, int]
) -> None:
    """Rule patterns run on RE2 (linear time): patterns that make a backtracking engine take
    minutes on a 30-character subject are accepted, and answer correctly at once."""
    subject = "a" * 29 + "!"
    ticket = ok(admin.post(f"{V1}/tickets", json={"subject": subject, "body": "x"}), 201)

    def rule(pattern: str) -> dict[str, Any]:
        return {
            "name": "Lenta",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "ticket.subject", "op": "matches", "value": pattern}]},
            "actions": [{"type": "add_tags", "value": ["lenta"]}],
        }

    ok(admin.post(f"{V1}/rules", json=rule("(a|a)*$")), 201)
    for pattern, matched in [
        ("(a|a)*$", True),  # the empty match at the end of the subject
        ("(.*a){15}$", False),  # the subject ends with "!", never right after an "a"
        ("(A|AA)+!$", True),  # case-insensitive, as before
    ]:
        result = ok(
            admin.post(
                f"{V1}/rules/dry-run",
                json={"ticket_id": ticket["id"], "event": "ticket_updated", "rule": rule(pattern)},
            )
        )
        steps = [s for run in result["runs"] for s in run["steps"] if s["rule_name"] == "Lenta"]
        assert steps and all(s["matched"] is matched for s in steps), (pattern, result)
