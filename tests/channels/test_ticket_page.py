"""The ticket page shows each e-mail's delivery state to staff, in Portuguese, and links the
original of an inbound e-mail; a customer sees neither."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.channels.conftest import CORPUS
from tests.support.queries import assert_query_count
from tests.web.conftest import PASSWORD, login


def test_staff_see_the_delivery_state_and_download_the_original(
    client: TestClient, db: Session, smtp_send: Any, worker: Any, admin: Any, make_user: Any
) -> None:
    raw = (CORPUS / "gmail_pt_br.eml").read_bytes()
    smtp_send(raw)
    worker.drain()
    [item] = admin.get("/api/v1/inbound").json()["items"]
    ticket_id = item["ticket_id"]
    failing = admin.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": "Olá Joana, verificamos o CNPJ.", "public": True},
    )
    assert failing.status_code == 201
    worker.drain()

    supervisor = make_user("supervisor", password=PASSWORD)
    assert login(client, supervisor.user.email).status_code == 303
    client.get(f"/tickets/{ticket_id}")
    # the ticket page's statements (tests/web/test_ticket_page.py; here a supervisor, whose
    # queues are not read, and a customer without an organization), the e-mails' one and the
    # ticket's visits (session 8), its calls (#17)
    with assert_query_count(db, 16):
        page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert 'data-email-state="received"' in page.text
    assert "Recebido por e-mail" in page.text
    assert 'data-email-state="sent"' in page.text
    assert "E-mail enviado" in page.text
    link = f"/tickets/{ticket_id}/messages/{item['message_id']}/original"
    assert f'href="{link}"' in page.text
    original = client.get(link)
    assert original.status_code == 200
    assert original.content == raw
    assert original.headers["content-type"] == "message/rfc822"
    client.post("/logout", data={"csrf_token": ""}, follow_redirects=False)
    client.cookies.clear()

    customer = make_user(
        "contact", contact_id=admin.get(f"/api/v1/tickets/{ticket_id}").json()["requester_id"],
        password=PASSWORD,
    )  # fmt: skip
    assert login(client, customer.user.email).status_code == 303
    page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "data-email-state" not in page.text
    assert client.get(link).status_code == 404
