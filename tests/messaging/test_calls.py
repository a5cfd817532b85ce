"""The phone log: an agent logs a call on a ticket or as a new one; the timeline tells it; with
one click its summary goes to the customer in writing, by e-mail or WhatsApp, and the timeline
shows that it was sent (seed 002: "Documentar é preciso")."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from tests.messaging.conftest import fixture

PT = {"Accept-Language": "pt-BR"}
CALL = {"direction": "in", "number": "(11) 98765-4321", "duration_seconds": 250,
        "summary": "Cliente relatou boleto duplicado; cancelamos o segundo."}  # fmt: skip


def _told(admin: Any, ticket_id: int) -> list[str]:
    timeline = admin.get(f"/api/v1/tickets/{ticket_id}/timeline", headers=PT).json()
    return [e["text"] for e in timeline if e["entry"] == "event"]


def test_a_call_on_a_ticket_is_told_and_its_summary_goes_by_e_mail(
    admin: Any, worker: Any, sink: Any
) -> None:
    contact = admin.post(
        "/api/v1/contacts",
        json={"name": "Marina Costa", "email": "marina@cliente.example", "phone": "11987654321"},
    ).json()
    ticket = admin.post("/api/v1/tickets", json={
        "subject": "Boleto em dobro", "body": "Recebi dois boletos.", "channel": "email",
        "contact_id": contact["id"]}).json()  # fmt: skip
    r = admin.post(f"/api/v1/tickets/{ticket['id']}/calls", json=CALL)
    assert r.status_code == 201, r.text
    call = r.json()
    assert (call["number"], call["summary_message_id"]) == ("+5511987654321", None)
    assert ("Ligação recebida de +55 11 98765-4321 (4 min): Cliente relatou boleto duplicado; "
            "cancelamos o segundo.") in _told(admin, ticket["id"])  # fmt: skip

    url = f"/api/v1/tickets/{ticket['id']}/calls/{call['id']}/send-summary"
    sent = admin.post(url, json={"via": "email"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["summary_via"] == "email"
    assert any(t.endswith("enviou o resumo da ligação ao cliente por e-mail")
               for t in _told(admin, ticket["id"]))  # fmt: skip
    timeline = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    [summary] = [e for e in timeline if e["entry"] == "message" and e["id"] ==
                 sent.json()["summary_message_id"]]  # fmt: skip
    assert summary["public"] is True
    assert summary["body_text"].startswith("Resumo da nossa ligação:")
    assert summary["body_text"].endswith("Ficou alguma dúvida? É só responder a esta mensagem.")
    assert summary["reply_check"] == {"findings": []}  # it asks whether a doubt remains
    worker.drain()
    [(_, recipients, raw)] = sink[0].messages
    assert recipients == ["marina@cliente.example"]
    mail = message_from_bytes(raw, policy=policy.default)
    assert "cancelamos o segundo" in mail.get_body().get_content()
    emails = admin.get(f"/api/v1/tickets/{ticket['id']}/emails").json()
    assert [(e["direction"], e["state"]) for e in emails] == [("out", "sent")]
    again = admin.post(url, json={"via": "email"})
    assert again.status_code == 409  # sent once


def test_a_call_opens_a_phone_ticket_for_the_contact_with_that_number(admin: Any) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "João", "phone": "+55 21 98765-4321"})
    r = admin.post("/api/v1/calls", json={**CALL, "number": "21 98765-4321", "direction": "out"})
    assert r.status_code == 201, r.text
    ticket = admin.get(f"/api/v1/tickets/{r.json()['ticket_id']}").json()
    assert (ticket["channel"], ticket["requester_id"]) == ("phone", contact.json()["id"])
    assert ticket["subject"] == "Ligação para +55 21 98765-4321"
    assert any(t.startswith("Ligação feita para +55 21 98765-4321 (4 min)")
               for t in _told(admin, ticket["id"]))  # fmt: skip
    url = f"/api/v1/tickets/{ticket['id']}/calls/{r.json()['id']}/send-summary"
    no_mail = admin.post(url, json={"via": "email"})
    assert no_mail.status_code == 422 and no_mail.json()["errors"][0]["field"] == "via"
    no_whatsapp = admin.post(url, json={"via": "whatsapp"})
    assert no_whatsapp.status_code == 422
    bad = admin.post("/api/v1/calls", json={**CALL, "number": "123"})
    assert bad.status_code == 422 and "number" in bad.text
    stranger = admin.post("/api/v1/calls", json={**CALL, "number": "11 91234-5678"})
    assert stranger.status_code == 201  # a new contact with that number
    assert admin.get(f"/api/v1/tickets/{stranger.json()['ticket_id']}").json()["requester_id"]


def test_a_summary_goes_by_whatsapp_inside_the_window(
    admin: Any, worker: Any, deliver: Any, graph: Any, at_first_message: None
) -> None:
    deliver(fixture("text"))
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    call = admin.post(f"/api/v1/tickets/{ticket['id']}/calls", json=CALL).json()
    url = f"/api/v1/tickets/{ticket['id']}/calls/{call['id']}/send-summary"
    assert admin.post(url, json={"via": "whatsapp"}).status_code == 200
    worker.drain()
    [sent] = graph.sent
    assert sent["to"] == "5511987654321"
    assert sent["text"]["body"].startswith("Resumo da nossa ligação:")
    state = admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()
    assert [m["state"] for m in state["messages"] if m["direction"] == "out"] == ["sent"]
    assert any(t.endswith("pelo WhatsApp") for t in _told(admin, ticket["id"]))


def test_only_staff_log_calls(admin: Any, make_user: Any) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "Cliente", "phone": "11987654321"})
    customer = make_user("contact", contact_id=contact.json()["id"])
    ticket = customer.post("/api/v1/tickets", json={"subject": "Ajuda", "body": "Oi"}).json()
    assert customer.post(f"/api/v1/tickets/{ticket['id']}/calls", json=CALL).status_code == 404
    assert customer.get(f"/api/v1/tickets/{ticket['id']}/calls").status_code == 404
    assert customer.post("/api/v1/calls", json=CALL).status_code == 403
    assert admin.get(f"/api/v1/tickets/{ticket['id']}/calls").json() == []
