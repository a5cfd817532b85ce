"""Capacity, assignment modes, the queue line, pulling the next ticket, followers, on-call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy.orm import Session

from atende.agents.models import AgentPresence
from atende.customers.models import Organization, Plan
from atende.db.base import utcnow
from tests.sla.helpers import make_calendar, make_policy

T = "/api/v1/tickets"
Q = "/api/v1/queues"
SP = ZoneInfo("America/Sao_Paulo")


def online(db: Session, *users: Any, status: str = "online") -> None:
    for user in users:
        row = db.get(AgentPresence, user.id)
        if row is None:
            db.add(AgentPresence(user_id=user.id, status=status, since=utcnow()))
        else:
            row.status = status
    db.commit()


def queue(admin: Any, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", f"Fila {id(fields)}")
    r = admin.post(Q, json=fields)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def ticket(admin: Any, queue_id: int, **fields: Any) -> dict[str, Any]:
    body = {"subject": "Chamado", "body": "ajuda", "queue_id": queue_id, **fields}
    r = admin.post(T, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def org(db: Session, *, rank: int = 0, key_account: bool = False) -> int:
    plan = Plan(name=f"Plano {rank}-{id(db)}-{utcnow().timestamp()}", rank=rank)
    db.add(plan)
    db.flush()
    row = Organization(name="Loja", plan_id=plan.id, key_account=key_account)
    db.add(row)
    db.commit()
    return row.id


def test_queues_take_an_assignment_mode_hours_and_capacity_defaults(admin: Any) -> None:
    cal = make_calendar(admin)
    made = queue(admin, name="Special Service", assignment_mode="least_loaded",
                 calendar_id=cal, default_max_open_tickets=5)  # fmt: skip
    assert made["assignment_mode"] == "least_loaded" and made["default_max_open_tickets"] == 5
    r = admin.patch(f"{Q}/{made['id']}", json={"assignment_mode": "round_robin"})
    assert r.json()["assignment_mode"] == "round_robin" and r.json()["calendar_id"] == cal
    bad = admin.post(Q, json={"name": "X", "assignment_mode": "random"})
    assert bad.status_code == 422 and "assignment_mode" in bad.text
    bad = admin.post(Q, json={"name": "Y", "calendar_id": 999999})
    assert bad.status_code == 422 and "calendar 999999 does not exist" in bad.text


def test_pull_takes_the_line_in_order_class_then_sla_then_arrival(
    admin: Any, db: Session, make_user: Any
) -> None:
    make_policy(admin, "Urgente", make_calendar(admin, "24x7", weekly_hours={
        d: [["00:00", "24:00"]] for d in
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }, holidays=None), first_response_minutes=60,
        conditions={"field": "ticket.priority", "op": "eq", "value": "urgent"})  # fmt: skip
    q = queue(admin, name="Suporte N1")
    agent = make_user("agent", queue_ids=[q["id"]])
    online(db, agent)
    plain = ticket(admin, q["id"])
    urgent = ticket(admin, q["id"], priority="urgent")  # has an SLA due instant
    prime = ticket(admin, q["id"], organization_id=org(db, rank=60))
    key = ticket(admin, q["id"], organization_id=org(db, rank=0, key_account=True))
    line = [e["ticket_id"] for e in agent.get(f"{Q}/{q['id']}/line").json()]
    assert line == [key["id"], prime["id"], urgent["id"], plain["id"]]
    taken = [agent.post(f"{Q}/{q['id']}/next").json()["id"] for _ in range(4)]
    assert taken == line
    assert agent.post(f"{Q}/{q['id']}/next").status_code == 204  # nothing waits
    assert admin.get(f"{T}/{key['id']}").json()["assignee_id"] == agent.id
    stats = admin.get(f"{Q}/{q['id']}/waits").json()
    assert stats["assignments"] == 4 and stats["average_wait_seconds"] >= 0


def test_a_paused_offline_or_full_agent_cannot_pull(
    admin: Any, db: Session, make_user: Any
) -> None:
    q = queue(admin, name="Suporte N2", default_max_open_tickets=1)
    agent = make_user("agent", queue_ids=[q["id"]])
    outsider = make_user("agent")
    ticket(admin, q["id"])
    ticket(admin, q["id"])
    r = agent.post(f"{Q}/{q['id']}/next")
    assert r.status_code == 409 and "you are offline" in r.json()["detail"]
    online(db, agent, status="paused")
    assert "you are paused" in agent.post(f"{Q}/{q['id']}/next").json()["detail"]
    online(db, agent)
    assert agent.post(f"{Q}/{q['id']}/next").status_code == 200
    r = agent.post(f"{Q}/{q['id']}/next")
    assert r.status_code == 409
    assert r.json()["detail"] == "you are at capacity: 1 open tickets of 1 allowed"
    online(db, outsider)
    assert outsider.post(f"{Q}/{q['id']}/next").status_code == 403


def test_manual_assignment_beyond_capacity_is_refused(admin: Any, make_user: Any) -> None:
    q = queue(admin, name="Special")
    agent = make_user("agent", queue_ids=[q["id"]])
    admin.patch(f"/api/v1/users/{agent.id}", json={"max_open_tickets": 1})
    first, second = ticket(admin, q["id"]), ticket(admin, q["id"])
    assert admin.patch(f"{T}/{first['id']}", json={"assignee_id": agent.id}).status_code == 200
    r = admin.patch(f"{T}/{second['id']}", json={"assignee_id": agent.id})
    assert r.status_code == 409
    assert f"user {agent.id} is at capacity: 1 open tickets of 1 allowed" in r.json()["detail"]
    assert admin.get(f"{T}/{second['id']}").json()["assignee_id"] is None  # nothing written


def test_round_robin_hands_out_in_turn_to_online_members_only(
    admin: Any, db: Session, make_user: Any
) -> None:
    q = queue(admin, name="Chat")
    a, b, away = (make_user("agent", queue_ids=[q["id"]]) for _ in range(3))
    admin.patch(f"{Q}/{q['id']}", json={"member_ids": [a.id, b.id, away.id]})
    online(db, a, b)
    online(db, away, status="paused")
    admin.patch(f"{Q}/{q['id']}", json={"assignment_mode": "round_robin"})
    got = [ticket(admin, q["id"], channel="chat")["id"] for _ in range(4)]
    owners = [admin.get(f"{T}/{t}").json()["assignee_id"] for t in got]
    assert owners == [a.id, b.id, a.id, b.id]
    events = [e for e in admin.get(f"{T}/{got[0]}/timeline").json() if e.get("kind") == "assignee"]
    assert "assigned automatically (round robin)" in events[-1]["detail"]


def test_least_loaded_and_the_backlog_drains_as_capacity_frees(
    admin: Any, db: Session, make_user: Any
) -> None:
    """Seed 001: at most 5 tickets per analyst; the first to log in does not take everything,
    and the backlog drains by SLA as tickets are resolved."""
    q = queue(admin, name="Special Service", default_max_open_tickets=5)
    a = make_user("agent", queue_ids=[q["id"]])
    b = make_user("agent", queue_ids=[q["id"]])
    backlog = [ticket(admin, q["id"])["id"] for _ in range(12)]
    online(db, a)
    admin.patch(f"{Q}/{q['id']}", json={"assignment_mode": "least_loaded"})
    mine = [t for t in backlog if admin.get(f"{T}/{t}").json()["assignee_id"] == a.id]
    assert mine == backlog[:5]  # the first five of the line, and no more
    online(db, b)
    admin.patch(f"{Q}/{q['id']}", json={"default_max_open_tickets": 5})  # any change dispatches
    owners = {t: admin.get(f"{T}/{t}").json()["assignee_id"] for t in backlog}
    assert sum(1 for o in owners.values() if o == b.id) == 5
    waiting = [t for t, o in owners.items() if o is None]
    assert waiting == backlog[10:]
    admin.patch(f"{T}/{mine[0]}", json={"status": "resolved"})  # capacity frees at once
    assert admin.get(f"{T}/{backlog[10]}").json()["assignee_id"] == a.id


def test_transfer_keeps_the_agent_as_follower_who_hears_of_replies_and_resolution(
    admin: Any, make_user: Any
) -> None:
    support, finance = queue(admin, name="Suporte"), queue(admin, name="Financeiro")
    agent = make_user("agent", queue_ids=[support["id"]])
    analyst = make_user("agent", queue_ids=[finance["id"]])
    t = ticket(admin, support["id"], assignee_id=agent.id)
    r = agent.post(f"{T}/{t['id']}/transfer", json={"queue_id": finance["id"], "reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    r = agent.post(f"{T}/{t['id']}/transfer",
                   json={"queue_id": finance["id"], "reason": "Cliente inadimplente"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert agent.get(f"{T}/{t['id']}/followers").json()["user_ids"] == [agent.id]
    notes = [m for m in admin.get(f"{T}/{t['id']}/timeline").json()
             if m.get("body_text") == "Cliente inadimplente"]  # fmt: skip
    assert notes and notes[0]["public"] is False
    analyst.post(f"{T}/{t['id']}/messages", json={"body": "Boleto enviado", "public": True})
    analyst.patch(f"{T}/{t['id']}", json={"status": "resolved"})
    kinds = [n["kind"] for n in agent.get("/api/v1/notifications").json()["items"]]
    assert kinds == ["follower_resolved", "follower_reply"]
    assert analyst.get("/api/v1/notifications").json()["items"] == []
    # following is what let the agent read a ticket now in another department's queue
    assert agent.get(f"{T}/{t['id']}").status_code == 200
    assert agent.delete(f"{T}/{t['id']}/followers/me").status_code == 204
    assert admin.get(f"{T}/{t['id']}/followers").json()["user_ids"] == []
    assert agent.get(f"{T}/{t['id']}").status_code == 404


def test_a_rule_transfer_keeps_the_handling_agent_as_follower(admin: Any, make_user: Any) -> None:
    """Seed 002, items 15-21: the agent follows the case to its resolution, whoever moved it
    (the playbook's blocked-customer rule sends it to Finance as the system)."""
    support, finance = queue(admin, name="Suporte"), queue(admin, name="Financeiro")
    agent = make_user("agent", queue_ids=[support["id"]])
    blocked = {"field": "ticket.tags", "op": "contains", "value": "bloqueado"}
    to_finance = {"queue_id": finance["id"], "reason": "Cliente bloqueado"}
    rule = {"name": "Bloqueado vai ao Financeiro", "event": "ticket_updated",
            "conditions": {"all": [blocked]},
            "actions": [{"type": "transfer", "value": to_finance}]}  # fmt: skip
    assert admin.post("/api/v1/rules", json=rule).status_code == 201
    t = ticket(admin, support["id"], assignee_id=agent.id)
    r = agent.patch(f"{T}/{t['id']}", json={"tags": ["bloqueado"]})
    assert r.status_code == 200, r.text
    moved = admin.get(f"{T}/{t['id']}").json()
    assert moved["queue_id"] == finance["id"] and moved["assignee_id"] is None
    assert agent.get(f"{T}/{t['id']}").status_code == 200  # still readable: a follower
    assert admin.get(f"{T}/{t['id']}/followers").json()["user_ids"] == [agent.id]


def test_moving_a_ticket_to_a_queue_its_assignee_is_not_in_puts_it_in_that_line(
    admin: Any, make_user: Any
) -> None:
    """A mid-chat cancellation sent to the Clientes department: the old assignee leaves it (and
    follows it), so the department sees it in its line."""
    support, clients = queue(admin, name="Suporte"), queue(admin, name="Clientes")
    agent = make_user("agent", queue_ids=[support["id"]])
    colleague = make_user("agent", queue_ids=[support["id"], clients["id"]])
    t = ticket(admin, support["id"], assignee_id=agent.id, channel="chat")
    r = agent.patch(f"{T}/{t['id']}", json={"queue_id": clients["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] is None
    line = admin.get(f"{Q}/{clients['id']}/line").json()
    assert [x["ticket_id"] for x in line] == [t["id"]]
    assert agent.get(f"{T}/{t['id']}").status_code == 200
    # an assignee who is a member of the new queue keeps the ticket
    t2 = ticket(admin, support["id"], assignee_id=colleague.id)
    r = admin.patch(f"{T}/{t2['id']}", json={"queue_id": clients["id"]})
    assert r.json()["assignee_id"] == colleague.id


def test_tickets_opened_outside_the_queue_hours_are_on_call_and_reviewed_weekly(
    admin: Any, make_user: Any
) -> None:
    cal = make_calendar(admin)  # Mon-Fri 08:30-12:00 / 13:30-18:00
    q = queue(admin, name="Field Desk", calendar_id=cal)
    saturday = datetime(2026, 11, 14, 10, 0, tzinfo=SP)
    tuesday = datetime(2026, 11, 10, 10, 0, tzinfo=SP)
    night = ticket(admin, q["id"], created_at=saturday.isoformat(), status="new")
    day = ticket(admin, q["id"], created_at=tuesday.isoformat(), status="new")
    assert admin.get(f"{T}/{night['id']}").json()["on_call"] is True
    assert admin.get(f"{T}/{day['id']}").json()["on_call"] is False
    supervisor = make_user("supervisor")
    week = {"start": datetime(2026, 11, 9, tzinfo=SP).isoformat(),
            "end": datetime(2026, 11, 16, tzinfo=SP).isoformat()}  # fmt: skip
    items = supervisor.get("/api/v1/on-call", params=week).json()["items"]
    assert [i["id"] for i in items] == [night["id"]]
    assert make_user("agent").get("/api/v1/on-call").status_code == 403
    bad = supervisor.get("/api/v1/on-call", params={"start": week["end"], "end": week["start"]})
    assert bad.status_code == 422


def test_last_week_is_monday_to_monday_in_the_callers_zone() -> None:
    from atende.routing.service import last_week

    start, end = last_week(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), "America/Sao_Paulo")
    # 02:00 UTC on Monday the 23rd is still Sunday the 22nd in São Paulo
    assert start == datetime(2026, 11, 9, tzinfo=SP) and end == datetime(2026, 11, 16, tzinfo=SP)
    assert end - start == timedelta(days=7)


def test_a_rule_cannot_assign_beyond_capacity_either(admin: Any, make_user: Any) -> None:
    q = queue(admin, name="Regras")
    agent = make_user("agent", queue_ids=[q["id"]])
    admin.patch(f"/api/v1/users/{agent.id}", json={"max_open_tickets": 1})
    r = admin.post("/api/v1/rules", json={
        "name": "Tudo para o agente", "event": "ticket_created",
        "actions": [{"type": "set_assignee", "value": agent.id}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    first, second = ticket(admin, q["id"]), ticket(admin, q["id"])
    assert admin.get(f"{T}/{first['id']}").json()["assignee_id"] == agent.id
    assert admin.get(f"{T}/{second['id']}").json()["assignee_id"] is None
    failed = [e for e in admin.get(f"{T}/{second['id']}/timeline").json()
              if e.get("kind") == "rule_failed"]  # fmt: skip
    assert failed and "at capacity" in failed[0]["detail"]


def test_a_ticket_nobody_routes_lands_in_the_triage_queue_and_its_creator_keeps_it(
    admin: Any, make_user: Any
) -> None:
    """Seed 001: no customer waits unseen. An agent's ticket with no queue (and no rule that
    routes it) used to have no queue and no assignee, and its creator got 404 reading it."""
    support = queue(admin, name="Suporte N1")
    agent = make_user("agent", queue_ids=[support["id"]])
    r = agent.post(T, json={"subject": "Cliente ligou", "body": "Sem sistema"})
    assert r.status_code == 201, r.text
    made = r.json()
    queues = {q["name"]: q for q in admin.get(Q).json()}
    assert queues["Triagem"]["triage"] is True
    assert made["queue_id"] == queues["Triagem"]["id"] and made["assignee_id"] is None
    assert agent.get(f"{T}/{made['id']}").status_code == 200  # its creator follows it
    line = admin.get(f"{Q}/{queues['Triagem']['id']}/line").json()
    assert [x["ticket_id"] for x in line] == [made["id"]]
    # a supervisor makes another queue the triage queue: the old one is unmarked
    r = admin.patch(f"{Q}/{support['id']}", json={"triage": True})
    assert r.status_code == 200 and r.json()["triage"] is True
    assert admin.get(f"{Q}/{queues['Triagem']['id']}").json()["triage"] is False
    again = ticket(admin, support["id"]) | {}
    unrouted = admin.post(T, json={"subject": "Portal", "body": "?"}).json()
    assert unrouted["queue_id"] == support["id"] and again["queue_id"] == support["id"]
    r = admin.patch(f"{Q}/{support['id']}", json={"triage": False})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "triage"
    # a ticket created with an assignee but no queue is that person's: it stays out of triage
    mine = admin.post(T, json={"subject": "Meu", "body": "x", "assignee_id": agent.id}).json()
    assert mine["queue_id"] is None and mine["assignee_id"] == agent.id


def test_the_on_call_flag_is_decided_after_the_rules_route_the_ticket(
    admin: Any, make_user: Any
) -> None:
    """A ticket created on Sunday at 00:34 and routed by a rule to the key-account queue is on
    call, as it is when the queue is given; a queue without a calendar uses the default one."""
    cal = make_calendar(admin)  # the first calendar: the default one
    key_accounts = queue(admin, name="Key Accounts", calendar_id=cal)
    plain = queue(admin, name="Sem calendário")
    prime = {"field": "ticket.subject", "op": "contains", "value": "#prime"}
    rule = {"name": "Prime", "event": "ticket_created", "conditions": {"all": [prime]},
            "actions": [{"type": "set_queue", "value": key_accounts["id"]}]}  # fmt: skip
    assert admin.post("/api/v1/rules", json=rule).status_code == 201
    sunday = datetime(2026, 11, 15, 0, 34, tzinfo=SP)
    tuesday = datetime(2026, 11, 17, 10, 0, tzinfo=SP)
    with time_machine.travel(sunday, tick=False):
        routed = admin.post(T, json={"subject": "Chat #prime", "body": "oi"}).json()
        given = ticket(admin, key_accounts["id"])
        no_calendar = ticket(admin, plain["id"])
    with time_machine.travel(tuesday, tick=False):
        daytime = admin.post(T, json={"subject": "Chat #prime", "body": "oi"}).json()
    assert routed["queue_id"] == key_accounts["id"] and routed["on_call"] is True
    assert given["on_call"] is True and no_calendar["on_call"] is True
    assert daytime["queue_id"] == key_accounts["id"] and daytime["on_call"] is False


def test_a_new_queue_answers_with_its_members(admin: Any, make_user: Any) -> None:
    agent = make_user("agent")
    made = queue(admin, name="Financeiro", member_ids=[agent.id])
    assert made["member_ids"] == [agent.id]
    assert admin.get(f"{Q}/{made['id']}").json()["member_ids"] == [agent.id]


def test_an_inverted_date_range_of_queue_waits_is_refused(admin: Any) -> None:
    q = queue(admin, name="Suporte")
    r = admin.get(
        f"{Q}/{q['id']}/waits",
        params={"start": "2026-11-10T00:00:00Z", "end": "2026-11-01T00:00:00Z"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "end"


def test_an_agent_lists_the_tickets_they_follow(admin: Any, make_user: Any) -> None:
    """Seed 001: follow the tickets sent to other departments until they are resolved."""
    support, finance = queue(admin, name="Suporte"), queue(admin, name="Financeiro")
    agent = make_user("agent", queue_ids=[support["id"]])
    sent = ticket(admin, support["id"], assignee_id=agent.id)
    kept = ticket(admin, support["id"], assignee_id=agent.id)
    r = agent.post(
        f"{T}/{sent['id']}/transfer", json={"queue_id": finance["id"], "reason": "Boleto"}
    )
    assert r.status_code == 200, r.text
    followed = agent.get(T, params={"following": "true"}).json()["items"]
    assert [t["id"] for t in followed] == [sent["id"]]
    assert {t["id"] for t in agent.get(T).json()["items"]} >= {sent["id"], kept["id"]}
    contact = make_user("contact")
    r = contact.get(T, params={"following": "true"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "following"


def test_an_agent_sees_their_tickets_still_open_in_other_departments_with_their_age(
    admin: Any, make_user: Any
) -> None:
    """Seed 001: "monitorar os chamados realizados ou encaminhados para os outros setores":
    the tickets an agent sent on, still open elsewhere, oldest first, with how long."""
    support, finance = queue(admin, name="Suporte"), queue(admin, name="Financeiro")
    agent = make_user("agent", queue_ids=[support["id"]])
    start = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))
    with time_machine.travel(start, tick=False):
        older = ticket(admin, support["id"], assignee_id=agent.id)
        newer = ticket(admin, support["id"], assignee_id=agent.id)
        stays = ticket(admin, support["id"], assignee_id=agent.id)
        solved = ticket(admin, support["id"], assignee_id=agent.id)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        for t in (newer, older, solved):
            r = agent.post(f"{T}/{t['id']}/transfer", json={"queue_id": finance["id"],
                                                             "reason": "Boleto"})  # fmt: skip
            assert r.status_code == 200, r.text
        assert admin.patch(f"{T}/{solved['id']}", json={"status": "resolved"}).status_code == 200
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        page = agent.get(f"{T}/forwarded", params={"limit": 1})
        assert page.status_code == 200, page.text
        first = page.json()
        rest = agent.get(f"{T}/forwarded", params={"cursor": first["next_cursor"]}).json()
    got = first["items"] + rest["items"]
    assert [i["ticket"]["id"] for i in got] == [older["id"], newer["id"]]  # oldest first
    assert rest["next_cursor"] is None
    assert all(i["ticket"]["queue_id"] == finance["id"] for i in got)
    assert [(i["open_for_seconds"], i["away_for_seconds"]) for i in got] == [(10800, 7200)] * 2
    assert stays["id"] not in {i["ticket"]["id"] for i in got}  # still theirs
    assert solved["id"] not in {i["ticket"]["id"] for i in got}  # resolved: off the list
    assert admin.get(f"{T}/forwarded").json()["items"] == []  # the admin follows none
    assert make_user("contact").get(f"{T}/forwarded").status_code == 403
    r = agent.get(f"{T}/forwarded", params={"cursor": "nonsense"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
