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


# -- 7. a target on its own clock (seed 001: 7 calendar days to resolve) ---------------------


def sao_paulo(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("America/Sao_Paulo"))  # type: ignore[misc]


def test_seed_001_resolution_in_seven_calendar_days_first_response_in_office_hours(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Any, clock: Clock
) -> None:
    office = make_calendar(admin, "Special Service")  # Mon-Fri 08:30-12:00, 13:30-18:00
    policy = make_policy(
        admin, "Special Service", office, first_response_minutes=480,
        resolution_minutes=7 * 24 * 60, target_clocks={"resolution": {"clock": "24x7"}},
        escalation={"warning": {"raise_priority": False}},
    )  # fmt: skip
    assert policy["target_clocks"] == {
        "first_response": {"clock": "calendar", "calendar_id": None},
        "resolution": {"clock": "24x7", "calendar_id": None},
    }
    assert (
        admin.get(f"/api/v1/sla-policies/{policy['id']}").json()["target_clocks"]
        == (policy["target_clocks"])
    )
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    friday = sao_paulo(2026, 10, 9, 19, 0)  # Monday 12 October is a national holiday
    with at(friday):
        ticket = new_ticket(admin, queue_id=queue.id, assignee_id=agent.id)
    targets = ticket["sla"]["targets"]
    # 480 business minutes wait for Tuesday 08:30; the 7 days run through weekend and holiday
    assert targets["first_response"]["due_at"] == "2026-10-13T21:00:00Z"
    assert targets["resolution"]["due_at"] == "2026-10-16T22:00:00Z"
    assert targets["resolution"]["warning_at"] == "2026-10-15T12:24:00Z"  # 80 % of 7 days

    with at(sao_paulo(2026, 10, 12, 10, 0)):  # the holiday: an agent answers anyway
        admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Estamos vendo."})
    shown = admin.get(f"{T}/{ticket['id']}").json()["sla"]["targets"]
    assert shown["first_response"]["state"] == "met"
    assert shown["first_response"]["business_seconds_used"] == 0  # nothing counted yet
    assert shown["resolution"]["business_seconds_used"] == (2 * 24 + 15) * 3600

    worker = make_worker()
    clock.now = sao_paulo(2026, 10, 15, 9, 24, 30)  # the warning, on the 24x7 clock
    with at(clock.now):
        assert worker.run_sweeps(0, force=True)["sla"] == 1
    clock.now = sao_paulo(2026, 10, 16, 19, 0, 30)  # the breach, a Friday evening
    with at(clock.now):
        assert worker.run_sweeps(0, force=True)["sla"] == 1
    shown = admin.get(f"{T}/{ticket['id']}").json()["sla"]["targets"]["resolution"]
    assert shown["state"] == "breached"
    assert shown["breached_at"] == "2026-10-16T22:00:00Z"
    found = [
        (e["kind"], e["created_at"], e["detail"])
        for e in timeline(admin, ticket["id"])
        if e.get("kind") in ("sla_warning", "sla_breached")
    ]
    assert found == [
        ("sla_warning", "2026-10-15T12:24:30Z",
         "resolution nearing its target: due 2026-10-16 19:00:00-03:00"),
        ("sla_breached", "2026-10-16T22:00:30Z",
         "resolution breached at 2026-10-16 19:00:00-03:00"),
    ]  # fmt: skip
    notes = agent.get("/api/v1/notifications").json()["items"]
    assert sorted(n["kind"] for n in notes) == ["sla_breach", "sla_warning"]


def test_a_target_on_a_calendar_of_its_own(admin: Any) -> None:
    office = make_calendar(admin, "Escritório")  # Mon-Fri 08:30-12:00, 13:30-18:00
    every_day = make_calendar(
        admin, "Todo dia", weekly_hours={d: [["08:00", "21:00"]] for d in WEEKDAYS}
    )
    policy = make_policy(
        admin, "Misto", office, first_response_minutes=30, resolution_minutes=960,
        target_clocks={"first_response": {"calendar_id": every_day}},
    )  # fmt: skip
    assert policy["target_clocks"]["first_response"] == {
        "clock": "calendar",
        "calendar_id": every_day,
    }
    with at(sao_paulo(2026, 11, 28, 20, 0)):  # a Saturday evening
        ticket = new_ticket(admin)
    targets = ticket["sla"]["targets"]
    assert targets["first_response"]["due_at"] == "2026-11-28T23:30:00Z"  # Sat 20:30 local
    assert targets["resolution"]["due_at"] == "2026-12-01T21:00:00Z"  # Tue 18:00: office hours

    # back on the policy's calendar: {} (and a removed target takes its clock along)
    back = admin.patch(f"/api/v1/sla-policies/{policy['id']}", json={"target_clocks": {}})
    assert back.status_code == 200, back.text
    assert back.json()["target_clocks"]["first_response"] == {
        "clock": "calendar",
        "calendar_id": None,
    }
    again = admin.patch(
        f"/api/v1/sla-policies/{policy['id']}",
        json={"target_clocks": {"resolution": {"clock": "24x7"}}},
    )
    assert again.status_code == 200, again.text
    dropped = admin.patch(f"/api/v1/sla-policies/{policy['id']}", json={"resolution_minutes": None})
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["target_clocks"] == {
        "first_response": {"clock": "calendar", "calendar_id": None}
    }


def test_target_clocks_are_validated(admin: Any) -> None:
    cal = make_calendar(admin, "Escritório")
    base = {"name": "X", "calendar_id": cal, "first_response_minutes": 30}

    def refused(**fields: Any) -> tuple[str, str]:
        r = admin.post("/api/v1/sla-policies", json={**base, **fields})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return r.json()["errors"][0]["field"], r.json()["detail"]

    field, _ = refused(target_clocks={"resolution": {"clock": "24x7"}})
    assert field == "target_clocks.resolution"  # the policy has no resolution target
    field, _ = refused(target_clocks={"first_response": {"clock": "24x7", "calendar_id": cal}})
    assert field == "target_clocks.first_response.calendar_id"
    field, _ = refused(target_clocks={"first_response": {"calendar_id": 999_999}})
    assert field == "target_clocks.first_response.calendar_id"
    field, _ = refused(target_clocks={"first_response": {"clock": "weekdays"}})
    assert field.startswith("target_clocks.first_response.clock")
    field, _ = refused(target_clocks={"first_reply": {"clock": "24x7"}})
    assert field.startswith("target_clocks.first_reply")
    made = admin.post("/api/v1/sla-policies", json=base)
    assert made.status_code == 201, made.text
    patch = admin.patch(f"/api/v1/sla-policies/{made.json()['id']}", json={"target_clocks": None})
    assert patch.status_code == 422 and patch.json()["errors"][0]["field"] == "target_clocks"
    assert admin.get("/api/v1/sla-policies").json()[0]["target_clocks"] == {
        "first_response": {"clock": "calendar", "calendar_id": None}
    }


# -- stretch: public and private targets on one ticket (seed 003) ---------------------------


def test_a_ticket_runs_the_public_promise_and_a_stricter_private_target(
    admin: Any, make_user: Any, make_queue: Any, make_worker: Any, clock: Clock
) -> None:
    cal = always_open(admin)
    policy = make_policy(
        admin, "Alta prioridade", cal, public=True, first_response_minutes=60,
        resolution_minutes=24 * 60, private_targets={"first_response_minutes": 30},
        escalation={"warning": {"raise_priority": False}},
    )  # fmt: skip
    assert policy["private_targets"] == {
        "first_response_minutes": 30,
        "next_response_minutes": None,
        "resolution_minutes": None,
    }
    queue = make_queue()
    agent = make_user("agent", queue_ids=[queue.id])
    with at(START):
        ticket = new_ticket(admin, queue_id=queue.id, assignee_id=agent.id)
    customer = make_user("contact", contact_id=ticket["requester_id"])
    sla = admin.get(f"{T}/{ticket['id']}").json()["sla"]
    assert sla["targets"]["first_response"]["due_at"] == "2026-11-25T14:00:00Z"
    assert set(sla["private_targets"]) == {"first_response"}
    assert sla["private_targets"]["first_response"]["due_at"] == "2026-11-25T13:30:00Z"
    assert sla["private_targets"]["first_response"]["warning_at"] == "2026-11-25T13:24:00Z"
    # the customer sees the promise, never the private target
    seen = customer.get(f"{T}/{ticket['id']}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["sla"]["targets"]["first_response"]["due_at"] == "2026-11-25T14:00:00Z"
    assert seen.json()["sla"]["private_targets"] is None
    assert "2026-11-25T13:30:00Z" not in seen.text  # the private due instant

    worker = make_worker()
    for minutes in (24, 30):  # the private warning, then its breach: the promise still runs
        clock.now = START + timedelta(minutes=minutes, seconds=1)
        with at(clock.now):
            assert worker.run_sweeps(0, force=True)["sla"] == 1
    sla = admin.get(f"{T}/{ticket['id']}").json()["sla"]
    assert sla["private_targets"]["first_response"]["state"] == "breached"
    assert sla["targets"]["first_response"]["state"] == "running"
    with at(START + timedelta(minutes=40)):
        admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Olá, estamos vendo."})
    sla = admin.get(f"{T}/{ticket['id']}").json()["sla"]
    assert sla["targets"]["first_response"]["state"] == "met"  # the promise was kept
    assert sla["private_targets"]["first_response"]["state"] == "breached"  # late inside
    assert sla["private_targets"]["first_response"]["met_at"] == "2026-11-25T13:40:00Z"
    details = [
        e["detail"]
        for e in timeline(admin, ticket["id"])
        if e.get("kind") in ("sla_warning", "sla_breached", "sla_met")
    ]
    assert details == [
        "private first response nearing its target: due 2026-11-25 10:30:00-03:00",
        "private first response breached at 2026-11-25 10:30:00-03:00",
        "first response met 20 min before due",
    ]
    notes = agent.get("/api/v1/notifications").json()["items"]
    assert sorted(n["kind"] for n in notes) == ["sla_breach", "sla_warning"]
    assert all("primeira resposta privada" in n["text"] for n in notes)  # the agent reads pt
    # nothing of it reaches the customer: not the events, not the clocks
    assert not [e for e in timeline(customer, ticket["id"]) if str(e.get("kind")).startswith("sla")]
    assert customer.get(f"{T}/{ticket['id']}").json()["sla"]["private_targets"] is None

    # a supervisor records why the private target was missed
    reason = admin.post(
        f"{T}/{ticket['id']}/sla/breach-reasons",
        json={"kind": "private_first_response", "category": "many_exchanges"},
    )
    assert reason.status_code == 201, reason.text


def test_private_targets_are_stricter_and_validated(admin: Any) -> None:
    cal = always_open(admin)
    base = {"name": "P", "calendar_id": cal, "first_response_minutes": 60}
    looser = admin.post(
        "/api/v1/sla-policies", json={**base, "private_targets": {"first_response_minutes": 90}}
    )
    assert looser.status_code == 422, looser.text
    assert looser.json()["errors"][0]["field"] == "private_targets.first_response_minutes"
    unknown = admin.post(
        "/api/v1/sla-policies", json={**base, "private_targets": {"first_reply_minutes": 9}}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].startswith("private_targets.first_reply_minutes")
    # a private target alone (no public promise of that kind) is allowed, with its own clock
    alone = admin.post("/api/v1/sla-policies", json={
        **base, "private_targets": {"resolution_minutes": 480},
        "target_clocks": {"resolution": {"clock": "24x7"}},
    })  # fmt: skip
    assert alone.status_code == 201, alone.text
    assert alone.json()["target_clocks"]["resolution"] == {"clock": "24x7", "calendar_id": None}
    removed = admin.patch(
        f"/api/v1/sla-policies/{alone.json()['id']}", json={"private_targets": {}}
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["private_targets"]["resolution_minutes"] is None
    assert "resolution" not in removed.json()["target_clocks"]
