"""Opening a ticket from the console (web/newticket.py): an agent takes a phone request for a new
customer, a non-client's request as fields (seed 002 item 30), a customer opens one from the
portal; refused forms come back with what was typed and the problem next to its field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token

V1 = "/api/v1"


@pytest.fixture
def queues(admin: Any) -> dict[str, int]:
    return {
        name: admin.post(f"{V1}/queues", json={"name": name}).json()["id"]
        for name in ("Suporte N1", "Financeiro")
    }


def _post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    token = form_token(client.get("/tickets/new").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_an_agent_opens_a_phone_ticket_for_a_new_customer(
    client: TestClient, admin: Any, make_user: Any, queues: dict[str, int], web_login: Any
) -> None:
    agent = make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[queues["Suporte N1"]])
    web_login(agent)
    assert 'href="/tickets/new"' in client.get("/tickets").text
    page = client.get("/tickets/new").text
    assert "Novo chamado" in page and 'name="queue"' in page and "Não cliente" in page
    answer = _post(client, "/tickets/new", {
        "subject": "PDV não emite NFC-e", "body": "Cliente ligou: a nota é rejeitada.",
        "channel": "phone", "requester_email": "bia@mercado.example", "requester_name": "Bia",
        "queue": str(queues["Suporte N1"]), "priority": "high", "tags": "nfce, Fiscal",
        "assign_to_me": "1",
    })  # fmt: skip
    assert answer.status_code == 303
    ticket_id = int(answer.headers["location"].rsplit("/", 1)[1])
    ticket = admin.get(f"{V1}/tickets/{ticket_id}").json()
    assert ticket["channel"] == "phone" and ticket["priority"] == "high"
    assert ticket["queue_id"] == queues["Suporte N1"] and ticket["assignee_id"] == agent.id
    assert sorted(ticket["tags"]) == ["fiscal", "nfce"]
    contact = admin.get(f"{V1}/contacts/{ticket['requester_id']}").json()
    assert (contact["name"], contact["email"]) == ("Bia", "bia@mercado.example")
    [first] = [e for e in admin.get(f"{V1}/tickets/{ticket_id}/timeline").json()
               if e["entry"] == "message"]  # fmt: skip
    assert first["body_text"] == "Cliente ligou: a nota é rejeitada."
    assert first["author_contact_id"] == contact["id"]
    assert "PDV não emite NFC-e" in client.get(answer.headers["location"]).text


def test_a_refused_form_keeps_what_was_typed_and_names_each_problem(
    client: TestClient, make_user: Any, queues: dict[str, int], web_login: Any
) -> None:
    web_login(make_user("agent", password=PASSWORD, queue_ids=[queues["Suporte N1"]]))
    answer = _post(client, "/tickets/new", {
        "subject": "", "body": "Texto que não pode se perder", "channel": "phone",
        "requester_email": "isto-nao-e-email", "priority": "normal",
    })  # fmt: skip
    assert answer.status_code == 422
    html = answer.text
    assert "O chamado não foi aberto" in html
    assert re.search(r'id="e-subject" class="field-error"[^>]*>[^<]+<', html)
    assert re.search(r'id="e-requester_email" class="field-error"[^>]*>[^<]+<', html)
    assert "Texto que não pode se perder" in html and 'value="isto-nao-e-email"' in html
    unknown = _post(client, "/tickets/new", {"subject": "Oi", "queue": "99999"})
    assert unknown.status_code == 422
    assert re.search(r'id="e-queue" class="field-error"[^>]*>[^<]*99999', unknown.text)
    forged = client.post("/tickets/new", data={"csrf_token": "x", "subject": "Oi"})
    assert forged.status_code == 403


def test_a_non_clients_request_is_taken_as_fields(
    client: TestClient, admin: Any, make_user: Any, queues: dict[str, int], web_login: Any
) -> None:
    web_login(make_user("agent", password=PASSWORD, queue_ids=[queues["Suporte N1"]]))
    bad = _post(client, "/tickets/new/non-client", {
        "name": "Carlos", "phone": "12345678", "email": "carlos@padaria.example",
        "segment": "Padaria", "request": "Quero uma demonstração", "purpose": "comercial",
    })  # fmt: skip
    assert bad.status_code == 422
    assert re.search(r'id="e-phone" class="field-error"[^>]*>[^<]*com DDD', bad.text)
    assert "Quero uma demonstração" in bad.text and "<details open>" in bad.text
    answer = _post(client, "/tickets/new/non-client", {
        "name": "Carlos", "phone": "(11) 98765-4321", "email": "carlos@padaria.example",
        "segment": "Padaria", "request": "Quero uma demonstração", "purpose": "comercial",
        "nc_channel": "phone",
    })  # fmt: skip
    assert answer.status_code == 303
    ticket_id = int(answer.headers["location"].rsplit("/", 1)[1])
    ticket = admin.get(f"{V1}/tickets/{ticket_id}").json()
    assert "nao-cliente" in ticket["tags"]
    assert ticket["custom_fields"]["segmento"] == "Padaria"


def test_a_customer_opens_a_ticket_from_the_portal(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    contact = admin.post(f"{V1}/contacts", json={"name": "Joana", "email": "joana@loja.example"})
    user = make_user("contact", contact_id=contact.json()["id"], password=PASSWORD)
    web_login(user)
    page = client.get("/tickets/new").text
    assert "Conte o que você precisa" in page
    assert 'name="queue"' not in page and 'name="tags"' not in page
    assert "/tickets/new/non-client" not in page
    answer = _post(client, "/tickets/new", {
        "subject": "Boleto em dobro", "body": "Recebi dois boletos este mês.",
        "queue": "1", "tags": "vip",  # not fields of the portal's form: ignored
    })  # fmt: skip
    assert answer.status_code == 303
    ticket_id = int(answer.headers["location"].rsplit("/", 1)[1])
    ticket = admin.get(f"{V1}/tickets/{ticket_id}").json()
    assert ticket["channel"] == "portal" and ticket["requester_id"] == contact.json()["id"]
    assert ticket["tags"] == []
    assert "Boleto em dobro" in client.get(f"/tickets/{ticket_id}").text
    refused = _post(client, "/tickets/new/non-client", {"name": "X"})
    assert refused.status_code == 200 and "nao-cliente" not in refused.text
