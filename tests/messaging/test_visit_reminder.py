"""A visit's reminder on WhatsApp (seed 002: "um lembrete ao cliente por e-mail ou WhatsApp"):
free text while the customer's 24-hour window is open, the approved ``lembrete_visita``
template once it is closed, and without one an internal note says it was not sent — never a
silent "sent". A rescheduled booking reminds at its new time only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from tests.messaging import fakes
from tests.messaging.conftest import WROTE_AT, fixture

REMINDER_TEMPLATE = {
    "name": "lembrete_visita", "language": "pt_BR",
    "body": "Lembrete: {{1}} {{2}} (chamado {{3}}). Responda se precisar remarcar.",
}  # fmt: skip


def _ticket_and_booking(
    deliver: Any, worker: Any, admin: Any, *, starts_in: timedelta
) -> tuple[int, dict[str, Any]]:
    with time_machine.travel(WROTE_AT + timedelta(minutes=5), tick=True):
        deliver(fixture("text"))
        worker.drain()
        [ticket] = admin.get("/api/v1/tickets").json()["items"]
        starts = WROTE_AT + starts_in
        booked = admin.post(f"/api/v1/tickets/{ticket['id']}/visits", json={
            "kind": "appointment", "purpose": "Instalar o certificado digital",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "reminder": "whatsapp", "remind_minutes_before": 60,
        })  # fmt: skip
        assert booked.status_code == 201, booked.text
    return int(ticket["id"]), booked.json()


def _drain_at(worker: Any, when: Any) -> None:
    with time_machine.travel(when, tick=True):
        worker.drain()


def _notes(admin: Any, ticket_id: int) -> list[str]:
    timeline = admin.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    return [e["body_text"] for e in timeline if e["entry"] == "message" and not e["public"]]


def test_inside_the_window_the_reminder_is_a_whatsapp_message(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph
) -> None:
    ticket_id, _ = _ticket_and_booking(deliver, worker, admin, starts_in=timedelta(hours=5))
    _drain_at(worker, WROTE_AT + timedelta(hours=3))
    assert graph.sent == []  # not yet: an hour before
    _drain_at(worker, WROTE_AT + timedelta(hours=4, minutes=1))
    [sent] = graph.sent
    assert sent["type"] == "text" and sent["to"] == "5511987654321"
    assert sent["text"]["body"].startswith("Olá, Marina Costa.")
    assert "Lembrete: atendimento (Instalar o certificado digital)" in sent["text"]["body"]
    timeline = admin.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    assert any(e["entry"] == "message" and e["public"] and "Lembrete:" in e["body_text"]
               for e in timeline)  # fmt: skip
    _drain_at(worker, WROTE_AT + timedelta(hours=4, minutes=30))
    assert len(graph.sent) == 1  # once


def test_outside_the_window_the_approved_template_or_a_note_says_it_was_not_sent(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph,
    whatsapp_channel: dict[str, Any],
) -> None:  # fmt: skip
    ticket_id, _ = _ticket_and_booking(deliver, worker, admin, starts_in=timedelta(hours=30))
    _drain_at(worker, WROTE_AT + timedelta(hours=29, minutes=1))  # the window closed at 24 h
    assert graph.sent == []
    [note] = [n for n in _notes(admin, ticket_id) if "Lembrete" in n]
    assert "fora da janela de 24 horas" in note and "lembrete_visita" in note

    # with the approved template, the next booking's reminder leaves as that template
    kept = [{k: t[k] for k in ("name", "language", "body")}
            for t in whatsapp_channel.get("templates", [])]  # fmt: skip
    templates = [*kept, REMINDER_TEMPLATE]
    patched = admin.patch(f"/api/v1/channels/{whatsapp_channel['id']}",
                          json={"templates": templates})  # fmt: skip
    assert patched.status_code == 200, patched.text
    with time_machine.travel(WROTE_AT + timedelta(hours=29, minutes=2), tick=True):
        starts = WROTE_AT + timedelta(hours=40)
        again = admin.post(f"/api/v1/tickets/{ticket_id}/visits", json={
            "kind": "appointment", "purpose": "Treinamento do PDV",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "reminder": "whatsapp", "remind_minutes_before": 60,
        })  # fmt: skip
        assert again.status_code == 201, again.text
    _drain_at(worker, WROTE_AT + timedelta(hours=39, minutes=1))
    [sent] = graph.sent
    assert sent["type"] == "template" and sent["template"]["name"] == "lembrete_visita"
    texts = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert texts[0] == "atendimento" and texts[2] == f"#{ticket_id}"


def test_a_whatsapp_reminder_needs_a_whatsapp_conversation(admin: Any) -> None:
    contact = admin.post("/api/v1/contacts", json={"name": "Lia", "email": "lia@x.example"})
    body = {"subject": "Treinamento", "body": "...", "contact_id": contact.json()["id"]}
    ticket = admin.post("/api/v1/tickets", json=body).json()
    refused = admin.post(f"/api/v1/tickets/{ticket['id']}/visits", json={
        "kind": "appointment", "purpose": "Treinamento", "reminder": "whatsapp",
        "starts_at": "2027-01-10T13:00:00Z", "ends_at": "2027-01-10T14:00:00Z",
    })  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reminder"
    visits = admin.get(f"/api/v1/tickets/{ticket['id']}/visits")
    assert visits.status_code == 200 and visits.json() == []  # nothing half-written
