"""Visits and appointments as the edges call them: the visits area's command, then the settle
loop (the booking is on the ticket's timeline and stream); and the WhatsApp reminder's job
(seed 002: "um lembrete ao cliente por e-mail ou WhatsApp"): at its time, free text while the
customer's 24-hour window is open, else the approved ``lembrete_visita`` template; without
either, an internal note on the ticket says it could not be sent (never a silent "sent")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM, Actor
from atende.channels import messaging_out
from atende.db.base import utcnow
from atende.domain import messaging
from atende.domain.errors import ValidationFailed
from atende.jobs.registry import JobContext, handler
from atende.tickets.commands import message as messages
from atende.tickets.models import Ticket
from atende.visits import service
from atende.visits.models import FINAL, Visit
from atende.workflows.settle import settle


def book(
    session: Session, *, actor: Actor, ticket_id: int, data: dict[str, Any], now: datetime
) -> Visit:
    visit, changes = service.book(session, actor=actor, ticket_id=ticket_id, data=data, now=now)
    if visit.reminder == "whatsapp":
        ticket = session.get(Ticket, visit.ticket_id)
        assert ticket is not None
        talk = messaging_out.conversation(session, ticket, kind="whatsapp")
        if talk.channel is None or not talk.address:
            raise ValidationFailed(
                "the customer has no WhatsApp conversation for the reminder "
                '(use "email" or "none")',
                field="reminder",
            )
    settle(session, changes, now=now)
    return visit


def update(
    session: Session, *, actor: Actor, visit_id: int, changes: dict[str, Any], now: datetime
) -> Visit:
    visit, changed = service.update(
        session, actor=actor, visit_id=visit_id, changes=changes, now=now
    )
    if changed:
        settle(session, changed, now=now)
    return visit


@handler(service.WHATSAPP_REMINDER_JOB)
def whatsapp_reminder(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The reminder of a booking still on (a rescheduled one has its own job), on WhatsApp."""
    now = utcnow()
    with ctx.transaction() as session:
        visit = session.get(Visit, int(payload["visit_id"]))
        if visit is None or visit.status in FINAL:
            return
        if visit.starts_at.isoformat() != payload.get("starts_at"):
            return  # rescheduled: the new time's job reminds
        ticket = session.get(Ticket, visit.ticket_id)
        if ticket is None:
            return
        send_reminder(session, visit, ticket, now=now)


def send_reminder(session: Session, visit: Visit, ticket: Ticket, *, now: datetime) -> None:
    talk = messaging_out.conversation(session, ticket, kind="whatsapp")
    template = None
    if talk.channel is not None and not talk.window_open(now):
        found = next(
            (t for t in talk.channel.templates if t.get("name") == service.WHATSAPP_TEMPLATE),
            None,
        )
        if found is not None:
            parameters = service.template_parameters(visit, ticket.id)
            body = str(found.get("body", ""))
            if messaging.template_parameters(body) == len(parameters):
                template = {
                    "name": service.WHATSAPP_TEMPLATE,
                    "language": found.get("language", "pt_BR"),
                    "parameters": parameters,
                    "body": messaging.render_template(body, parameters),
                }
    if talk.channel is None or not talk.address or (not talk.window_open(now) and not template):
        note = (
            "Lembrete da visita por WhatsApp não enviado: o cliente está fora da janela de 24 "
            f"horas e o canal não tem o modelo aprovado “{service.WHATSAPP_TEMPLATE}”."
            if talk.channel is not None and talk.address
            else "Lembrete da visita por WhatsApp não enviado: o cliente não tem conversa "
            "conhecida no WhatsApp."
        )
        _, changes = messages.add_message(
            session, actor=SYSTEM, ticket_id=ticket.id, body=note, public=False, now=now
        )
        settle(session, changes, now=now)
        return
    if template is not None:
        text = str(template.pop("body"))
    else:
        text = "\n".join(
            service.reminder_lines(
                visit, ticket.id, service.contact_name(session, visit.contact_id),
                reply_hint="Se precisar remarcar, responda esta mensagem.",
            )
        )  # fmt: skip
    message, changes = messages.add_message(
        session, actor=SYSTEM, ticket_id=ticket.id, body=text, public=True, now=now
    )
    messaging_out.queue(session, ticket, message, now=now, template=template, talk=talk)
    settle(session, changes, now=now)
