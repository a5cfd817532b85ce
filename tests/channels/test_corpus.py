"""The committed corpus of real-looking e-mails (tests/channels/corpus/*.eml): each one is sent
to the SMTP receiver, ingested by the worker, and what the ticket shows is checked through the
API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.conftest import CORPUS


def _ingest(name: str, smtp_send: Any, worker: Any, admin: Any) -> dict[str, Any]:
    smtp_send((CORPUS / name).read_bytes())
    worker.drain()
    items = admin.get("/api/v1/inbound").json()["items"]
    assert len(items) == 1
    return items[0]  # type: ignore[no-any-return]


def _ticket(admin: Any, item: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    assert item["state"] == "done", item["reason"]
    ticket = admin.get(f"/api/v1/tickets/{item['ticket_id']}").json()
    timeline = admin.get(f"/api/v1/tickets/{item['ticket_id']}/timeline").json()
    return ticket, [e for e in timeline if e.get("body_text")]


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        (
            "gmail_pt_br.eml",
            "Erro ao emitir boleto",
            'Bom dia,\n\nAo emitir o boleto da fatura de dezembro aparece a mensagem "CNPJ '
            'inválido".\nPodem verificar?\n\nObrigada,\nJoana',
        ),
        (
            "outlook_pt_br.eml",
            "Sistema travando no caixa",
            "O caixa 2 continua travando ao fechar a venda – já reiniciamos o computador. "
            "“Urgente”.\n\nAtt,\nCarlos",
        ),
        (
            "iso_8859_1_subject.eml",
            "Configuração da impressão não funciona",
            "A configuração da impressora não salva.",
        ),
        (
            "utf8_8bit.eml",
            "Relatório de matrículas – erro",
            "O relatório de matrículas mostra “Não há dados” — já conferi três vezes. Açaí 🍇",
        ),
        (
            "malformed.eml",  # an unknown charset and a subject hiding CR LF + "Bcc:"
            "x Bcc: v@e.net",
            "Olá, o pedido não chegou. Você pode verificar",
        ),
    ],
)
def test_a_person_s_email_becomes_a_ticket(
    name: str, subject: str, text: str, smtp_send: Any, worker: Any, admin: Any
) -> None:
    ticket, messages = _ticket(admin, _ingest(name, smtp_send, worker, admin))
    assert ticket["channel"] == "email"
    assert ticket["subject"] == subject
    assert [m["body_text"] for m in messages] == [text]
    assert "escreveu" not in messages[0]["body_text"]  # the quoted reply is not shown


def test_apple_mail_keeps_its_inline_image_and_attachment(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    item = _ingest("apple_mail.eml", smtp_send, worker, admin)
    ticket, messages = _ticket(admin, item)
    assert [m["body_text"] for m in messages] == ["Segue a tela do erro e o relatorio."]
    files = admin.get(f"/api/v1/tickets/{ticket['id']}/attachments").json()["items"]
    shown = sorted((f["filename"], f["content_type"]) for f in files)
    # the name "../../etc/relatorio.pdf" is metadata, cleaned; never a path
    assert shown == [("relatorio.pdf", "application/pdf"), ("tela.png", "image/png")]
    pdf = next(f for f in files if f["filename"] == "relatorio.pdf")
    content = admin.get(f"/api/v1/attachments/{pdf['id']}/content")
    assert content.status_code == 200
    assert content.content.startswith(b"%PDF-1.4")


def test_the_original_is_downloadable_by_staff_only(
    smtp_send: Any, worker: Any, admin: Any, make_user: Any
) -> None:
    item = _ingest("gmail_pt_br.eml", smtp_send, worker, admin)
    url = f"/api/v1/tickets/{item['ticket_id']}/messages/{item['message_id']}/original"
    original = admin.get(url)
    assert original.status_code == 200
    assert original.headers["content-type"] == "message/rfc822"
    assert "attachment" in original.headers["content-disposition"]
    assert original.content == (CORPUS / "gmail_pt_br.eml").read_bytes()
    assert b"Prezada cliente, segue o boleto." in original.content  # the quote is kept here
    contact_id = admin.get(f"/api/v1/tickets/{item['ticket_id']}").json()["requester_id"]
    customer = make_user("contact", contact_id=contact_id)
    assert customer.get(f"/api/v1/tickets/{item['ticket_id']}").status_code == 200
    assert customer.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bounce_dsn.eml", "automatic: delivery status report (bounce)"),
        ("exchange_out_of_office.eml", "automatic: Auto-Submitted: auto-generated"),
    ],
)
def test_automatic_mail_makes_no_ticket(
    name: str, reason: str, smtp_send: Any, worker: Any, admin: Any
) -> None:
    item = _ingest(name, smtp_send, worker, admin)
    assert (item["state"], item["ticket_id"], item["reason"]) == ("done", None, reason)
    assert admin.get("/api/v1/tickets").json()["items"] == []


def test_an_email_without_a_sender_is_dead_and_does_not_block_the_next(
    smtp_send: Any, worker: Any, admin: Any, make_user: Any
) -> None:
    smtp_send((CORPUS / "no_sender.eml").read_bytes())
    smtp_send((CORPUS / "utf8_8bit.eml").read_bytes())
    worker.drain()
    dead = admin.get("/api/v1/inbound", params={"state": "dead"}).json()["items"]
    assert len(dead) == 1
    assert dead[0]["reason"] == "Unparseable: no valid sender address in From: ''"
    assert [t["subject"] for t in admin.get("/api/v1/tickets").json()["items"]] == [
        "Relatório de matrículas – erro"
    ]
    # admins retry it: back in the queue, ingested again (still dead: the bytes are the same)
    agent = make_user("agent")
    assert agent.post(f"/api/v1/inbound/{dead[0]['id']}/retry").status_code == 403
    retried = admin.post(f"/api/v1/inbound/{dead[0]['id']}/retry")
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["reason"]) == ("queued", "")
    again = admin.post(f"/api/v1/inbound/{dead[0]['id']}/retry")
    assert again.status_code == 409
    assert again.json()["detail"] == f"inbound item {dead[0]['id']} is queued, not dead"
    worker.drain()
    item = admin.get("/api/v1/inbound", params={"state": "dead"}).json()["items"][0]
    assert (item["state"], item["attempts"]) == ("dead", 2)
    bad = admin.get("/api/v1/inbound", params={"state": "morto"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "state" in bad.text
