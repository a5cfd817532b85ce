"""Vacation handover through the API and the worker's sweep: open tickets go to the substitute
at the start with a note, no new assignment reaches the absent agent, the tickets still open
come back at the end, overlaps are refused, cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.workflows.sweeps import absences_due as absences_sweep
from tests.routing.presence_support import V1, ok, refused, set_presence, ticket
from tests.tickets.conftest import create, make_queue, timeline

__all__ = ["make_queue"]


def iso(instant: datetime) -> str:
    return instant.isoformat()


def schedule(
    supervisor: Any,
    agent: Any,
    substitute: Any,
    start: datetime,
    end: datetime,
    **extra: Any,
) -> Any:
    body = {
        "user_id": agent.id,
        "substitute_id": substitute.id,
        "starts_at": iso(start),
        "ends_at": iso(end),
        **extra,
    }
    return supervisor.post(f"{V1}/absences", json=body)


def notes(user: Any, ticket_id: int) -> list[str]:
    return [
        e["body_text"]
        for e in timeline(user, ticket_id)
        if e["entry"] == "message" and e["public"] is False
    ]


def test_open_tickets_go_to_the_substitute_and_come_back(
    admin: Any, make_user: Any, make_queue: Any, session_factory: sessionmaker[Session]
) -> None:
    queue = make_queue()
    ana = make_user("agent", name="Ana Lima", queue_ids=[queue.id])
    bruno = make_user("agent", name="Bruno Reis", queue_ids=[queue.id])
    supervisor = make_user("supervisor")
    kept_open = create(admin, queue_id=queue.id, assignee_id=ana.id, subject="Fica aberto")
    to_resolve = create(admin, queue_id=queue.id, assignee_id=ana.id, subject="Será resolvido")
    waiting = create(admin, queue_id=queue.id, assignee_id=ana.id, subject="Aguardando cliente")
    ok(admin.patch(f"{V1}/tickets/{waiting['id']}", json={"status": "pending_customer"}))
    done = create(admin, queue_id=queue.id, assignee_id=ana.id, subject="Já resolvido")
    ok(admin.patch(f"{V1}/tickets/{done['id']}", json={"status": "resolved"}))
    set_presence(ana, "online")
    now = utcnow()
    start, end = now + timedelta(hours=1), now + timedelta(days=10)

    created = ok(
        schedule(supervisor, ana, bruno, start, end, return_tickets=True, note="Férias"), 201
    )
    assert created["state"] == "scheduled" and created["moved_ticket_ids"] == []
    assert created["created_by_id"] == supervisor.id
    assert absences_sweep(session_factory, now) == 0  # not yet

    assert absences_sweep(session_factory, start + timedelta(seconds=30)) == 1

    absence = ok(supervisor.get(f"{V1}/absences/{created['id']}"))
    moved = [kept_open["id"], to_resolve["id"], waiting["id"]]
    assert absence["state"] == "active" and absence["moved_ticket_ids"] == moved
    for ticket_id in moved:
        assert ticket(admin, ticket_id)["assignee_id"] == bruno.id
    assert ticket(admin, waiting["id"])["status"] == "pending_customer"
    assert ticket(admin, done["id"])["assignee_id"] == ana.id  # resolved: not handed over
    (note,) = notes(admin, kept_open["id"])
    assert note.startswith("Ana Lima está ausente até ")
    assert "chamado repassado a Bruno Reis" in note and f"ausência #{created['id']}" in note
    assert "Observação: Férias" in note  # system notes: the team's language
    event = [e for e in timeline(admin, kept_open["id"]) if e.get("kind") == "assignee"][-1]
    assert (event["before"], event["after"], event["actor"]) == (
        ana.id,
        bruno.id,
        "Vacation handover",
    )
    told = ok(bruno.get(f"{V1}/notifications"))["items"]
    assert any("3 chamado(s) de Ana Lima repassado(s) a você" in n["text"] for n in told)
    assert ok(ana.get(f"{V1}/agents/me/presence"))["status"] == "offline"
    assert absences_sweep(session_factory, start + timedelta(minutes=1)) == 0  # once only

    # meanwhile bruno resolves one, and another is given to a colleague
    ok(bruno.patch(f"{V1}/tickets/{to_resolve['id']}", json={"status": "resolved"}))
    carla = make_user("agent", queue_ids=[queue.id])
    ok(admin.patch(f"{V1}/tickets/{waiting['id']}", json={"assignee_id": carla.id}))

    assert absences_sweep(session_factory, end + timedelta(seconds=1)) == 1

    assert ok(supervisor.get(f"{V1}/absences/{created['id']}"))["state"] == "ended"
    assert ticket(admin, kept_open["id"])["assignee_id"] == ana.id
    assert ticket(admin, to_resolve["id"])["assignee_id"] == bruno.id
    assert ticket(admin, waiting["id"])["assignee_id"] == carla.id
    back = notes(admin, kept_open["id"])[-1]
    assert back == f"Ana Lima voltou: chamado devolvido por Bruno Reis (ausência #{created['id']})."
    assert len(notes(admin, to_resolve["id"])) == 1


def test_without_return_tickets_they_stay_with_the_substitute(
    admin: Any, make_user: Any, session_factory: sessionmaker[Session]
) -> None:
    ana, bruno = make_user("agent"), make_user("agent")
    open_ticket = create(admin, assignee_id=ana.id)
    now = utcnow()
    created = ok(schedule(admin, ana, bruno, now, now + timedelta(days=1)), 201)
    assert created["return_tickets"] is False
    assert absences_sweep(session_factory, now) == 1
    assert absences_sweep(session_factory, now + timedelta(days=2)) == 1
    assert ok(admin.get(f"{V1}/absences/{created['id']}"))["state"] == "ended"
    assert ticket(admin, open_ticket["id"])["assignee_id"] == bruno.id


def test_the_absent_agent_gets_no_new_assignment(
    admin: Any, make_user: Any, make_queue: Any, session_factory: sessionmaker[Session]
) -> None:
    queue = make_queue()
    ok(admin.patch(f"{V1}/queues/{queue.id}", json={"assignment_mode": "round_robin"}))
    ana = make_user("agent", queue_ids=[queue.id])  # the lower id: served first on a tie
    bruno = make_user("agent", queue_ids=[queue.id])
    set_presence(ana, "online")
    set_presence(bruno, "online")
    now = utcnow()
    created = ok(
        schedule(admin, ana, bruno, now - timedelta(minutes=1), now + timedelta(days=5)), 201
    )

    # in force from its start, before the sweep has even run
    first = create(admin, queue_id=queue.id)
    assert ticket(admin, first["id"])["assignee_id"] == bruno.id
    board = {r["user_id"]: r for r in ok(admin.get(f"{V1}/agents/presence"))}
    assert board[ana.id]["absent"] is True and board[bruno.id]["absent"] is False

    assert absences_sweep(session_factory, utcnow()) == 1
    assert ok(admin.get(f"{V1}/absences/{created['id']}"))["state"] == "active"
    set_presence(bruno, "offline")
    set_presence(ana, "online")  # logging in during the vacation does not bring work
    second = create(admin, queue_id=queue.id)
    assert ticket(admin, second["id"])["assignee_id"] is None


def test_overlaps_and_bad_periods_are_refused(admin: Any, make_user: Any) -> None:
    ana, bruno, carla = make_user("agent"), make_user("agent"), make_user("agent")
    supervisor = make_user("supervisor")
    day = utcnow().replace(microsecond=0) + timedelta(days=1)
    first = ok(schedule(supervisor, ana, bruno, day, day + timedelta(days=5)), 201)

    clash = refused(
        schedule(supervisor, ana, carla, day + timedelta(days=3), day + timedelta(days=8)),
        409,
        "starts_at",
    )
    assert f"absence #{first['id']}" in clash["detail"]
    # bruno covers for ana then: he cannot be away himself, nor can ana cover for someone
    refused(
        schedule(supervisor, bruno, carla, day + timedelta(days=1), day + timedelta(days=2)),
        409,
        "user_id",
    )
    refused(
        schedule(supervisor, carla, ana, day + timedelta(days=4), day + timedelta(days=6)),
        409,
        "substitute_id",
    )
    # back to back is fine
    ok(schedule(supervisor, ana, carla, day + timedelta(days=5), day + timedelta(days=6)), 201)

    refused(schedule(supervisor, carla, bruno, day, day), 422, "ends_at")
    refused(schedule(supervisor, carla, bruno, day, day - timedelta(hours=1)), 422, "ends_at")
    past = day - timedelta(days=3)
    refused(schedule(supervisor, carla, bruno, past, past + timedelta(hours=1)), 422, "ends_at")
    refused(schedule(supervisor, carla, carla, day, day + timedelta(days=1)), 422, "substitute_id")
    contact = make_user("contact")
    refused(
        schedule(supervisor, carla, contact, day, day + timedelta(days=1)), 422, "substitute_id"
    )
    refused(schedule(supervisor, contact, carla, day, day + timedelta(days=1)), 422, "user_id")
    naive = {
        "user_id": carla.id,
        "substitute_id": bruno.id,
        "starts_at": "2030-01-02T08:00:00",
        "ends_at": "2030-01-03T08:00:00-03:00",
    }
    refused(supervisor.post(f"{V1}/absences", json=naive), 422, "starts_at")
    refused(schedule(ana, carla, bruno, day, day + timedelta(days=1)), 403)


def test_cancelling(admin: Any, make_user: Any, session_factory: sessionmaker[Session]) -> None:
    ana, bruno = make_user("agent"), make_user("agent")
    supervisor = make_user("supervisor")
    open_ticket = create(admin, assignee_id=ana.id)
    now = utcnow()
    later = ok(
        schedule(supervisor, ana, bruno, now + timedelta(days=1), now + timedelta(days=3)), 201
    )
    cancelled = ok(supervisor.post(f"{V1}/absences/{later['id']}/cancel"))
    assert cancelled["state"] == "cancelled"
    assert absences_sweep(session_factory, now + timedelta(days=1, hours=1)) == 0
    assert ticket(admin, open_ticket["id"])["assignee_id"] == ana.id
    refused(supervisor.post(f"{V1}/absences/{later['id']}/cancel"), 409, "state")

    # an active absence ends now, and gives back what is still open
    current = ok(
        schedule(supervisor, ana, bruno, now, now + timedelta(days=3), return_tickets=True), 201
    )
    absences_sweep(session_factory, utcnow())
    assert ticket(admin, open_ticket["id"])["assignee_id"] == bruno.id
    ended = ok(supervisor.post(f"{V1}/absences/{current['id']}/cancel"))
    assert ended["state"] == "ended"
    assert now <= datetime.fromisoformat(ended["ends_at"]) <= utcnow()
    assert ticket(admin, open_ticket["id"])["assignee_id"] == ana.id
    refused(ana.post(f"{V1}/absences/{current['id']}/cancel"), 403)
    refused(supervisor.post(f"{V1}/absences/{10**12}/cancel"), 404)


def test_agents_see_the_absences_that_involve_them(admin: Any, make_user: Any) -> None:
    ana, bruno, carla = make_user("agent"), make_user("agent"), make_user("agent")
    day = utcnow() + timedelta(days=1)
    mine = ok(schedule(admin, ana, bruno, day, day + timedelta(days=2)), 201)
    others = ok(schedule(admin, carla, bruno, day, day + timedelta(days=2)), 201)

    assert [a["id"] for a in ok(ana.get(f"{V1}/absences"))["items"]] == [mine["id"]]
    assert [a["id"] for a in ok(bruno.get(f"{V1}/absences"))["items"]] == [
        others["id"],
        mine["id"],
    ]
    refused(ana.get(f"{V1}/absences/{others['id']}"), 404)
    assert ok(bruno.get(f"{V1}/absences/{others['id']}"))["user_id"] == carla.id
    everyone = ok(admin.get(f"{V1}/absences", params={"user_id": carla.id}))["items"]
    assert [a["id"] for a in everyone] == [others["id"]]
    page = ok(admin.get(f"{V1}/absences", params={"limit": 1}))
    assert [a["id"] for a in page["items"]] == [others["id"]] and page["next_cursor"]
    rest = ok(admin.get(f"{V1}/absences", params={"limit": 1, "cursor": page["next_cursor"]}))
    assert [a["id"] for a in rest["items"]] == [mine["id"]]
    assert ok(admin.get(f"{V1}/absences", params={"state": "active"}))["items"] == []
    refused(make_user("contact").get(f"{V1}/absences"), 403)


def test_a_handover_past_the_substitutes_cap_warns_the_supervisors(
    admin: Any, make_user: Any, make_queue: Any, session_factory: sessionmaker[Session]
) -> None:
    """Seed 001 caps an analyst's backlog at 5: the handover still happens (the tickets must
    move), but the supervisors hear of the overshoot at once and the board shows it."""
    queue = make_queue()
    ana = make_user("agent", name="Ana Lima", queue_ids=[queue.id])
    bruno = make_user("agent", name="Bruno Reis", queue_ids=[queue.id])
    supervisor = make_user("supervisor")
    ok(admin.patch(f"{V1}/users/{bruno.id}", json={"max_open_tickets": 2}))
    for n in range(3):
        create(admin, queue_id=queue.id, assignee_id=ana.id, subject=f"Chamado {n}")
    create(admin, queue_id=queue.id, assignee_id=bruno.id, subject="Do Bruno")
    now = utcnow()
    start, end = now + timedelta(hours=1), now + timedelta(days=10)
    ok(schedule(supervisor, ana, bruno, start, end), 201)
    assert absences_sweep(session_factory, start + timedelta(seconds=30)) == 1

    warned = ok(supervisor.get(f"{V1}/notifications"))["items"]
    [warning] = [n for n in warned if n["kind"] == "absence_over_capacity"]
    assert "Bruno Reis agora tem 4 chamados abertos, acima do limite de 2" in warning["text"]
    board = {r["user_id"]: r for r in ok(supervisor.get(f"{V1}/agents/presence"))}
    assert board[bruno.id]["open_tickets"] == 4 and board[bruno.id]["over_capacity"] is True
    assert board[ana.id]["over_capacity"] is False
