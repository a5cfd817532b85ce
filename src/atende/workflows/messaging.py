"""Use cases of the WhatsApp and Telegram conversations and of the phone log, as the edges call
them: a ticket's conversation state, an approved template outside WhatsApp's 24-hour window, a
call logged on a ticket or as a new one, and a call's summary sent to the customer in writing
(seed 002: "Documentar é preciso"). One transaction each; the edge commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.channels import email_out, messaging_out, messaging_templates
from atende.channels import messaging_repository as repository
from atende.channels.models import ChannelMessage, PhoneCall
from atende.channels.repository import contact as contact_of
from atende.customers import service as customer_service
from atende.domain import messaging, phones
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.tickets import service as ticket_service
from atende.tickets import timeline
from atende.tickets.commands import create
from atende.tickets.commands import message as messages
from atende.tickets.models import Message, Ticket
from atende.tickets.schemas import TicketIn
from atende.workflows.settle import settle

SUMMARY_INTRO = "Resumo da nossa ligação:\n\n"
# seed 002: "Sempre pergunte se ficou alguma dúvida."
SUMMARY_CLOSING = "\n\nFicou alguma dúvida? É só responder a esta mensagem."


@dataclass(frozen=True)
class ConversationState:
    talk: messaging_out.Conversation
    window_open: bool
    templates: list[dict[str, Any]]
    messages: list[ChannelMessage]


def _staff_ticket(session: Session, actor: Actor, ticket_id: int) -> Ticket:
    """The ticket for a staff member who may read it; 404 for anyone else (contacts too)."""
    if not actor.is_staff:
        raise NotFound("ticket {ticket_id} not found", field="ticket_id", ticket_id=ticket_id)
    return ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)


def conversation_state(
    session: Session, *, actor: Actor, ticket_id: int, now: datetime
) -> ConversationState:
    ticket = _staff_ticket(session, actor, ticket_id)
    talk = messaging_out.conversation(session, ticket)
    templates = messaging_templates.offered(talk.channel) if talk.channel else []
    return ConversationState(
        talk=talk, window_open=talk.window_open(now),
        templates=templates if talk.channel and talk.channel.kind == "whatsapp" else [],
        messages=list(repository.ticket_messages(session, ticket.id)),
    )  # fmt: skip


def send_template(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    name: str,
    parameters: list[str],
    now: datetime,
) -> Message:
    """An approved template to the customer of a WhatsApp ticket (inside or outside the
    window); the timeline shows its text with the parameters in place."""
    ticket = _staff_ticket(session, actor, ticket_id)
    talk = messaging_out.conversation(session, ticket)
    if talk.channel is None or talk.channel.kind != "whatsapp":
        raise ValidationFailed(
            "ticket {ticket_id} has no WhatsApp conversation", field="template",
            ticket_id=ticket_id,
        )  # fmt: skip
    found = next((t for t in messaging_templates.offered(talk.channel) if t["name"] == name), None)
    if found is None:
        raise ValidationFailed(
            "no approved template named {name!r} on this channel", field="template", name=name
        )
    body = str(found.get("body", ""))
    expected = messaging.template_parameters(body)
    if len(parameters) != expected:
        raise ValidationFailed(
            "template {name!r} takes {expected} parameters, not {given}",
            field="parameters", name=name, expected=expected, given=len(parameters),
        )  # fmt: skip
    message, changes = messages.add_message(
        session, actor=actor, ticket_id=ticket.id, public=True, now=now,
        body=messaging.render_template(body, parameters),
    )  # fmt: skip
    template = {"name": name, "language": found.get("language", "pt_BR"), "parameters": parameters}
    messaging_out.queue(session, ticket, message, now=now, template=template, talk=talk)
    settle(session, changes, now=now)
    return message


# --- the phone log -------------------------------------------------------------------------


def log_call(
    session: Session, *, actor: Actor, ticket_id: int, data: dict[str, Any], now: datetime
) -> PhoneCall:
    """A call on the ticket: on its timeline ("Ligação recebida de … (4 min): …")."""
    ticket = _staff_ticket(session, actor, ticket_id)
    ticket = ticket_service.writable(session, actor, ticket.id)
    number = customer_service.normalise_phone(data["number"], field="number")
    call = repository.add_call(
        session,
        PhoneCall(
            ticket_id=ticket.id, direction=data["direction"], number=number,
            duration_seconds=data["duration_seconds"], summary=data["summary"].strip(),
            agent_user_id=actor.user_id, summary_via="", created_at=now,
        ),
    )  # fmt: skip
    timeline.record_event(
        session, ticket, actor=actor, kind="call_logged", at=now, public=False,
        after={"call_id": call.id, "direction": call.direction, "number": number,
               "duration_seconds": call.duration_seconds, "summary": call.summary},
    )  # fmt: skip
    ticket.updated_at = now
    return call


def new_call(session: Session, *, actor: Actor, data: dict[str, Any], now: datetime) -> PhoneCall:
    """A call that opens a ticket on channel ``phone``: its requester the contact named, else
    the contact with that number (any form), else a new contact."""
    if not actor.is_staff:
        raise PermissionDenied("only staff members log calls")
    number = customer_service.normalise_phone(data["number"], field="number")
    contact_id = data.get("contact_id")
    if contact_id is None:
        contact = customer_service.contact_by_phone_forms(session, number)
        if contact is None:
            contact = customer_service.add_contact(session, name=number, phone=number)
        contact_id = contact.id
    subject = data.get("subject") or (
        ("Ligação recebida de " if data["direction"] == "in" else "Ligação para ")
        + phones.spaced(number)
    )
    ticket_in = TicketIn(
        subject=subject, body=data["summary"], channel="phone", contact_id=contact_id
    )
    ticket, changes = create.create_ticket(session, actor=actor, data=ticket_in, now=now)
    settle(session, changes, now=now)
    return log_call(session, actor=actor, ticket_id=ticket.id, data=data, now=now)


def send_summary(
    session: Session, *, actor: Actor, ticket_id: int, call_id: int, via: str, now: datetime
) -> PhoneCall:
    """The call's summary to the customer as a public message, by e-mail or WhatsApp; the
    timeline says it was sent, and the message shows its delivery state."""
    ticket = _staff_ticket(session, actor, ticket_id)
    call = repository.call(session, ticket.id, call_id)
    if call is None:
        raise NotFound("call {call_id} not found", field="call_id", call_id=call_id)
    if call.summary_message_id is not None:
        raise Conflict(
            "the summary of call {call_id} was sent already", field="via", call_id=call_id
        )
    contact = contact_of(session, ticket.requester_id) if ticket.requester_id else None
    talk = None
    if via == "email" and (contact is None or not contact.email):
        raise ValidationFailed("the customer has no e-mail address", field="via")
    if via == "whatsapp":
        talk = messaging_out.conversation(session, ticket, kind="whatsapp")
        if talk.channel is None:
            raise ValidationFailed("the customer has no WhatsApp conversation", field="via")
        if not talk.window_open(now):
            raise ValidationFailed(
                "the customer's last WhatsApp message is more than 24 hours old (or there is "
                "none): only an approved template can be sent",
                field="via",
            )
    message, changes = messages.add_message(
        session, actor=actor, ticket_id=ticket.id, public=True, now=now,
        body=SUMMARY_INTRO + call.summary + SUMMARY_CLOSING,
    )  # fmt: skip
    settle(session, changes, now=now)  # on an e-mail or WhatsApp ticket this queues it
    if via == "email" and ticket.channel != "email":
        email_out.queue(session, ticket, message, now=now)
    if talk is not None and repository.out_of_message(session, message.id) is None:
        messaging_out.queue(session, ticket, message, now=now, talk=talk)
    call.summary_message_id, call.summary_via = message.id, via
    timeline.record_event(
        session, ticket, actor=actor, kind="call_summary_sent", at=now, public=False,
        after={"call_id": call.id, "via": via, "message_id": message.id},
    )  # fmt: skip
    return call


def calls(session: Session, *, actor: Actor, ticket_id: int) -> list[PhoneCall]:
    ticket = _staff_ticket(session, actor, ticket_id)
    return list(repository.calls_of(session, ticket.id))
