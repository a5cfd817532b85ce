"""``/admin/pause-reasons``: an admin adds, renames, retires and brings back pause reasons on
one page through the presence service (audited); refusals are said beside the field with what
was typed; agents see only the reasons in use; nobody else reaches the page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token
from .test_admin_users import _admin_in, _field_error
from .test_agenda import _login

V1 = "/api/v1"


def _reasons(api: Any) -> dict[str, bool]:
    rows = api.get(f"{V1}/pause-reasons", params={"include_inactive": "true"}).json()
    return {r["name"]: r["active"] for r in rows}


def test_an_admin_adds_renames_retires_and_brings_back_a_reason(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    added = client.post(
        "/admin/pause-reasons",
        data={"csrf_token": token, "name": "  Almoço  "},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    assert "O motivo de pausa foi salvo." in page.text and 'value="Almoço"' in page.text
    reason = next(r for r in boss.get(f"{V1}/pause-reasons").json() if r["name"] == "Almoço")
    client.post(
        f"/admin/pause-reasons/{reason['id']}", data={"csrf_token": token, "name": "Almoço/Jantar"}
    )
    assert _reasons(boss) == {"Almoço/Jantar": True}
    client.post(
        f"/admin/pause-reasons/{reason['id']}/active",
        data={"csrf_token": token, "active": "false"},
    )
    assert _reasons(boss) == {"Almoço/Jantar": False}
    page = client.get("/admin/pause-reasons")
    assert "Aposentado" in page.text and "Trazer de volta" in page.text
    agent = make_user("agent")
    assert agent.get(f"{V1}/pause-reasons").json() == []  # no longer offered
    client.post(
        f"/admin/pause-reasons/{reason['id']}/active",
        data={"csrf_token": token, "active": "true"},
    )
    assert _reasons(boss) == {"Almoço/Jantar": True}
    trail = boss.get(
        f"{V1}/audit", params={"entity_type": "pause_reason", "entity_id": reason["id"]}
    ).json()["items"]
    assert [e["action"] for e in trail] == ["updated", "updated", "updated", "created"]
    assert trail[2]["changes"]["name"] == {"before": "Almoço", "after": "Almoço/Jantar"}
    assert all(e["actor_id"] == boss.id for e in trail)


def test_refusals_are_said_beside_the_field_with_what_was_typed(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    lunch = boss.post(f"{V1}/pause-reasons", json={"name": "Almoço"}).json()
    meeting = boss.post(f"{V1}/pause-reasons", json={"name": "Reunião"}).json()
    same = client.post("/admin/pause-reasons", data={"csrf_token": token, "name": "almoço"})
    assert same.status_code == 422
    assert "já existe um motivo de pausa" in _field_error(same.text, "name").lower()
    assert 'value="almoço"' in same.text
    long = client.post("/admin/pause-reasons", data={"csrf_token": token, "name": "x" * 81})
    assert "no máximo 80" in _field_error(long.text, "name").lower()
    clash = client.post(
        f"/admin/pause-reasons/{meeting['id']}", data={"csrf_token": token, "name": "Almoço"}
    )
    assert clash.status_code == 422
    said = re.search(rf'id="r-{meeting["id"]}-error">([^<]*)<', clash.text)
    assert said and "já existe" in said.group(1).lower()
    assert f'id="r-{meeting["id"]}" name="name" value="Almoço"' in clash.text
    assert f'id="r-{lunch["id"]}" name="name" value="Almoço"' in clash.text
    empty = client.post(
        f"/admin/pause-reasons/{meeting['id']}", data={"csrf_token": token, "name": "   "}
    )
    assert empty.status_code == 422
    assert _reasons(boss) == {"Almoço": True, "Reunião": True}


def test_only_admins_reach_the_pause_reasons(client: TestClient, make_user: Any) -> None:
    boss, _token = _admin_in(client, make_user)
    lunch = boss.post(f"{V1}/pause-reasons", json={"name": "Almoço"}).json()
    token = form_token(client.get("/admin/pause-reasons").text)
    missing = client.post(
        "/admin/pause-reasons/999999/active", data={"csrf_token": token, "active": "false"}
    )
    assert missing.status_code == 404
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        _login(client, make_user(role, password=PASSWORD))
        mine = form_token(client.get("/tickets").text)
        listed = client.get("/admin/pause-reasons")  # a supervisor reads the list, no form
        assert listed.status_code == (200 if role == "supervisor" else 404), role
        for url, data in (
            ("/admin/pause-reasons", {"name": "Café"}),
            (f"/admin/pause-reasons/{lunch['id']}", {"name": "Café"}),
            (f"/admin/pause-reasons/{lunch['id']}/active", {"active": "false"}),
        ):
            assert client.post(url, data={"csrf_token": mine, **data}).status_code == 404
    assert _reasons(boss) == {"Almoço": True}
