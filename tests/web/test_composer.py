"""The composer's canned replies (web/composer.py): each filled in with the ticket's values,
for staff only; the browser side (typing "/") is in tests/web/test_browser.py."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login


def test_canned_replies_come_filled_in_for_the_ticket_and_only_for_staff(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    for name, body in (
        ("Boas-vindas", "Olá, {{contact.first_name|cliente}}! Seu chamado é o #{{ticket.number}}."),
        ("Encerramento", "Ficou alguma dúvida?"),
    ):
        assert (
            admin.post("/api/v1/canned-replies", json={"name": name, "body": body}).status_code
            == 201
        )
    contact = admin.post(
        "/api/v1/contacts", json={"name": "Joana Lojista", "email": "joana@padaria.example"}
    ).json()
    ticket = admin.post(
        "/api/v1/tickets",
        json={"subject": "Caixa travado", "body": "...", "contact_id": contact["id"]},
    ).json()["id"]

    boss = make_user("supervisor", password=PASSWORD)
    _login(client, boss)
    found = client.get(f"/tickets/{ticket}/canned-replies")
    assert found.status_code == 200
    assert {r["name"]: r["body"] for r in found.json()} == {
        "Boas-vindas": f"Olá, Joana! Seu chamado é o #{ticket}.",
        "Encerramento": "Ficou alguma dúvida?",
    }
    page = client.get(f"/tickets/{ticket}").text
    assert f'data-canned="/tickets/{ticket}/canned-replies"' in page
    assert "Digite / para buscar as respostas prontas." in page
    assert client.get("/tickets/987654/canned-replies").status_code == 404

    customer = make_user("contact", contact_id=contact["id"], password=PASSWORD)
    client.cookies.clear()
    _login(client, customer)
    assert client.get(f"/tickets/{ticket}/canned-replies").status_code == 404
    assert "data-canned" not in client.get(f"/tickets/{ticket}").text
