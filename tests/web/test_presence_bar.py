"""Presence always visible (web/presence.py): every console page's top bar shows the staff
member's status, since when, their load against capacity, and changes it (seed 004: online,
a pause with one of the admins' reasons, or offline; never invisible)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login

HTMX = {"HX-Request": "true"}


def test_the_top_bar_shows_and_changes_the_agents_presence(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    assert admin.post("/api/v1/pause-reasons", json={"name": "Almoço"}).status_code == 201
    agent = make_user("agent", name="Paula", password=PASSWORD)
    token = _login(client, agent)
    assert 'hx-get="/presence"' in client.get("/tickets").text

    bar = client.get("/presence", headers=HTMX)
    assert bar.status_code == 200
    assert 'data-presence="offline"' in bar.text and "Offline" in bar.text
    assert 'value="paused:Almoço"' in bar.text and "Pausa: Almoço" in bar.text
    assert ">0 chamado<" in bar.text  # Portuguese counts zero as singular

    paused = client.post(
        "/presence", data={"csrf_token": token, "choice": "paused:Almoço"}, headers=HTMX
    )
    assert paused.status_code == 200
    assert 'data-presence="paused"' in paused.text and "Em pausa: Almoço" in paused.text
    me = agent.get("/api/v1/agents/me/presence").json()
    assert (me["status"], me["reason"]) == ("paused", "Almoço")

    wrong = client.post(
        "/presence", data={"csrf_token": token, "choice": "paused:Cochilo"}, headers=HTMX
    )
    assert wrong.status_code == 422
    assert "motivo de pausa desconhecido &#39;Cochilo&#39;; um de: Almoço" in wrong.text
    assert agent.get("/api/v1/agents/me/presence").json()["reason"] == "Almoço"  # unchanged

    online = client.post("/presence", data={"csrf_token": token, "choice": "online"})
    assert online.status_code == 200  # a plain post lands back on the console
    assert agent.get("/api/v1/agents/me/presence").json()["status"] == "online"
    assert (
        client.post("/presence", data={"csrf_token": "forged", "choice": "offline"}).status_code
        == 403
    )


def test_a_customer_has_no_presence_bar(client: TestClient, admin: Any, make_user: Any) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "Lia", "email": "lia@x.example"}).json()
    customer = make_user("contact", contact_id=contact["id"], password=PASSWORD)
    _login(client, customer)
    assert 'hx-get="/presence"' not in client.get("/tickets").text
    assert client.get("/presence").status_code == 204
