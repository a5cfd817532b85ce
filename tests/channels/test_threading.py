"""Threading an inbound e-mail (our Message-ID, any stored Message-ID, the [#id] tag, else a
new ticket), a reply to a closed ticket, loop protection, the per-sender limit, and seed 000's
resolution clock, all through SMTP in and the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from atende.settings import Settings
from tests.channels.conftest import SUPPORT, customer_mail
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy


def _tickets(admin: Any) -> list[dict[str, Any]]:
    return admin.get("/api/v1/tickets", params={"limit": 200}).json()["items"]  # type: ignore[no-any-return]


def _texts(admin: Any, ticket_id: int) -> list[str]:
    timeline = admin.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    return [e["body_text"] for e in timeline if e.get("body_text")]


def _open(smtp_send: Any, worker: Any, admin: Any, **kwargs: Any) -> tuple[dict[str, Any], str]:
    raw, msg_id = customer_mail("Primeira mensagem", **kwargs)
    smtp_send(raw)
    worker.drain()
    return _tickets(admin)[0], msg_id


def test_the_subject_tag_threads_for_the_requester_only(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    ticket, _ = _open(smtp_send, worker, admin, subject="Pedido 33")
    again, _ = customer_mail("Alguma novidade?", subject=f"ENC: Res: [#{ticket['id']}] Pedido 33")
    smtp_send(again)
    stranger, _ = customer_mail(
        "Sou outra pessoa", subject=f"[#{ticket['id']}] Pedido 33", sender="intruso@x.example"
    )
    smtp_send(stranger)
    worker.drain()
    tickets = _tickets(admin)
    assert len(tickets) == 2  # the stranger's tag is not enough: a ticket of their own
    assert _texts(admin, ticket["id"]) == ["Primeira mensagem", "Alguma novidade?"]
    other = next(t for t in tickets if t["id"] != ticket["id"])
    assert other["subject"] == "Pedido 33"


def test_a_stored_message_id_in_references_threads(smtp_send: Any, worker: Any, admin: Any) -> None:
    ticket, first_id = _open(smtp_send, worker, admin, subject="Troca de senha")
    # Outlook replaced In-Reply-To; References still holds the first e-mail's id
    later, _ = customer_mail(
        "Esqueci de dizer: o usuário é loja3.",
        subject="Outro assunto",
        in_reply_to="<unknown@outlook.example>",
        references=first_id,
    )
    smtp_send(later)
    worker.drain()
    assert len(_tickets(admin)) == 1
    assert _texts(admin, ticket["id"])[-1] == "Esqueci de dizer: o usuário é loja3."


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    ticket, first_id = _open(smtp_send, worker, admin, subject="Impressora")
    for status in ("resolved", "closed"):
        r = admin.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": status})
        assert r.status_code == 200, r.text
    raw, _ = customer_mail("Voltou a falhar.", subject="Re: Impressora", in_reply_to=first_id)
    smtp_send(raw)
    worker.drain()
    tickets = _tickets(admin)
    assert len(tickets) == 2
    follow = next(t for t in tickets if t["id"] != ticket["id"])
    assert follow["follow_up_of_id"] == ticket["id"]
    assert follow["channel"] == "email"
    assert _texts(admin, follow["id"]) == ["Voltou a falhar."]
    assert admin.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "closed"


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-generated"}, None, "Auto-Submitted: auto-generated"),
        ({"Precedence": "bulk"}, None, "Precedence: bulk"),
        ({"Precedence": "junk"}, None, "Precedence: junk"),
        ({"Precedence": "list"}, None, "Precedence: list"),
        ({"Precedence": "auto_reply"}, None, "Precedence: auto_reply"),
        ({"X-Autoreply": "yes"}, None, "x-autoreply present"),
        ({"X-Auto-Response-Suppress": "OOF"}, None, "x-auto-response-suppress present"),
        ({"List-Id": "<clientes.lista.example>"}, None, "mailing list"),
        ({"Return-Path": "<>"}, None, "empty Return-Path"),
        ({}, "MAILER-DAEMON@mx.example", "sent by mailer-daemon"),
        ({}, "postmaster@mx.example", "sent by postmaster"),
        ({}, SUPPORT, "sent by one of our own addresses"),
    ],
)
def test_automatic_mail_is_stored_and_never_acts(
    headers: dict[str, str],
    sender: str | None,
    reason: str,
    smtp_send: Any,
    worker: Any,
    admin: Any,
) -> None:
    ticket, first_id = _open(smtp_send, worker, admin, subject="Cadastro")
    r = admin.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "pending_customer"})
    assert r.status_code == 200, r.text
    before = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    raw, _ = customer_mail(
        "Mensagem automática", subject="Re: Cadastro", in_reply_to=first_id, headers=headers,
        **({"sender": sender} if sender else {}),
    )  # fmt: skip
    smtp_send(raw)
    worker.drain()
    assert len(_tickets(admin)) == 1
    assert admin.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "pending_customer"
    assert admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json() == before
    newest = admin.get("/api/v1/inbound").json()["items"][0]
    assert (newest["state"], newest["ticket_id"]) == ("done", None)
    assert newest["reason"] == f"automatic: {reason}"


def test_auto_submitted_no_is_a_person(smtp_send: Any, worker: Any, admin: Any) -> None:
    raw, _ = customer_mail("Escrevi eu mesma", headers={"Auto-Submitted": "no"})
    smtp_send(raw)
    worker.drain()
    assert len(_tickets(admin)) == 1


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"inbound_sender_limit_per_hour": 3})


def test_a_sender_over_the_hourly_limit_is_kept_but_ignored(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    for n in range(5):
        raw, _ = customer_mail(f"Mensagem {n}", subject=f"Assunto {n}")
        smtp_send(raw)
    worker.drain()
    assert len(_tickets(admin)) == 3
    items = admin.get("/api/v1/inbound").json()["items"]
    limited = [i for i in items if i["reason"].startswith("rate limited")]
    assert len(limited) == 2
    assert all(i["state"] == "done" and i["ticket_id"] is None for i in limited)


def test_seed_000_the_resolution_clock_starts_when_the_email_arrived(
    smtp_send: Any, worker: Any, admin: Any
) -> None:
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS, open_on_holidays=True)
    make_policy(admin, "E-mail", cal, first_response_minutes=30, resolution_minutes=600)
    # Wednesday 2026-11-25 10:00 in São Paulo: the e-mail arrives; the worker is behind by 2 h
    arrived = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    with time_machine.travel(arrived, tick=True):
        raw, _ = customer_mail("O sistema caiu, mando por e-mail.", subject="Sistema fora")
        smtp_send(raw)
    with time_machine.travel(arrived + timedelta(hours=2), tick=True):
        worker.drain()
        ticket = _tickets(admin)[0]
        sla = admin.get(f"/api/v1/tickets/{ticket['id']}").json()["sla"]
    assert ticket["created_at"].startswith("2026-11-25T13:00:0")
    # 600 business minutes from 10:00 (São Paulo), open until 21:00: due 20:00 local, 23:00 UTC;
    # (counted from the arrival, not from the ingestion two hours later)
    resolution = sla["targets"]["resolution"]
    assert resolution["due_at"].startswith("2026-11-25T23:00:0")
    assert resolution["state"] == "running"
    assert sla["targets"]["first_response"]["due_at"].startswith("2026-11-25T13:30:0")
    assert sla["targets"]["first_response"]["state"] == "breached"
