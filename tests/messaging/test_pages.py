"""The ticket page on WhatsApp and phone tickets: the window and the templates in the composer
(outside the window, only templates reach the customer), each reply's delivery state, and the
phone log's forms (a refused form keeps what was typed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient

from tests.messaging.conftest import WROTE_AT, fixture
from tests.web.conftest import PASSWORD, form_token, login


def _agent_on_page(client: TestClient, make_user: Any) -> Any:
    agent = make_user("supervisor", password=PASSWORD)
    assert login(client, agent.user.email).status_code == 303
    return agent


def test_inside_the_window_the_reply_goes_and_shows_its_delivery_state(
    client: TestClient, make_user: Any, deliver: Any, worker: Any, admin: Any,
    at_first_message: None,
) -> None:  # fmt: skip
    deliver(fixture("text"))
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    _agent_on_page(client, make_user)
    page = client.get(f"/tickets/{ticket['id']}")
    assert 'data-window="open"' in page.text
    assert "Janela de atendimento aberta até 03/12/2026 11:00" in page.text
    token = form_token(page.text)
    r = client.post(f"/tickets/{ticket['id']}/messages", data={
        "csrf_token": token, "body": "Reenviamos a nota.", "visibility": "public",
        "send_anyway": "1"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    worker.drain()
    page = client.get(f"/tickets/{ticket['id']}")
    assert 'data-email-state="sent"' in page.text and "WhatsApp: enviado" in page.text


def test_outside_the_window_the_composer_offers_only_the_templates(
    client: TestClient, make_user: Any, deliver: Any, worker: Any, admin: Any, graph: Any
) -> None:
    with time_machine.travel(WROTE_AT + timedelta(minutes=5), tick=True):
        deliver(fixture("text"))
        worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    url = f"/tickets/{ticket['id']}"
    with time_machine.travel(WROTE_AT + timedelta(hours=30), tick=True):
        _agent_on_page(client, make_user)
        page = client.get(url)
        assert 'data-window="closed"' in page.text
        assert "A janela de 24 horas fechou em 03/12/2026 11:00" in page.text
        assert 'name="visibility" value="note"' in page.text
        assert 'value="public"' not in page.text  # no free text to the customer
        assert f'action="/tickets/{ticket["id"]}/whatsapp-template"' in page.text
        token = form_token(page.text)
        # a public reply sent anyway (an old page, a crafted form) is refused, nothing written
        r = client.post(
            f"{url}/messages",
            data={"csrf_token": token, "body": "Oi?", "visibility": "public", "send_anyway": "1"},
        )
        assert r.status_code == 422
        assert "só um modelo aprovado pode ser enviado" in r.text
        refused = client.post(f"{url}/whatsapp-template", data={
            "csrf_token": token, "template": "retomar_atendimento",
            "parameters": ["Marina", ""]})  # fmt: skip
        assert refused.status_code == 422
        assert "Preencha todos os parâmetros do modelo." in refused.text
        assert 'value="Marina"' in refused.text  # what was typed stays
        sent = client.post(f"{url}/whatsapp-template", data={
            "csrf_token": token, "template": "retomar_atendimento",
            "parameters": ["Marina", f"#{ticket['id']}"]}, follow_redirects=False)  # fmt: skip
        assert sent.status_code == 303, sent.text
        worker.drain()
        page = client.get(url)
    assert "Temos novidades sobre o chamado" in page.text
    assert "WhatsApp: enviado" in page.text
    assert [m["type"] for m in graph.sent] == ["template"]


def test_a_call_is_logged_from_the_side_panel_and_its_summary_sent(
    client: TestClient, make_user: Any, admin: Any, worker: Any, sink: Any
) -> None:
    contact = admin.post(
        "/api/v1/contacts",
        json={"name": "Marina", "email": "marina@cliente.example", "phone": "11987654321"},
    ).json()
    ticket = admin.post("/api/v1/tickets", json={
        "subject": "Boleto", "body": "Dois boletos", "channel": "phone",
        "contact_id": contact["id"]}).json()  # fmt: skip
    url = f"/tickets/{ticket['id']}"
    _agent_on_page(client, make_user)
    page = client.get(url)
    assert 'value="+5511987654321"' in page.text  # the number comes filled in
    token = form_token(page.text)
    refused = client.post(f"{url}/calls", data={
        "csrf_token": token, "direction": "in", "number": "+5511987654321",
        "minutes": "quatro", "summary": "Boleto duplicado cancelado."})  # fmt: skip
    assert refused.status_code == 422
    assert "Escreva a duração em minutos inteiros" in refused.text
    assert "Boleto duplicado cancelado." in refused.text  # kept
    logged = client.post(
        f"{url}/calls",
        data={
            "csrf_token": token,
            "direction": "in",
            "number": "+5511987654321",
            "minutes": "4",
            "summary": "Boleto duplicado cancelado.",
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303
    page = client.get(url)
    assert "Ligação recebida de +55 11 98765-4321 (4 min): Boleto duplicado cancelado." in page.text
    [call] = admin.get(f"/api/v1/tickets/{ticket['id']}/calls").json()
    no_whatsapp = client.post(
        f"{url}/calls/{call['id']}/summary", data={"csrf_token": token, "via": "whatsapp"}
    )
    assert no_whatsapp.status_code == 422
    assert "o cliente não tem conversa no WhatsApp" in no_whatsapp.text
    sent = client.post(
        f"{url}/calls/{call['id']}/summary",
        data={"csrf_token": token, "via": "email"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = client.get(url)
    assert "Resumo enviado por e-mail" in page.text
    assert "enviou o resumo da ligação ao cliente por e-mail" in page.text
    worker.drain()
    assert [m[1] for m in sink[0].messages] == [["marina@cliente.example"]]
    assert "E-mail enviado" in client.get(url).text


def test_the_forms_need_the_csrf_token_and_staff(
    client: TestClient, make_user: Any, admin: Any
) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "C", "email": "c@cliente.example"})
    customer = make_user("contact", contact_id=contact.json()["id"], password=PASSWORD)
    ticket = customer.post("/api/v1/tickets", json={"subject": "Ajuda", "body": "Oi"}).json()
    assert login(client, customer.user.email).status_code == 303
    page = client.get(f"/tickets/{ticket['id']}")
    assert "Registrar ligação" not in page.text and 'id="calls"' not in page.text
    token = form_token(page.text)
    data = {"csrf_token": token, "direction": "in", "number": "11987654321", "minutes": "1",
            "summary": "x"}  # fmt: skip
    assert client.post(f"/tickets/{ticket['id']}/calls", data=data).status_code == 404
    no_token = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(f"/tickets/{ticket['id']}/calls", data=no_token).status_code == 403
