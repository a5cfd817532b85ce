"""Issue #17's "done when", through the public interfaces: SMTP in, the HTTP API, SMTP out.

An e-mail sent to the SMTP receiver becomes a ticket; the agent's reply (HTTP API) reaches a
local SMTP sink threaded; the customer's answer threads into the same ticket; an out-of-office
reply and a bounce create nothing and reopen nothing; the same message delivered twice makes
one entry.
"""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from typing import Any

import pytest

from atende.channels import smtp_receiver
from tests.channels.conftest import SUPPORT, customer_mail


def _tickets(admin: Any) -> list[dict[str, Any]]:
    answer = admin.get("/api/v1/tickets", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _timeline_messages(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    answer = admin.get(f"/api/v1/tickets/{ticket_id}/timeline")
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if e.get("type", e.get("entry")) == "message"]


def test_an_email_conversation_round_trip(
    smtp_send: Any, sink: Any, worker: Any, admin: Any, make_user: Any
) -> None:
    collector, _ = sink
    agent = make_user("supervisor", name="Rui Supervisor")
    first, first_id = customer_mail(
        "Olá, a nota fiscal não é emitida desde ontem.\n\nMarina",
        subject="Nota fiscal não sai",
    )
    assert smtp_send(first) == {}
    assert smtp_send(first) == {}  # the MTA delivered it twice: one entry
    worker.drain()

    tickets = _tickets(admin)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket["channel"] == "email"
    assert ticket["subject"] == "Nota fiscal não sai"
    items = admin.get("/api/v1/inbound").json()["items"]
    assert [(i["state"], i["ticket_id"]) for i in items] == [("done", ticket["id"])]

    # the agent answers through the API: the reply leaves by e-mail, threaded
    reply = agent.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"body": "Olá Marina, já corrigimos a emissão. Pode tentar de novo?", "public": True},
    )
    assert reply.status_code == 201, reply.text
    queued = admin.get(f"/api/v1/tickets/{ticket['id']}/emails").json()
    assert [(e["direction"], e["state"], e["state_label"]) for e in queued] == [
        ("in", "received", "recebido"),
        ("out", "queued", "na fila"),
    ]
    worker.drain()
    assert len(collector.messages) == 1
    envelope_from, rcpt_tos, raw = collector.messages[0]
    assert envelope_from == SUPPORT
    assert rcpt_tos == ["marina@gmail.example"]
    sent = message_from_bytes(raw, policy=policy.default)
    assert sent["In-Reply-To"] == first_id
    assert first_id in sent["References"]
    assert f"[#{ticket['id']}]" in sent["Subject"]
    assert "Nota fiscal não sai" in sent["Subject"]
    assert sent["Auto-Submitted"] is None  # a person's reply, not automatic mail
    assert "já corrigimos a emissão" in sent.get_content()
    emails = admin.get(f"/api/v1/tickets/{ticket['id']}/emails").json()
    out = emails[-1]
    assert (out["state"], out["state_label"], out["header_id"]) == (
        "sent",
        "enviado",
        sent["Message-ID"],
    )

    # the customer answers the reply: same ticket, quoted text stripped
    answer, _ = customer_mail(
        "Funcionou, obrigada!\n\nEm seg., 1 de dez. de 2026 às 10:00, Suporte Solis\n"
        f"<{SUPPORT}> escreveu:\n> Olá Marina, já corrigimos a emissão.\n",
        subject=f"RE: {sent['Subject']}",
        in_reply_to=sent["Message-ID"],
        references=f"{first_id} {sent['Message-ID']}",
    )
    smtp_send(answer)
    worker.drain()
    assert len(_tickets(admin)) == 1
    detail = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    bodies = [e.get("body_text") for e in detail if e.get("body_text")]
    assert bodies[-1] == "Funcionou, obrigada!"

    # resolved; an out-of-office reply and a bounce change nothing
    resolved = agent.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    before = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    ooo, _ = customer_mail(
        "Estou de férias até 10/01.",
        subject=f"Resposta automática: {sent['Subject']}",
        in_reply_to=sent["Message-ID"],
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    smtp_send(ooo)
    smtp_send(_bounce(sent["Message-ID"]), sender="")
    worker.drain()
    assert len(_tickets(admin)) == 1
    after = admin.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert after["status"] == "resolved"
    assert admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json() == before
    items = admin.get("/api/v1/inbound").json()["items"]
    assert len(items) == 4
    assert all(i["state"] == "done" for i in items)
    assert sum(1 for i in items if i["ticket_id"] is None) == 2
    assert len(collector.messages) == 1  # nothing answered the automatic mail


def _bounce(original_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.gmail.example>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.gmail.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.gmail.example\r\n\r\n"
        "Final-Recipient: rfc822; marina@gmail.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_id}\r\n"
        "--B--\r\n"
    ).encode()


def test_a_recipient_outside_the_domains_is_refused(smtp_send: Any) -> None:
    raw, _ = customer_mail("Oi")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(raw, to="alguem@nao-atendido.example")
    assert refused.value.recipients["alguem@nao-atendido.example"][0] == 550


def test_one_process_listens_the_others_leave_the_port_to_it(
    receiver: int, settings: Any, session_factory: Any
) -> None:
    """A second process (another `atende serve` worker, or `atende worker`) finds the port
    taken and does not listen; the first still answers."""
    assert smtp_receiver.start(settings, session_factory) is None
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp:
        assert smtp.noop()[0] == 250
