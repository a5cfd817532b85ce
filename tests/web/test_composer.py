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


def test_a_file_uploaded_from_the_composer_goes_with_the_reply(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "Joana", "email": "j@p.example"}).json()
    ticket = admin.post(
        "/api/v1/tickets", json={"subject": "Nota", "body": "...", "contact_id": contact["id"]}
    ).json()["id"]
    boss = make_user("supervisor", password=PASSWORD)
    token = _login(client, boss)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    forged = client.post(f"/tickets/{ticket}/uploads", files={"file": ("a.png", png, "image/png")})
    assert forged.status_code == 403  # no CSRF token
    up = client.post(
        f"/tickets/{ticket}/uploads",
        files={"file": ("erro.png", png, "image/png")},
        headers={"X-CSRF-Token": token},
    )
    assert up.status_code == 201, up.text
    assert up.json()["filename"] == "erro.png"
    sent = client.post(
        f"/tickets/{ticket}/messages",
        data={"csrf_token": token, "body": "Segue a tela. Ficou alguma dúvida?",
              "attachment_ids": [str(up.json()["id"])]},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    (bound,) = admin.get(f"/api/v1/tickets/{ticket}/attachments").json()["items"]
    assert bound["filename"] == "erro.png" and bound["public"] is True
    assert bound["message_id"] is not None

    note_file = client.post(
        f"/tickets/{ticket}/uploads?public=false",
        files={"file": ("log.txt", b"linha 1\n", "text/plain")},
        headers={"X-CSRF-Token": token},
    )
    assert note_file.status_code == 201
    wrong = client.post(
        f"/tickets/{ticket}/messages",
        data={"csrf_token": token, "body": "Resposta pública. Ficou alguma dúvida?",
              "attachment_ids": [str(note_file.json()["id"])], "send_anyway": "1"},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert "são internos e não podem ir numa mensagem pública" in wrong.text
    assert f'name="attachment_ids" value="{note_file.json()["id"]}"' in wrong.text  # kept
    assert (
        client.post(
            "/tickets/987654/uploads",
            files={"file": ("a.txt", b"x", "text/plain")},
            headers={"X-CSRF-Token": token},
        ).status_code
        == 404
    )
