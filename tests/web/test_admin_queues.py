"""``/admin/queues``: an admin lists queues with members, mode, capacity and calendar, creates
and edits them through the queue service (audited), and reads refusals in Portuguese next to
the field with what was typed; nobody else reaches the pages."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.queries import assert_query_count, count_queries

from .conftest import PASSWORD, form_token
from .test_admin_users import _admin_in, _field_error
from .test_agenda import _login

V1 = "/api/v1"
WEEK = {"monday": [["08:00", "12:00"], ["13:00", "18:00"]]}


def test_an_admin_creates_a_round_robin_queue_with_members_capacity_and_hours(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    bruno = make_user("agent", name="Bruno Carvalho")
    juliana = make_user("agent", name="Juliana Souza")
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Comercial", "timezone": "America/Sao_Paulo", "weekly_hours": WEEK},
    ).json()["id"]
    form = client.get("/admin/queues/new")
    assert "Bruno Carvalho" in form.text and "Comercial" in form.text
    assert "Rodízio" in form.text
    made = client.post(
        "/admin/queues/new",
        data={"csrf_token": token, "name": "Suporte N2", "description": "Casos difíceis",
              "member_ids": [str(bruno.id), str(juliana.id)], "assignment_mode": "round_robin",
              "calendar_id": str(cal), "default_max_open_tickets": "15",
              "default_max_chats": "3"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "A fila foi salva." in page.text
    assert "Bruno Carvalho, Juliana Souza" in page.text and "Comercial" in page.text
    queue = next(q for q in boss.get(f"{V1}/queues").json() if q["name"] == "Suporte N2")
    assert queue["member_ids"] == sorted([bruno.id, juliana.id])
    assert (queue["assignment_mode"], queue["calendar_id"]) == ("round_robin", cal)
    assert (queue["default_max_open_tickets"], queue["default_max_chats"]) == (15, 3)
    trail = boss.get(f"{V1}/audit", params={"entity_type": "queue", "entity_id": queue["id"]})
    entry = trail.json()["items"][0]
    assert entry["action"] == "created" and entry["actor_id"] == boss.id


def test_an_admin_edits_members_mode_and_calendar_and_the_change_is_audited(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    bruno = make_user("agent", name="Bruno")
    queue = boss.post(f"{V1}/queues", json={"name": "Financeiro", "member_ids": [bruno.id]}).json()
    page = client.get(f"/admin/queues/{queue['id']}")
    assert page.status_code == 200 and 'value="Financeiro"' in page.text
    assert f'value="{bruno.id}" checked' in page.text
    saved = client.post(
        f"/admin/queues/{queue['id']}",
        data={"csrf_token": token, "name": "Financeiro", "description": "",
              "assignment_mode": "least_loaded", "calendar_id": "",
              "default_max_open_tickets": "", "default_max_chats": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    got = boss.get(f"{V1}/queues/{queue['id']}").json()
    assert got["member_ids"] == [] and got["assignment_mode"] == "least_loaded"
    trail = boss.get(f"{V1}/audit", params={"entity_type": "queue", "entity_id": queue["id"]})
    changes = trail.json()["items"][0]["changes"]
    assert changes["assignment_mode"] == {"before": "manual", "after": "least_loaded"}
    assert changes["member_ids"] == {"before": [bruno.id], "after": []}


def test_refusals_come_back_next_to_the_field_with_what_was_typed(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    boss.post(f"{V1}/queues", json={"name": "Suporte N1"})
    base = {"csrf_token": token, "name": "Nova fila", "description": "Texto digitado",
            "assignment_mode": "manual"}  # fmt: skip
    cases = [
        ({"name": "Suporte N1"}, "name", "Já existe uma fila chamada"),
        ({"name": ""}, "name", "Deve ter ao menos 1"),
        ({"assignment_mode": "sorteio"}, "assignment_mode", "Deve ser um de"),
        ({"default_max_chats": "0"}, "default_max_chats", "no mínimo 1"),
        ({"default_max_open_tickets": "muitos"}, "default_max_open_tickets", "número inteiro"),
        ({"calendar_id": "424242"}, "calendar_id", "não existe"),
        ({"member_ids": ["999999"]}, "member_ids", "não é da equipe"),
    ]
    for extra, field, words in cases:
        page = client.post("/admin/queues/new", data={**base, **extra})
        assert page.status_code == 422, (field, page.text[:300])
        said = _field_error(page.text, field)
        assert words.lower() in said.lower(), (field, said)
        assert "Texto digitado" in page.text
    names = [q["name"] for q in boss.get(f"{V1}/queues").json()]
    assert "Nova fila" not in names


def test_the_triage_queue_cannot_be_unmarked_without_another(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    triage = boss.post(f"{V1}/queues", json={"name": "Triagem", "triage": True}).json()
    page = client.post(
        f"/admin/queues/{triage['id']}",
        data={"csrf_token": token, "name": "Triagem", "assignment_mode": "manual"},
    )
    assert page.status_code == 422
    assert "fila de triagem" in _field_error(page.text, "triage").lower()
    assert boss.get(f"{V1}/queues/{triage['id']}").json()["triage"] is True


def test_only_admins_reach_the_queue_pages(client: TestClient, make_user: Any) -> None:
    boss, _token = _admin_in(client, make_user)
    queue = boss.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()
    assert client.get("/admin/queues/999999").status_code == 404
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        _login(client, make_user(role, password=PASSWORD))
        mine = form_token(client.get("/tickets").text)
        listed = client.get("/admin/queues")  # a supervisor reads the list, no form
        assert listed.status_code == (200 if role == "supervisor" else 404), role
        assert client.get(f"/admin/queues/{queue['id']}").status_code == 404
        sneaky = client.post(
            f"/admin/queues/{queue['id']}",
            data={"csrf_token": mine, "name": "Tomada", "assignment_mode": "manual"},
        )
        assert sneaky.status_code == 404
    assert boss.get(f"{V1}/queues/{queue['id']}").json()["name"] == "Suporte N1"


def test_the_queue_list_costs_a_fixed_number_of_statements(
    client: TestClient, make_user: Any, db: Session
) -> None:
    boss, _token = _admin_in(client, make_user)
    first = make_user("agent").id
    boss.post(f"{V1}/queues", json={"name": "Suporte N1", "member_ids": [first]})
    client.get("/admin/queues")  # the session's activity is recorded once
    with count_queries(db) as small:
        client.get("/admin/queues")
    members = [make_user("agent").id for _ in range(4)]
    for n in range(6):
        boss.post(f"{V1}/queues", json={"name": f"Fila {n}", "member_ids": members})
    with assert_query_count(db, small.count):
        page = client.get("/admin/queues")
    assert page.text.count("<tr data-queue=") == 7
    # the session, the queues, their members, the members' names, the calendars
    assert small.count == 5, small.listing()
