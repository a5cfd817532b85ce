"""Every ticket change writes one stream event in its own transaction, in the order things
happened; readers get the events of the tickets they may read, as they may see them (through
``GET /api/v1/stream?follow=false``, which sends what is there and ends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.stream.models import StreamEvent
from atende.stream.sweeps import prune
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy
from tests.stream.conftest import V1, World, parse_sse, read_stream, ticket


def rows(db: Session) -> list[StreamEvent]:
    return list(db.scalars(select(StreamEvent).order_by(StreamEvent.position)))


def test_each_change_writes_one_event_in_order(world: World, db: Session) -> None:
    admin, contact = world.admin, world.contact
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    assert admin.post(f"{V1}/tickets/{t}/messages", json={"body": "Olá!", "public": True})
    admin.post(f"{V1}/tickets/{t}/messages", json={"body": "Cliente chato", "public": False})
    admin.patch(f"{V1}/tickets/{t}", json={"priority": "high", "tags": ["vip"]})
    admin.post(f"{V1}/tickets/{t}/transfer", json={"queue_id": world.q2, "reason": "financeiro"})
    contact.post(f"{V1}/tickets/{t}/messages", json={"body": "Ainda não imprime"})

    got = rows(db)
    assert [r.type for r in got] == [
        "ticket_created", "message_sent", "note_added", "ticket_updated", "ticket_updated",
        "message_received",
    ]  # fmt: skip
    positions = [r.position for r in got]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert [r.public for r in got] == [True, True, False, False, False, True]
    assert all(r.ticket_id == t for r in got)

    created, reply, note, update, transfer, received = (r.payload for r in got)
    assert created["status"] == "new" and created["requester_id"] == world.contact_a
    assert "actor" not in created  # who opened it is on the timeline: a creation reads none
    assert reply["status"] == "open"  # the first public reply opened it
    assert reply["message"]["public"] is True and reply["message"]["excerpt"] == "Olá!"
    assert note["message"]["public"] is False
    assert [c["kind"] for c in update["changes"]] == ["priority", "tags"]
    assert update["changes"][0] == {
        "kind": "priority", "before": "normal", "after": "high", "public": False,
    }  # fmt: skip
    assert transfer["queue_id"] == world.q2 and transfer["changes"][0]["kind"] == "queue"
    assert received["message"]["author_kind"] == "contact"


def test_a_refused_change_writes_nothing(world: World, db: Session) -> None:
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    before = len(rows(db))
    res = world.admin.patch(f"{V1}/tickets/{t}", json={"priority": "high", "status": "bogus"})
    assert res.status_code == 422
    res = world.admin.post(f"{V1}/tickets/{t}/transfer", json={"queue_id": world.q1,
                                                              "reason": "same queue"})  # fmt: skip
    assert res.status_code == 422
    assert len(rows(db)) == before


def test_a_rules_change_follows_the_change_that_set_it_off(world: World, db: Session) -> None:
    rule = {
        "name": "VIP urgente",
        "event": "ticket_created",
        "conditions": {"all": [{"field": "ticket.subject", "op": "contains", "value": "VIP"}]},
        "actions": [{"type": "set_priority", "value": "urgent"}],
    }
    res = world.admin.post(f"{V1}/rules", json=rule)
    assert res.status_code == 201, res.text
    t = ticket(world, queue=world.q1, contact=world.contact_a, subject="Cliente VIP parado")
    got = [r for r in rows(db) if r.ticket_id == t]
    assert [r.type for r in got] == ["ticket_created", "ticket_updated"]
    assert got[1].payload["actor"] == {"kind": "system", "user_id": None,
                                       "label": "rule: VIP urgente"}  # fmt: skip
    assert got[1].payload["priority"] == "urgent"
    # a contact sees that nothing public happened: the priority is internal
    world.contact.get(f"{V1}/tickets/{t}")
    assert [m.event for m in read_stream(world.contact)] == ["ticket_created"]


def test_readers_get_what_they_may_read_as_they_may_see_it(world: World) -> None:
    a1 = ticket(world, queue=world.q1, contact=world.contact_a, subject="A em Q1")
    b2 = ticket(world, queue=world.q2, contact=world.contact_b, subject="B em Q2")
    for t in (a1, b2):
        world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "Resposta", "public": True})
        world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "NOTA", "public": False})
        world.admin.patch(f"{V1}/tickets/{t}", json={"status": "pending_customer"})

    everything = read_stream(world.admin)
    assert len(everything) == 8
    assert [m.id for m in everything] == sorted(m.id for m in everything)
    assert all(m.data and m.data["id"] == m.id and m.data["type"] == m.event for m in everything)

    agent = read_stream(world.agent)
    assert {m.data["ticket_id"] for m in agent if m.data} == {a1}
    assert len(agent) == 4  # the agent sees the notes of their queue's tickets

    contact = read_stream(world.contact)
    assert {m.data["ticket_id"] for m in contact if m.data} == {a1}
    assert [m.event for m in contact] == ["ticket_created", "message_sent", "ticket_updated"]
    status = contact[-1].data
    assert status is not None
    assert status["changes"] == [
        {"kind": "status", "before": "open", "after": "pending_customer", "public": True}
    ]
    assert "NOTA" not in str([m.data for m in contact])

    # resuming after an event gives the rest only
    assert [m.id for m in read_stream(world.admin, after=everything[3].id)] == [
        m.id for m in everything[4:]
    ]


def test_readability_is_decided_when_the_event_is_delivered(world: World) -> None:
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "NOTA", "public": False})
    assert len(read_stream(world.agent)) == 2
    world.admin.post(f"{V1}/tickets/{t}/transfer", json={"queue_id": world.q2, "reason": "fin"})
    world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "NOTA 2", "public": False})
    # the ticket left the agent's queue: none of its events reaches them any more, old or new
    assert read_stream(world.agent) == []
    # assigning it to them lets them read it again
    world.admin.patch(f"{V1}/tickets/{t}", json={"assignee_id": world.agent.id})
    assert len(read_stream(world.agent)) == 5


def test_a_system_actor_shows_as_atende_to_a_contact(world: World, db: Session) -> None:
    rule = {
        "name": "Interno: inadimplente",
        "event": "ticket_created",
        "conditions": {"all": [{"field": "ticket.subject", "op": "contains", "value": "pago"}]},
        "actions": [{"type": "set_status", "value": "pending_customer"}],
    }
    assert world.admin.post(f"{V1}/rules", json=rule).status_code == 201
    ticket(world, queue=world.q1, contact=world.contact_a, subject="Boleto pago?")
    seen = read_stream(world.contact)
    assert [m.event for m in seen] == ["ticket_created", "ticket_updated"]
    assert seen[1].data and seen[1].data["actor"]["label"] == "Atende"
    staff = read_stream(world.admin)
    assert staff[1].data and staff[1].data["actor"]["label"] == "rule: Interno: inadimplente"


def test_sla_warnings_and_breaches_are_streamed_to_staff_only(world: World) -> None:
    cal = make_calendar(world.admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS,
                        open_on_holidays=True)  # fmt: skip
    make_policy(world.admin, "Chat 30 min", cal, first_response_minutes=30)
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday, 10:00 in São Paulo
    with time_machine.travel(start, tick=False):
        t = ticket(world, queue=world.q1, contact=world.contact_a)
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        # any change re-evaluates the clocks: the first response is late
        world.admin.patch(f"{V1}/tickets/{t}", json={"tags": ["atrasado"]})
    staff = [m.event for m in read_stream(world.admin)]
    assert "sla_breach" in staff
    breach = next(m for m in read_stream(world.agent) if m.event == "sla_breach")
    assert breach.data and breach.data["sla"]["kind"] == "first_response"
    assert breach.data["sla"]["due_at"] == "2026-11-25T13:30:00Z"
    assert all(not m.event.startswith("sla_") for m in read_stream(world.contact) if m.event)


def test_a_reader_behind_what_is_kept_is_told_to_reload(world: World, session_factory: Any) -> None:
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    for n in range(3):
        world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": f"n{n}", "public": False})
    first = read_stream(world.admin)
    gone = prune(session_factory, datetime.now(UTC) + timedelta(days=30), retention_days=7)
    assert gone == len(first) - 1  # the newest stays: positions go on from it
    res = world.admin.get(f"{V1}/stream", params={"follow": "false", "last_event_id": 0})
    got = parse_sse(res.text)
    assert got[0].event == "reset" and got[0].id == first[-2].id
    assert [m.id for m in got[1:]] == [first[-1].id]


def test_bad_resumption_points_are_refused_naming_the_field(world: World) -> None:
    res = world.admin.get(f"{V1}/stream", params={"follow": "false", "last_event_id": -1})
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"] == "last_event_id"
    res = world.admin.get(f"{V1}/stream", params={"follow": "nope"})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "follow"
    res = world.admin.get(
        f"{V1}/stream", params={"follow": "false"}, headers={"Last-Event-ID": "12abc"}
    )
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["errors"][0]["field"] == "Last-Event-ID"
    assert "12abc" in res.json()["detail"]
    for bad in ("-3", "1.5", "²", "9" * 30):
        res = world.admin.get(f"{V1}/stream", params={"follow": "false"},
                              headers={"Last-Event-ID": bad.encode("latin-1")})  # fmt: skip
        assert res.status_code == 422, (bad, res.text)
        assert res.json()["errors"][0]["field"] == "Last-Event-ID"


def test_the_header_wins_over_the_parameter(world: World) -> None:
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "x", "public": False})
    first, second = read_stream(world.admin)
    res = world.admin.get(
        f"{V1}/stream",
        params={"follow": "false", "last_event_id": 0},
        headers={"Last-Event-ID": str(first.id)},
    )
    assert [m.id for m in parse_sse(res.text)] == [second.id]


def test_the_stream_needs_a_token_or_a_web_session(world: World, client: Any) -> None:
    res = client.get(f"{V1}/stream", params={"follow": "false"})
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")
    res = client.get(f"{V1}/stream", headers={"Authorization": "Bearer atd_nope"})
    assert res.status_code == 401
    client.cookies.set("atende_session", "not-a-session")
    assert client.get(f"{V1}/stream", params={"follow": "false"}).status_code == 401


def test_presence_changes_are_streamed_to_staff_only(world: World) -> None:
    """The supervisor board and the console follow who is online, paused (and why) or offline
    without polling; contacts never see it."""
    admin, agent = world.admin, world.agent
    assert admin.post(f"{V1}/pause-reasons", json={"name": "Almoço"}).status_code == 201
    assert agent.put(f"{V1}/agents/me/presence", json={"status": "online"}).status_code == 200
    paused = agent.put(f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Almoço"})
    assert paused.status_code == 200, paused.text
    # the same status again changes nothing and announces nothing
    assert agent.put(f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Almoço"})

    for reader in (admin, agent):
        got = [m for m in read_stream(reader) if m.event == "presence_changed"]
        assert [(m.data["status"], m.data["reason"]) for m in got if m.data] == [
            ("online", None),
            ("paused", "Almoço"),
        ]
        assert all(m.data and m.data["user_id"] == agent.user.id for m in got)
        assert all(m.data and m.data["cause"] == "agent" and m.data["since"] for m in got)
    assert not [m for m in read_stream(world.contact) if m.event == "presence_changed"]
