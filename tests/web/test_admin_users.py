"""``/admin/users``: an admin lists, creates, edits, deactivates and reactivates users without
typing JSON; refusals come back in Portuguese next to the field with what was typed; every
change is on the audit trail; nobody else sees the pages, and no password is ever shown."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.queries import assert_query_count, count_queries

from .conftest import PASSWORD, form_token
from .test_agenda import _login

V1 = "/api/v1"


def _admin_in(client: TestClient, make_user: Any) -> tuple[Any, str]:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    _login(client, boss)
    return boss, form_token(client.get("/admin/users/new").text)


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert found, f"no error next to {field}"
    return found.group(1)


def _line(html: str, attribute: str, key: str) -> str:
    """The text of the list item ``<li data-<attribute>="<key>">``, without its tags."""
    found = re.search(rf'<li data-{attribute}="{key}">(.*?)</li>', html, re.S)
    assert found, f"no line {attribute}={key}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_an_admin_creates_an_agent_with_queues_and_capacity(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    n1 = boss.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    boss.post(f"{V1}/queues", json={"name": "Financeiro"})
    form = client.get("/admin/users/new")
    assert form.status_code == 200
    assert "Suporte N1" in form.text and "Financeiro" in form.text
    made = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token, "name": "Bruno Carvalho", "email": "Bruno@Solis.example",
            "role": "agent", "timezone": "America/Manaus", "locale": "pt_BR",
            "queue_ids": [str(n1)], "max_open_tickets": "12", "max_chats": "",
            "password": "cafe-com-pao-de-queijo",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "O usuário foi salvo." in page.text
    users = boss.get(f"{V1}/users", params={"q": "bruno"}).json()["items"]
    assert len(users) == 1
    bruno = users[0]
    assert bruno["email"] == "bruno@solis.example"
    assert bruno["timezone"] == "America/Manaus"
    assert bruno["queue_ids"] == [n1]
    assert bruno["max_open_tickets"] == 12 and bruno["max_chats"] is None
    assert "Suporte N1" in page.text and "Agente" in page.text and "Ativo" in page.text
    # the new agent logs in with the password typed, which no page shows
    assert "cafe-com-pao-de-queijo" not in client.get(f"/admin/users/{bruno['id']}").text
    client.cookies.clear()
    assert (
        client.post(
            "/login",
            data={"email": "bruno@solis.example", "password": "cafe-com-pao-de-queijo",
                  "csrf_token": form_token(client.get("/login").text), "next": ""},
            follow_redirects=False,
        ).status_code
        == 303
    )  # fmt: skip
    audit = boss.get(f"{V1}/audit", params={"entity_type": "user", "entity_id": bruno["id"]})
    entry = audit.json()["items"][0]
    assert entry["action"] == "created" and entry["actor_id"] == boss.id
    assert entry["changes"]["queue_ids"]["after"] == [n1]
    assert "cafe" not in audit.text


def test_refused_input_comes_back_in_portuguese_with_what_was_typed(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    make_user("agent", email="lia@solis.example")
    base = {"csrf_token": token, "name": "Lia Souza", "role": "agent", "locale": "pt_BR",
            "timezone": "America/Sao_Paulo"}  # fmt: skip
    cases = [
        ({"email": "lia@solis.example"}, "email", "Já existe um usuário com o e-mail"),
        ({"email": "não é e-mail"}, "email", "valor inválido"),
        ({"email": "lia2@solis.example", "password": "curta"}, "password", "ao menos 8"),
        ({"email": "lia2@solis.example", "password": "password123"}, "password", "comuns"),
        ({"email": "lia2@solis.example", "timezone": "Marte/Olimpo"}, "timezone", "desconhecido"),
        ({"email": "lia2@solis.example", "max_chats": "0"}, "max_chats", "no mínimo 1"),
        ({"email": "lia2@solis.example", "max_chats": "dois"}, "max_chats", "número inteiro"),
        ({"email": "lia2@solis.example", "queue_ids": ["999999"]}, "queue_ids", "não existe"),
    ]
    for extra, field, words in cases:
        page = client.post("/admin/users/new", data={**base, **extra})
        assert page.status_code == 422, (field, page.text[:300])
        said = _field_error(page.text, field)
        assert words.lower() in said.lower(), (field, said)
        assert 'value="Lia Souza"' in page.text  # what was typed stays
        assert "Nada foi salvo" in page.text
        if "password" in extra:
            assert extra["password"] not in page.text  # a password is never shown back
    assert boss.get(f"{V1}/users", params={"q": "Lia Souza"}).json()["items"] == []


def test_an_admin_edits_changes_the_role_and_deactivates_and_reactivates(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    q = boss.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    paulo = make_user("agent", name="Paulo", email="paulo@solis.example", password=PASSWORD)
    page = client.get(f"/admin/users/{paulo.id}")
    assert page.status_code == 200 and 'value="Paulo"' in page.text
    assert "password_hash" not in page.text and "$argon" not in page.text
    saved = client.post(
        f"/admin/users/{paulo.id}",
        data={"csrf_token": token, "name": "Paulo Lima", "email": "paulo@solis.example",
              "role": "supervisor", "timezone": "America/Sao_Paulo", "locale": "en",
              "queue_ids": [str(q)], "max_open_tickets": "", "max_chats": "3", "password": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    got = boss.get(f"{V1}/users/{paulo.id}").json()
    assert (got["name"], got["role"], got["locale"], got["queue_ids"], got["max_chats"]) == (
        "Paulo Lima", "supervisor", "en", [q], 3,
    )  # fmt: skip
    off = client.post(
        f"/admin/users/{paulo.id}/active",
        data={"csrf_token": token, "active": "false"},
        follow_redirects=False,
    )
    assert off.status_code == 303
    assert boss.get(f"{V1}/users/{paulo.id}").json()["active"] is False
    assert "Inativo" in client.get("/admin/users").text
    client.post(f"/admin/users/{paulo.id}/active", data={"csrf_token": token, "active": "true"})
    assert boss.get(f"{V1}/users/{paulo.id}").json()["active"] is True
    trail = boss.get(f"{V1}/audit", params={"entity_type": "user", "entity_id": paulo.id}).json()
    changes = [e["changes"] for e in trail["items"]]
    assert changes[2]["role"] == {"before": "agent", "after": "supervisor"}
    assert changes[1]["active"] == {"before": True, "after": False}
    assert changes[0]["active"] == {"before": False, "after": True}
    assert all(e["actor_id"] == boss.id for e in trail["items"])


def test_an_admin_cannot_deactivate_themselves_and_is_told_why(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    page = client.post(
        f"/admin/users/{boss.id}/active", data={"csrf_token": token, "active": "false"}
    )
    assert page.status_code == 409
    assert "Você não pode rebaixar nem desativar a própria conta" in page.text
    assert boss.get(f"{V1}/users/{boss.id}").json()["active"] is True


def test_a_new_password_on_the_edit_form_follows_the_rule(
    client: TestClient, make_user: Any
) -> None:
    _boss, token = _admin_in(client, make_user)
    lia = make_user("agent", name="Lia", email="lia@solis.example", password=PASSWORD)
    base = {"csrf_token": token, "name": "Lia", "email": "lia@solis.example", "role": "agent",
            "timezone": "America/Sao_Paulo", "locale": "pt_BR"}  # fmt: skip
    page = client.post(f"/admin/users/{lia.id}", data={**base, "password": "lia@solis"})
    assert page.status_code == 422
    assert "nome ou do e-mail" in _field_error(page.text, "password")
    ok = client.post(
        f"/admin/users/{lia.id}",
        data={**base, "password": "outra senha bem comprida"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    client.cookies.clear()
    relog = client.post(
        "/login",
        data={"email": "lia@solis.example", "password": "outra senha bem comprida",
              "csrf_token": form_token(client.get("/login").text), "next": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert relog.status_code == 303


def test_only_admins_reach_the_user_pages_and_forms_need_their_token(
    client: TestClient, make_user: Any
) -> None:
    boss, _token = _admin_in(client, make_user)
    missing = client.get("/admin/users/999999")
    assert missing.status_code == 404
    forged = client.post(
        "/admin/users/new", data={"name": "X", "email": "x@solis.example", "role": "admin"}
    )
    assert forged.status_code == 403
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        someone = make_user(role, password=PASSWORD)
        _login(client, someone)
        mine = form_token(client.get("/tickets").text)
        listed = client.get("/admin/users")  # a supervisor reads the list, no form
        assert listed.status_code == (200 if role == "supervisor" else 404), role
        assert client.get(f"/admin/users/{boss.id}").status_code == 404
        sneaky = client.post(
            "/admin/users/new",
            data={"csrf_token": mine, "name": "X", "email": "x@solis.example", "role": "admin"},
        )
        assert sneaky.status_code == 404
        off = client.post(
            f"/admin/users/{boss.id}/active", data={"csrf_token": mine, "active": "false"}
        )
        assert off.status_code == 404
    assert boss.get(f"{V1}/users", params={"q": "x@solis"}).json()["items"] == []
    assert boss.get(f"{V1}/users/{boss.id}").json()["active"] is True


def test_the_user_list_costs_a_fixed_number_of_statements(
    client: TestClient, make_user: Any, db: Session
) -> None:
    boss, _token = _admin_in(client, make_user)
    queue = boss.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    client.get("/admin/users")  # the session's activity is recorded once
    with count_queries(db) as small:
        client.get("/admin/users")
    for n in range(10):
        make_user("agent", name=f"Agente {n}", queue_ids=[queue])
    with assert_query_count(db, small.count):
        page = client.get("/admin/users")
    assert page.text.count("<tr data-user=") == 11
    # the session, the page of users, their queues, the queues' names
    assert small.count == 4, small.listing()
