"""The visitor's stream: only their chat's public events (never an internal note, never
another chat), with the stream's positions as ids, replayed from the database after
``Last-Event-ID``; typing (throttled) and read receipts both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from atende.workflows import sweeps
from tests.chat.helpers import V1, Visitor, made, refused, widget
from tests.support.queries import count_queries

T0 = datetime(2026, 11, 16, 13, 0, tzinfo=UTC)


def events(visitor: Visitor, after: int = 0, header: str | None = None) -> list[dict[str, Any]]:
    headers = {"Last-Event-ID": header} if header is not None else {}
    res = visitor.call("GET", f"/stream?follow=false&after={after}", headers=headers)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/event-stream")
    out = []
    for block in res.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            out.append({"id": int(fields["id"]), "type": fields["event"],
                        "data": json.loads(fields["data"])})  # fmt: skip
    return out


def test_the_visitor_streams_only_their_chats_public_events_and_replays_from_an_id(
    admin: Any, client: Any, make_user: Any
) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    w = widget(admin, queue_id=queue["id"])
    joana, pedro = Visitor(client, w["key"]), Visitor(client, w["key"])
    with time_machine.travel(T0, tick=False):
        for v, email in ((joana, "joana@a.example"), (pedro, "pedro@b.example")):
            v.open()
            v.start(email=email)
        chats = made(agent.get(f"{V1}/chats"), 200)
        mine = chats[0]["ticket_id"]
        assert joana.say("Olá").status_code == 201
        assert pedro.say("Sou o Pedro").status_code == 201
        made(agent.post(f"{V1}/tickets/{mine}/messages", json={"body": "Oi, Joana"}))
        made(agent.post(f"{V1}/tickets/{mine}/messages", json={"body": "segredo", "public": False}))
        assert agent.post(f"{V1}/tickets/{mine}/chat/typing").status_code == 204
        assert agent.post(f"{V1}/tickets/{mine}/chat/typing").status_code == 204  # throttled
    seen = events(joana)
    types = [e["type"] for e in seen]
    assert "note_added" not in types
    assert types.count("chat_typing") == 1
    assert {e["data"]["ticket_id"] for e in seen} == {mine}
    said = [e["data"]["message"]["excerpt"] for e in seen if "message" in e["data"]]
    assert said == ["Olá", "Oi, Joana"]
    assert [e["id"] for e in seen] == sorted(e["id"] for e in seen)
    # resuming after an id gives what came after it, from the database
    middle = seen[len(seen) // 2]["id"]
    assert [e["id"] for e in events(joana, header=str(middle))] == [
        e["id"] for e in seen if e["id"] > middle
    ]
    assert "Sou o Pedro" not in json.dumps(seen)
    refused(
        joana.call("GET", "/stream?follow=false", headers={"Last-Event-ID": "x1"}),
        422,
        "Last-Event-ID",
    )
    forged = Visitor(client, w["key"])
    forged.session = "nada"
    refused(forged.call("GET", "/stream?follow=false"), 401)


def test_read_receipts_go_both_ways_and_never_back(admin: Any, client: Any, make_user: Any) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    outsider = make_user("agent")
    w = widget(admin, queue_id=queue["id"])
    v = Visitor(client, w["key"])
    v.open()
    v.start()
    ticket_id = made(agent.get(f"{V1}/chats"), 200)[0]["ticket_id"]
    mine = v.say("Oi").json()["id"]
    reply = made(agent.post(f"{V1}/tickets/{ticket_id}/messages", json={"body": "Olá!"}))
    assert (
        agent.post(f"{V1}/tickets/{ticket_id}/chat/read", json={"message_id": mine}).status_code
        == 204
    )
    assert v.call("POST", "/read", json={"message_id": reply["id"]}).status_code == 204
    assert v.call("POST", "/read", json={"message_id": 1}).status_code == 204  # never back
    chat = made(agent.get(f"{V1}/tickets/{ticket_id}/chat"), 200)
    assert chat["agent_read_message_id"] == mine
    assert chat["visitor_read_message_id"] == reply["id"]
    reads = [e for e in events(v) if e["type"] == "chat_read"]
    assert [(e["data"]["chat"]["side"], e["data"]["chat"]["message_id"]) for e in reads] == [
        ("agent", mine),
        ("visitor", reply["id"]),
    ]
    # an agent who may not read the ticket gets 404, as for a missing one
    refused(outsider.post(f"{V1}/tickets/{ticket_id}/chat/read", json={"message_id": mine}), 404)
    refused(outsider.get(f"{V1}/tickets/{ticket_id}/chat"), 404)


def test_the_visitor_ends_the_chat_or_the_sweep_ends_an_idle_one(
    admin: Any, client: Any, make_user: Any, session_factory: Any
) -> None:

    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    w = widget(admin, queue_id=queue["id"], inactivity_minutes=15)
    a, b = Visitor(client, w["key"]), Visitor(client, w["key"])
    with time_machine.travel(T0, tick=False):
        for v, email in ((a, "a@a.example"), (b, "b@b.example")):
            v.open()
            v.start(email=email)
        ended = made(a.call("POST", "/end", json={}), 200)["chat"]
        assert ended["state"] == "ended" and ended["ended_by"] == "visitor"
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        assert sweeps.end_idle_chats(session_factory, now=T0 + timedelta(minutes=16)) == 1
    states = {c["ended_by"] for c in made(agent.get(f"{V1}/chats?state=ended"), 200)}
    assert states == {"visitor", "timeout"}
    assert b.messages()["chat"]["state"] == "ended"


# a visitor's message: the widget, the session's visitor, their contact and chat (locked), the
# client id looked up, the ticket (access, lock), the message and its stream event, the client
# id row, the SLA clocks, the chat's activity and the ticket's updated_at, the reports' metric
# state (read and written); a retry is answered from the client id
SAY_COST, RETRY_COST = 20, 5


def test_a_visitors_message_costs_a_pinned_number_of_statements(
    admin: Any, client: Any, db: Any
) -> None:
    w = widget(admin)
    v = Visitor(client, w["key"])
    # at fixed instants a minute apart: the message always moves the chat's activity and the
    # ticket's updated_at (in the same second as the warm-up, those writes were skipped)
    with time_machine.travel(T0, tick=False):
        v.open()
        v.start()
        v.say("aquecendo")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False), count_queries(db) as counted:
        assert v.say("Meu PDV não liga", client_id="pin-0001").status_code == 201
    assert counted.count == SAY_COST, counted.listing()
    with count_queries(db) as counted:
        assert v.say("Meu PDV não liga", client_id="pin-0001").status_code == 200
    assert counted.count == RETRY_COST, counted.listing()
