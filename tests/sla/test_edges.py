"""Issue #15's SLA edges, each as a user met it, through the HTTP API (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from tests.jobs.conftest import Clock, clock, make_worker
from tests.sla.helpers import WEEKDAYS, make_calendar, make_policy
from tests.tickets.conftest import make_queue

__all__ = ["clock", "make_queue", "make_worker"]  # fixtures

T = "/api/v1/tickets"
ALWAYS = {d: [["00:00", "24:00"]] for d in WEEKDAYS}
# Wednesday 2026-11-25 10:00 in São Paulo (13:00 UTC)
START = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def always_open(admin: Any, name: str = "24x7") -> int:
    return make_calendar(admin, name, weekly_hours=ALWAYS, holidays=None)


def at(instant: datetime) -> Any:
    return time_machine.travel(instant, tick=False)


def new_ticket(admin: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "subject": "PDV travado",
        "body": "O caixa não abre",
        "requester": {"name": "Bia", "email": "bia@loja.example"},
        **fields,
    }
    made = admin.post(T, json=body)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def timeline(user: Any, ticket_id: int) -> list[dict[str, Any]]:
    got = user.get(f"{T}/{ticket_id}/timeline")
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


# -- 1. a customer message in the same second as the agent's reply --------------------------


def test_a_customer_message_in_the_same_second_as_the_reply_starts_the_next_response_clock(
    admin: Any,
) -> None:
    make_policy(
        admin, "Chat", always_open(admin), first_response_minutes=30, next_response_minutes=20
    )
    with at(START):
        ticket = new_ticket(admin)
    with at(START + timedelta(minutes=5, seconds=0.2)):
        reply = admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Olá, já vejo."})
        assert reply.status_code == 201, reply.text
    with at(START + timedelta(minutes=5, seconds=0.7)):
        again = admin.post(
            f"{T}/{ticket['id']}/messages", json={"body": "Ainda trava", "author": "contact"}
        )
        assert again.status_code == 201, again.text
    shown = admin.get(f"{T}/{ticket['id']}").json()["sla"]["targets"]
    assert shown["first_response"]["state"] == "met"
    nxt = shown["next_response"]
    assert nxt["state"] == "running"
    assert nxt["due_at"].startswith("2026-11-25T13:25:00")

    # ... and so does one in the same second as a later reply (not only the first one)
    with at(START + timedelta(minutes=10)):
        admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Reinicie, por favor."})
        admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Não", "author": "contact"})
    nxt = admin.get(f"{T}/{ticket['id']}").json()["sla"]["targets"]["next_response"]
    assert nxt["state"] == "running"
    assert nxt["due_at"].startswith("2026-11-25T13:30:00")


# -- 5. an imported reply is credited to its agent -----------------------------------------


def test_an_imported_first_reply_is_credited_to_its_agent_not_the_importer(
    admin: Any, make_user: Any
) -> None:
    agent = make_user("agent", name="Carla Agente")
    ticket = new_ticket(
        admin,
        created_at="2026-11-20T12:00:00+00:00",
        status="resolved",
        messages=[
            {"author": "agent", "body": "Resolvido.", "created_at": "2026-11-20T12:30:00+00:00",
             "agent_id": agent.id},
        ],
    )  # fmt: skip
    [opened] = [e for e in timeline(admin, ticket["id"]) if e.get("after") == "open"]
    assert opened["detail"] == "first public reply"
    assert opened["actor_user_id"] == agent.id
    assert opened["actor"] == "Carla Agente (import)"

    # a reply with no agent named stays the import's
    other = new_ticket(
        admin,
        created_at="2026-11-20T12:00:00+00:00",
        status="open",
        messages=[{"author": "agent", "body": "Olá", "created_at": "2026-11-20T12:10:00+00:00"}],
    )
    [opened] = [e for e in timeline(admin, other["id"]) if e.get("after") == "open"]
    assert opened["actor_user_id"] == admin.id
    assert opened["actor"] == "Ana Admin (import)"


# -- 6. the auto-close instant is shown ------------------------------------------------------


def test_the_ticket_api_shows_when_a_resolved_ticket_closes_itself(
    admin: Any, make_user: Any
) -> None:
    cal = make_calendar(admin)  # Mon-Fri 08:30-12:00, 13:30-18:00, BR holidays
    make_policy(admin, "Padrão", cal, resolution_minutes=960, auto_close_business_hours=16)
    with at(START):
        ticket = new_ticket(admin)
    assert ticket["auto_close_at"] is None
    with at(START + timedelta(hours=1)):  # Wed 11:00 local
        resolved = admin.patch(f"{T}/{ticket['id']}", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    # 16 business hours from Wed 11:00: Wed 1 h + 4.5 h, Thu 8 h, Fri 08:30-11:00 (2.5 h)
    assert resolved.json()["auto_close_at"] == "2026-11-27T14:00:00Z"
    shown = admin.get(f"{T}/{ticket['id']}").json()
    assert shown["auto_close_at"] == "2026-11-27T14:00:00Z"
    listed = admin.get(T, params={"status": "resolved"}).json()["items"]
    assert [t["auto_close_at"] for t in listed if t["id"] == ticket["id"]] == [
        "2026-11-27T14:00:00Z"
    ]
    # the customer answers: the ticket reopens and nothing is scheduled any more
    with at(START + timedelta(hours=2)):
        admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Voltou", "author": "contact"})
    assert admin.get(f"{T}/{ticket['id']}").json()["auto_close_at"] is None


# -- 4. a split that would empty the original ----------------------------------------------


def test_a_split_that_would_take_the_whole_conversation_is_refused(admin: Any) -> None:
    make_policy(admin, "Chat", always_open(admin), first_response_minutes=30)
    with at(START):
        ticket = new_ticket(admin)
        note = admin.post(
            f"{T}/{ticket['id']}/messages", json={"body": "nota interna", "public": False}
        ).json()
    [opening] = [
        e for e in timeline(admin, ticket["id"]) if e["entry"] == "message" and e["public"]
    ]
    refused = admin.post(
        f"{T}/{ticket['id']}/split", json={"message_ids": [opening["id"]], "subject": "Outro"}
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "split_would_empty_ticket"
    assert problem["errors"][0]["field"] == "message_ids"
    assert refused.headers["content-type"].startswith("application/problem+json")
    # nothing was written: the message stayed, no ticket was made, the clock is the original's
    entries = timeline(admin, ticket["id"])
    assert [e["id"] for e in entries if e["entry"] == "message"] == [opening["id"], note["id"]]
    assert not [e for e in entries if e.get("kind") == "split"]
    assert admin.get(T).json()["items"][0]["id"] == ticket["id"]
    assert len(admin.get(T).json()["items"]) == 1

    # with a second customer message the split is fine, and each ticket keeps a conversation
    with at(START + timedelta(minutes=1)):
        other = admin.post(
            f"{T}/{ticket['id']}/messages", json={"body": "Outro assunto", "author": "contact"}
        ).json()
        split = admin.post(
            f"{T}/{ticket['id']}/split", json={"message_ids": [other["id"]], "subject": "Outro"}
        )
    assert split.status_code == 201, split.text
    assert split.json()["sla"]["targets"]["first_response"]["state"] == "running"


# -- 2. a new policy re-evaluates an old ticket ----------------------------------------------

RAISE_BOTH = {"warning": {"raise_priority": True}, "breach": {"raise_priority": True}}


def test_a_new_policy_records_what_it_finds_once_dated_now_and_escalates_once(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Any
) -> None:
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    cal = always_open(admin)
    with at(START):
        ticket = new_ticket(admin, queue_id=queue.id, assignee_id=agent.id)
    assert ticket["sla"] is None
    later = START + timedelta(days=3)
    with at(later):
        make_policy(admin, "Nova", cal, first_response_minutes=30, escalation=RAISE_BOTH)
        assert make_worker().run_due_jobs() >= 1
    shown = admin.get(f"{T}/{ticket['id']}").json()
    assert shown["sla"]["targets"]["first_response"]["state"] == "breached"
    assert shown["sla"]["targets"]["first_response"]["breached_at"] == "2026-11-25T13:30:00Z"
    assert shown["priority"] == "high"  # one step, not two
    entries = timeline(admin, ticket["id"])
    found = [e for e in entries if e.get("kind") in ("sla_warning", "sla_breached")]
    assert [e["kind"] for e in found] == ["sla_breached"]  # the state found, once
    assert found[0]["created_at"] == "2026-11-28T13:00:00Z"  # when it was found
    assert found[0]["detail"] == "first response breached at 2026-11-25 10:30:00-03:00"
    [raised] = [e for e in entries if e.get("kind") == "priority"]
    assert (raised["before"], raised["after"]) == ("normal", "high")
    assert raised["created_at"] == "2026-11-28T13:00:00Z"
    notes = agent.get("/api/v1/notifications").json()["items"]
    assert [n["kind"] for n in notes] == ["sla_breach"]

    # later re-evaluations find nothing new
    with at(later + timedelta(hours=1)):
        admin.patch(f"/api/v1/sla-policies/{shown['sla']['policy_id']}", json={"position": 3})
        make_worker().run_due_jobs()
    again = timeline(admin, ticket["id"])
    assert [e.get("kind") for e in again].count("sla_breached") == 1
    assert [e.get("kind") for e in again].count("priority") == 1
    assert len(agent.get("/api/v1/notifications").json()["items"]) == 1


def test_a_policy_change_keeps_a_breach_and_does_not_escalate_it_again(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Any, clock: Clock
) -> None:
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    cal = always_open(admin)
    strict = make_policy(
        admin, "Estrita", cal, position=5, first_response_minutes=30, escalation=RAISE_BOTH
    )
    with at(START):
        ticket = new_ticket(admin, queue_id=queue.id, assignee_id=agent.id)
    for minutes in (25, 31):  # the warning, then the breach: each raises one step
        clock.now = START + timedelta(minutes=minutes)
        with at(clock.now):
            make_worker().run_sweeps(0, force=True)
    assert admin.get(f"{T}/{ticket['id']}").json()["priority"] == "urgent"
    clock.now = START + timedelta(minutes=40)
    with at(clock.now):  # a looser policy takes over
        make_policy(admin, "Folgada", cal, position=0, first_response_minutes=120,
                    escalation=RAISE_BOTH)  # fmt: skip
        make_worker().run_due_jobs()
    clock.now = START + timedelta(minutes=130)  # its own due instant passes
    with at(clock.now):
        make_worker().run_sweeps(0, force=True)
    shown = admin.get(f"{T}/{ticket['id']}").json()
    assert shown["sla"]["policy_name"] == "Folgada"
    assert shown["sla"]["targets"]["first_response"]["state"] == "breached"
    assert shown["sla"]["targets"]["first_response"]["breached_at"] == "2026-11-25T13:30:00Z"
    kinds = [e.get("kind") for e in timeline(admin, ticket["id"])]
    assert kinds.count("sla_breached") == 1 and kinds.count("sla_warning") == 1
    notes = agent.get("/api/v1/notifications").json()["items"]
    assert sorted(n["kind"] for n in notes) == ["sla_breach", "sla_warning"]
    assert strict["id"] != shown["sla"]["policy_id"]


# -- 3. an escalation that switches the policy -----------------------------------------------


def by_priority(*values: str) -> dict[str, Any]:
    return {"all": [{"field": "ticket.priority", "op": "in", "value": list(values)}]}


def test_an_escalation_that_switches_the_policy_escalates_once(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Any, clock: Clock
) -> None:
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    cal = always_open(admin)
    make_policy(admin, "Normal", cal, conditions=by_priority("low", "normal"),
                first_response_minutes=60, escalation=RAISE_BOTH)  # fmt: skip
    make_policy(admin, "Alta", cal, conditions=by_priority("high", "urgent"),
                first_response_minutes=30, escalation=RAISE_BOTH)  # fmt: skip
    with at(START):
        ticket = new_ticket(admin, queue_id=queue.id, assignee_id=agent.id)
    assert ticket["sla"]["policy_name"] == "Normal"
    worker = make_worker()
    clock.now = START + timedelta(minutes=48, seconds=1)  # Normal's warning (80 % of 60 min)
    with at(clock.now):
        assert worker.run_sweeps(0, force=True)["sla"] == 1
    shown = admin.get(f"{T}/{ticket['id']}").json()
    assert shown["priority"] == "high"  # normal -> high, not on to urgent
    assert shown["sla"]["policy_name"] == "Alta"  # the raise switched the policy ...
    assert shown["sla"]["targets"]["first_response"]["state"] == "breached"  # ... recorded
    entries = timeline(admin, ticket["id"])
    assert [(e["before"], e["after"]) for e in entries if e.get("kind") == "priority"] == [
        ("normal", "high")
    ]
    # the breach under the new policy is told, not escalated again
    notes = agent.get("/api/v1/notifications").json()["items"]
    assert sorted(n["kind"] for n in notes) == ["sla_breach", "sla_warning"]
    clock.now = START + timedelta(minutes=61)
    with at(clock.now):
        worker.run_sweeps(0, force=True)
    assert admin.get(f"{T}/{ticket['id']}").json()["priority"] == "high"
