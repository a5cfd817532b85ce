"""E-mail out: an agent's reply on an e-mail ticket leaves through the outbox, threaded, with
its delivery state on the API (queued, sent, failed with the reason in Portuguese)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from atende.settings import Settings
from atende.worker import Worker
from tests.channels.conftest import CORPUS, customer_mail
from tests.jobs.conftest import Clock
from tests.notify.support import SmtpCollector, free_port


def _ticket_from(smtp_send: Any, worker: Any, admin: Any, raw: bytes) -> dict[str, Any]:
    smtp_send(raw)
    worker.drain()
    items = admin.get("/api/v1/tickets").json()["items"]
    assert len(items) == 1
    return items[0]  # type: ignore[no-any-return]


def _reply(admin: Any, ticket_id: int, body: str = "Olá! Já verificamos.", **kw: Any) -> None:
    r = admin.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": body, **kw})
    assert r.status_code == 201, r.text


def _outgoing(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    emails = admin.get(f"/api/v1/tickets/{ticket_id}/emails").json()
    return [e for e in emails if e["direction"] == "out"]


def test_a_failed_send_is_retried_with_the_same_message_id(
    settings: Settings, session_factory: sessionmaker[Session], smtp_send: Any, admin: Any
) -> None:
    port = free_port()  # nothing listens there yet
    clock = Clock()
    worker = Worker(settings.model_copy(update={"smtp_port": port}), session_factory, clock=clock)
    ticket = _ticket_from(smtp_send, worker, admin, customer_mail("Ajuda com a senha")[0])
    _reply(admin, ticket["id"])
    worker.drain()
    [first] = _outgoing(admin, ticket["id"])
    assert first["state"] == "queued"
    assert first["reason"].startswith("falha temporária no envio (nova tentativa)")
    assert first["header_id"].startswith(f"<atende.t{ticket['id']}.m")

    collector = SmtpCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.now += timedelta(hours=1)
        worker.drain()
    finally:
        controller.stop()
    [sent] = _outgoing(admin, ticket["id"])
    assert (sent["state"], sent["reason"], sent["header_id"]) == ("sent", "", first["header_id"])
    [(_, _, raw)] = collector.messages
    assert message_from_bytes(raw, policy=policy.default)["Message-ID"] == first["header_id"]


def test_a_refused_recipient_fails_with_the_reason_in_portuguese(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    raw, _ = customer_mail("Oi", sender="Rejeita <reject-me@cliente.example>")
    ticket = _ticket_from(smtp_send, worker, admin, raw)
    _reply(admin, ticket["id"])
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["state_label"]) == ("failed", "falhou")
    assert out["reason"].startswith("o servidor de e-mail recusou a mensagem: ")
    assert "550" in out["reason"]


def test_a_bounce_marks_the_address_and_the_next_reply_does_not_leave(
    smtp_send: Any, worker: Any, admin: Any, sink: Any
) -> None:
    raw, _ = customer_mail("Oi", sender="Inexistente <inexistente@cliente.example>")
    ticket = _ticket_from(smtp_send, worker, admin, raw)
    smtp_send((CORPUS / "bounce_dsn.eml").read_bytes(), sender="")
    worker.drain()
    _reply(admin, ticket["id"])
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert out["state"] == "failed"
    assert out["reason"] == (
        "o endereço inexistente@cliente.example está marcado como inválido "
        "(devolução: devolução recebida de mailer-daemon@mx.suporte.example)"
    )
    assert sink[0].messages == []


def test_a_hostile_subject_never_becomes_a_header(
    smtp_send: Any, worker: Any, admin: Any, sink: Any
) -> None:
    ticket = _ticket_from(smtp_send, worker, admin, (CORPUS / "malformed.eml").read_bytes())
    _reply(admin, ticket["id"])
    worker.drain()
    [(_, rcpt_tos, raw)] = sink[0].messages
    assert rcpt_tos == ["estranho@exemplo.example"]
    sent = message_from_bytes(raw, policy=policy.default)
    assert sent["Bcc"] is None
    assert sent["Subject"] == f"Re: [#{ticket['id']}] x Bcc: v@e.net"
    assert b"\r\nBcc:" not in raw


def test_notes_and_other_channels_send_nothing(
    smtp_send: Any, worker: Any, admin: Any, sink: Any
) -> None:
    ticket = _ticket_from(smtp_send, worker, admin, customer_mail("Oi")[0])
    _reply(admin, ticket["id"], body="Nota interna", public=False)
    made = admin.post(
        "/api/v1/tickets",
        json={"subject": "Por telefone", "body": "Ligou", "channel": "phone",
              "requester": {"name": "Bia", "email": "bia@cliente.example"}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    _reply(admin, made.json()["id"])
    worker.drain()
    assert _outgoing(admin, ticket["id"]) == []
    assert _outgoing(admin, made.json()["id"]) == []
    assert sink[0].messages == []


def test_without_smtp_configured_the_reply_fails_visibly(
    settings: Settings, session_factory: sessionmaker[Session], smtp_send: Any, admin: Any
) -> None:
    worker = Worker(settings.model_copy(update={"smtp_host": None}), session_factory)
    ticket = _ticket_from(smtp_send, worker, admin, customer_mail("Oi")[0])
    _reply(admin, ticket["id"])
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["reason"]) == (
        "failed",
        "o envio de e-mail não está configurado (ATENDE_SMTP_HOST)",
    )
