"""Agent presence through the API: statuses and their log, pause reasons, the supervisors'
board, what pausing and coming online do to the queues, and idle expiry."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.routing import presence
from atende.workflows import sweeps
from tests.routing.presence_support import (
    V1,
    add_reasons,
    ok,
    refused,
    set_presence,
    ticket,
)
from tests.tickets.conftest import create, make_queue, timeline

__all__ = ["make_queue"]


def log_of(supervisor: Any, user_id: int) -> list[dict[str, Any]]:
    page = ok(supervisor.get(f"{V1}/agents/presence/log", params={"user_id": user_id}))
    return page["items"]  # type: ignore[no-any-return]


# --- statuses and the log -------------------------------------------------------------------


def test_each_change_closes_the_period_and_opens_the_next(admin: Any, make_user: Any) -> None:
    add_reasons(admin, "Almoço", "Treinamento")
    agent = make_user("agent")
    supervisor = make_user("supervisor")
    assert ok(agent.get(f"{V1}/agents/me/presence"))["status"] == "offline"

    online = set_presence(agent, "online")
    assert online["status"] == "online" and online["reason"] is None
    assert online["since"] is not None and online["last_seen_at"] is not None
    paused = set_presence(agent, "paused", "almoço")  # the list's own spelling is kept
    assert (paused["status"], paused["reason"]) == ("paused", "Almoço")
    set_presence(agent, "paused", "Almoço")  # unchanged: no new period
    set_presence(agent, "paused", "Treinamento")  # another reason: a new period
    set_presence(agent, "offline")
    assert ok(agent.get(f"{V1}/agents/me/presence"))["status"] == "offline"

    periods = list(reversed(log_of(supervisor, agent.id)))
    assert [(p["status"], p["reason"]) for p in periods] == [
        ("online", None),
        ("paused", "Almoço"),
        ("paused", "Treinamento"),
        ("offline", None),
    ]
    assert all(p["cause"] == "agent" and p["user_id"] == agent.id for p in periods)
    for earlier, later in itertools.pairwise(periods):
        assert earlier["ended_at"] == later["started_at"]
    assert periods[-1]["ended_at"] is None
    # an agent reads their own log, not a colleague's
    assert [p["id"] for p in log_of(agent, agent.id)] == [p["id"] for p in reversed(periods)]
    other = make_user("agent")
    refused(other.get(f"{V1}/agents/presence/log", params={"user_id": agent.id}), 403, "user_id")
    assert ok(other.get(f"{V1}/agents/presence/log"))["items"] == []


def test_a_pause_needs_an_active_reason_from_the_list(admin: Any, make_user: Any) -> None:
    agent = make_user("agent")
    none_yet = refused(
        agent.put(f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Almoço"}),
        422,
        "reason",
    )
    assert "no pause reasons are defined" in none_yet["detail"]

    _, training = add_reasons(admin, "Almoço", "Treinamento")
    no_reason = refused(
        agent.put(f"{V1}/agents/me/presence", json={"status": "paused"}), 422, "reason"
    )
    assert "Almoço, Treinamento" in no_reason["detail"]
    unknown = refused(
        agent.put(f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Café"}),
        422,
        "reason",
    )
    assert "'Café'" in unknown["detail"] and "Almoço, Treinamento" in unknown["detail"]
    refused(
        agent.put(f"{V1}/agents/me/presence", json={"status": "online", "reason": "Almoço"}),
        422,
        "reason",
    )

    # an admin deactivates a reason: it leaves the list and no longer pauses anyone
    ok(admin.patch(f"{V1}/pause-reasons/{training['id']}", json={"active": False}))
    assert [r["name"] for r in ok(agent.get(f"{V1}/pause-reasons"))] == ["Almoço"]
    everything = ok(agent.get(f"{V1}/pause-reasons", params={"include_inactive": True}))
    assert [(r["name"], r["active"]) for r in everything] == [
        ("Almoço", True),
        ("Treinamento", False),
    ]
    refused(
        agent.put(f"{V1}/agents/me/presence", json={"status": "paused", "reason": "Treinamento"}),
        422,
        "reason",
    )
    assert set_presence(agent, "paused", "Almoço")["reason"] == "Almoço"
    assert ok(agent.get(f"{V1}/agents/me/presence"))["status"] == "paused"


def test_pause_reasons_are_unique_and_managed_by_admins(admin: Any, make_user: Any) -> None:
    (lunch,) = add_reasons(admin, "Almoço")
    refused(admin.post(f"{V1}/pause-reasons", json={"name": "ALMOÇO"}), 409, "name")
    (meeting,) = add_reasons(admin, "Reunião")
    refused(admin.patch(f"{V1}/pause-reasons/{meeting['id']}", json={"name": "almoço"}), 409)
    renamed = ok(admin.patch(f"{V1}/pause-reasons/{meeting['id']}", json={"name": "Feedback"}))
    assert renamed["name"] == "Feedback"
    refused(admin.patch(f"{V1}/pause-reasons/{lunch['id']}", json={"active": None}), 422)
    supervisor = make_user("supervisor")
    refused(supervisor.post(f"{V1}/pause-reasons", json={"name": "Café"}), 403)
    refused(admin.patch(f"{V1}/pause-reasons/{10**12}", json={"name": "x"}), 404)


def test_there_is_no_invisible_state(make_user: Any, db: Session) -> None:
    agent = make_user("agent")
    for status in ("invisible", "away", "ONLINE"):
        problem = refused(
            agent.put(f"{V1}/agents/me/presence", json={"status": status}), 422, "status"
        )
        assert "online, paused, offline" in problem["detail"]
    assert "invisible" in problem["detail"]
    assert ok(agent.get(f"{V1}/agents/me/presence"))["status"] == "offline"
    contact_user = make_user("contact")
    refused(contact_user.put(f"{V1}/agents/me/presence", json={"status": "online"}), 403)


def test_supervisors_see_who_is_online_paused_since_when_and_the_load(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    add_reasons(admin, "Reunião")
    queue = make_queue()
    ana = make_user("agent", name="Ana Lima", queue_ids=[queue.id])
    bia = make_user("agent", name="Bia Reis", queue_ids=[queue.id])
    ok(admin.patch(f"{V1}/users/{ana.id}", json={"max_open_tickets": 5, "max_chats": 2}))
    set_presence(ana, "online")
    paused = set_presence(bia, "paused", "Reunião")
    create(admin, queue_id=queue.id, assignee_id=ana.id, channel="chat")
    create(admin, queue_id=queue.id, assignee_id=ana.id)
    supervisor = make_user("supervisor", name="Sara Souza")

    board = {row["user_id"]: row for row in ok(supervisor.get(f"{V1}/agents/presence"))}
    assert {ana.id, bia.id, supervisor.id, admin.id} <= set(board)
    assert board[ana.id] | {"since": None, "last_seen_at": None} == {
        "user_id": ana.id,
        "name": "Ana Lima",
        "role": "agent",
        "status": "online",
        "reason": None,
        "since": None,
        "last_seen_at": None,
        "open_tickets": 2,
        "max_open_tickets": 5,
        "over_capacity": False,
        "chats": 1,
        "max_chats": 2,
        "absent": False,
    }
    assert (board[bia.id]["status"], board[bia.id]["reason"]) == ("paused", "Reunião")
    assert board[bia.id]["since"] == paused["since"]
    assert board[bia.id]["open_tickets"] == 0 and board[bia.id]["max_open_tickets"] is None
    assert board[supervisor.id]["status"] == "offline" and board[supervisor.id]["since"] is None
    refused(ana.get(f"{V1}/agents/presence"), 403)


# --- effects on the queues ------------------------------------------------------------------


def test_a_pause_sends_unanswered_chats_to_the_front_and_keeps_answered_ones(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    add_reasons(admin, "Almoço")
    queue = make_queue()
    ana = make_user("agent", queue_ids=[queue.id])
    bia = make_user("agent", queue_ids=[queue.id])
    waiting = create(admin, queue_id=queue.id, channel="email", subject="Esperando há mais tempo")
    unanswered = create(admin, queue_id=queue.id, channel="chat", assignee_id=ana.id)
    answered = create(admin, queue_id=queue.id, channel="chat", assignee_id=ana.id)
    reply = {"body": "Olá! Já estou verificando.", "public": True}
    ok(ana.post(f"{V1}/tickets/{answered['id']}/messages", json=reply), 201)
    set_presence(ana, "online")

    set_presence(ana, "paused", "Almoço")

    assert ticket(admin, unanswered["id"])["assignee_id"] is None
    assert ticket(admin, answered["id"])["assignee_id"] == ana.id
    back = [e for e in timeline(admin, unanswered["id"]) if e.get("kind") == "assignee"][-1]
    assert (back["before"], back["after"]) == (ana.id, None)
    assert "back to the front of the queue" in back["detail"] and "Almoço" in back["detail"]
    line = ok(admin.get(f"{V1}/queues/{queue.id}/line"))
    assert [(e["ticket_id"], e["sent_back_to_front"]) for e in line] == [
        (unanswered["id"], True),
        (waiting["id"], False),
    ]
    # so with room for one ticket, the next agent to be served gets the chat before the
    # e-mail that has waited longer
    ok(admin.patch(f"{V1}/users/{bia.id}", json={"max_open_tickets": 1}))
    set_presence(bia, "online")
    ok(admin.patch(f"{V1}/queues/{queue.id}", json={"assignment_mode": "round_robin"}))
    assert ticket(admin, unanswered["id"])["assignee_id"] == bia.id
    assert ticket(admin, waiting["id"])["assignee_id"] is None
    assert ticket(admin, answered["id"])["assignee_id"] == ana.id  # ana is paused


def test_going_offline_hands_unanswered_chats_to_an_online_colleague(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    queue = make_queue()
    ok(admin.patch(f"{V1}/queues/{queue.id}", json={"assignment_mode": "round_robin"}))
    ana = make_user("agent", queue_ids=[queue.id])
    bia = make_user("agent", queue_ids=[queue.id])
    set_presence(ana, "online")
    chat = create(admin, queue_id=queue.id, channel="chat")
    assert ticket(admin, chat["id"])["assignee_id"] == ana.id
    set_presence(bia, "online")

    set_presence(ana, "offline")

    assert ticket(admin, chat["id"])["assignee_id"] == bia.id


def test_coming_online_hands_out_waiting_tickets_at_once(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    add_reasons(admin, "Treinamento")
    queue = make_queue()
    ok(admin.patch(f"{V1}/queues/{queue.id}", json={"assignment_mode": "round_robin"}))
    ana = make_user("agent", queue_ids=[queue.id])
    bia = make_user("agent", queue_ids=[queue.id])
    set_presence(bia, "paused", "Treinamento")
    first = create(admin, queue_id=queue.id)
    second = create(admin, queue_id=queue.id)
    assert ticket(admin, first["id"])["assignee_id"] is None  # nobody online: they wait

    set_presence(ana, "online")

    assert ticket(admin, first["id"])["assignee_id"] == ana.id
    assert ticket(admin, second["id"])["assignee_id"] == ana.id
    event = [e for e in timeline(admin, first["id"]) if e.get("kind") == "assignee"][-1]
    assert event["after"] == ana.id and "round robin" in event["detail"]
    # a paused agent was not served; coming back online, she takes what waits next
    third = create(admin, queue_id=queue.id)
    assert ticket(admin, third["id"])["assignee_id"] == ana.id
    set_presence(ana, "paused", "Treinamento")
    fourth = create(admin, queue_id=queue.id)
    assert ticket(admin, fourth["id"])["assignee_id"] is None
    set_presence(bia, "online")
    assert ticket(admin, fourth["id"])["assignee_id"] == bia.id


# --- activity and idle expiry ---------------------------------------------------------------


def test_activity_is_recorded_at_most_once_a_minute(make_user: Any, db: Session) -> None:
    agent = make_user("agent")
    start = utcnow()
    presence.touch(db, agent.id, start)  # offline: nothing to record
    db.commit()
    assert ok(agent.get(f"{V1}/agents/me/presence"))["last_seen_at"] is None
    went_online = set_presence(agent, "online")["last_seen_at"]

    presence.touch(db, agent.id, start + timedelta(seconds=30))
    db.commit()
    assert ok(agent.get(f"{V1}/agents/me/presence"))["last_seen_at"] == went_online
    later = start + timedelta(minutes=2)
    presence.touch(db, agent.id, later)
    db.commit()
    seen = ok(agent.get(f"{V1}/agents/me/presence"))["last_seen_at"]
    assert seen.replace("Z", "+00:00") == later.isoformat()


def test_idle_agents_go_offline_when_their_session_expires(
    admin: Any,
    make_user: Any,
    make_queue: Any,
    db: Session,
    session_factory: sessionmaker[Session],
) -> None:
    add_reasons(admin, "Feedback")
    queue = make_queue()
    ana = make_user("agent", queue_ids=[queue.id])
    bia = make_user("agent", queue_ids=[queue.id])
    caio = make_user("agent", queue_ids=[queue.id])
    supervisor = make_user("supervisor")
    start = utcnow()
    set_presence(ana, "online")
    set_presence(bia, "paused", "Feedback")
    set_presence(caio, "online")
    chat = create(admin, queue_id=queue.id, channel="chat", assignee_id=ana.id)
    presence.touch(db, caio.id, start + timedelta(minutes=20))  # caio kept working
    db.commit()

    assert sweeps.presence_idle(session_factory, start + timedelta(minutes=29)) == 0
    assert sweeps.presence_idle(session_factory, start + timedelta(minutes=31)) == 2

    board = {r["user_id"]: r for r in ok(supervisor.get(f"{V1}/agents/presence"))}
    assert board[ana.id]["status"] == board[bia.id]["status"] == "offline"
    assert board[caio.id]["status"] == "online"
    assert log_of(supervisor, ana.id)[0]["cause"] == "session expired"
    assert log_of(supervisor, bia.id)[1]["ended_at"] is not None
    # the same effects as going offline: the unanswered chat left ana
    assert ticket(admin, chat["id"])["assignee_id"] is None
    detail = [e for e in timeline(admin, chat["id"]) if e.get("kind") == "assignee"][-1]["detail"]
    assert "session expired" in detail
    # the sweep does nothing twice; with a shorter timeout, caio goes too
    assert sweeps.presence_idle(session_factory, start + timedelta(minutes=31)) == 0
    later = start + timedelta(minutes=31)
    assert sweeps.presence_idle(session_factory, later, timeout_minutes=10) == 1


def test_the_board_costs_the_same_statements_for_any_team_size(
    admin: Any, make_user: Any, make_queue: Any, db: Session
) -> None:
    from sqlalchemy import event

    add_reasons(admin, "Almoço")
    queue = make_queue()
    supervisor = make_user("supervisor")

    def statements_for_board() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        bind = db.get_bind()
        event.listen(bind, "before_cursor_execute", count)
        try:
            ok(supervisor.get(f"{V1}/agents/presence"))
        finally:
            event.remove(bind, "before_cursor_execute", count)
        return len(seen)

    def hire(n: int) -> None:
        for i in range(n):
            agent = make_user("agent", queue_ids=[queue.id])
            set_presence(agent, "online" if i % 2 else "paused", None if i % 2 else "Almoço")
            create(admin, queue_id=queue.id, assignee_id=agent.id, channel="chat")

    statements_for_board()  # the token's first use writes its last_used_at
    hire(2)
    small = statements_for_board()
    hire(6)
    assert statements_for_board() == small
