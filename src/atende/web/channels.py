"""The ticket page's channel parts (staff): each message's delivery state by e-mail, WhatsApp
or Telegram, the original of an inbound e-mail as a download, WhatsApp's 24-hour window and its
approved templates, a Telegram user who blocked the bot, and the phone log. docs/channels.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession
from atende.channels import messaging_out, messaging_templates
from atende.channels import messaging_repository as messaging_records
from atende.channels import service as channel_service
from atende.domain import phones
from atende.domain.errors import NotFound
from atende.tickets.models import Ticket
from atende.web.deps import CurrentWebUser, WebUser
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

STATES = {
    "queued": N_("E-mail queued"),
    "sent": N_("E-mail sent"),
    "failed": N_("E-mail failed"),
    "received": N_("Received by e-mail"),
}


MESSAGING_STATES = {
    "queued": N_("queued"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "read": N_("read"),
    "failed": N_("not delivered"),
    "received": N_("received"),
}
KIND_LABELS = {"whatsapp": "WhatsApp", "telegram": "Telegram"}
EMAIL_CHANNELS = ("email", "phone")  # a call's summary may leave by e-mail
MESSAGING_CHANNELS = ("whatsapp", "telegram", "phone")  # ... or by WhatsApp


def deliveries(session: Session, user: WebUser, ticket: Ticket) -> dict[int, dict[str, Any]]:
    """Message id -> how it travelled (state shown in the visitor's language, reason, whether
    its original e-mail can be downloaded); empty for contacts and for tickets of channels
    without deliveries (no statement sent)."""
    if not user.actor.is_staff:
        return {}
    found: dict[int, dict[str, Any]] = {}
    if ticket.channel in MESSAGING_CHANNELS:
        for row in messaging_records.ticket_messages(session, ticket.id):
            if row.message_id is None or row.state not in MESSAGING_STATES:
                continue
            found[row.message_id] = {
                "state": row.state,
                "label": f"{KIND_LABELS.get(row.kind, row.kind)}: {_(MESSAGING_STATES[row.state])}",
                "reason": row.reason if row.state == "failed" else "",
                "original": False,
            }
    if ticket.channel not in EMAIL_CHANNELS:
        return found
    for record in channel_service.emails_of_read_ticket(session, ticket.id):
        if record.message_id is None or record.state not in STATES:
            continue
        found[record.message_id] = {
            "state": record.state,
            "label": _(STATES[record.state]),
            "reason": record.reason if record.state != "sent" else "",
            "original": record.direction == "in" and record.inbound_item_id is not None,
        }
    return found


def messaging_panel(
    session: Session, user: WebUser, ticket: Ticket, now: datetime
) -> dict[str, Any] | None:
    """What the composer shows on a WhatsApp or Telegram ticket (staff): WhatsApp's window
    (open until when) and, for outside it, the approved templates with their parameters; a
    Telegram user who blocked the bot."""
    if not user.actor.is_staff or ticket.channel not in KIND_LABELS:
        return None
    if not messaging_out.may_have_conversation(session, ticket):
        return None  # the channel as a label only: no conversation to show (one statement)
    talk = messaging_out.conversation(session, ticket)
    templates = messaging_templates.offered(talk.channel) if talk.channel else []
    return {
        "kind": ticket.channel,
        "known": talk.channel is not None,
        "window_open": talk.window_open(now),
        "closes_at": talk.closes_at,
        "blocked": talk.blocked,
        "templates": templates if ticket.channel == "whatsapp" else [],
    }


def calls_panel(session: Session, user: WebUser, ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's logged calls for the side panel (staff), newest first."""
    if not user.actor.is_staff:
        return []
    return [
        {"call": call, "number": phones.spaced(call.number),
         "minutes": max(1, round(call.duration_seconds / 60))}
        for call in reversed(messaging_records.calls_of(session, ticket.id))
    ]  # fmt: skip


@router.get("/tickets/{ticket_id}/messages/{message_id}/original")
def original(session: DbSession, user: CurrentWebUser, ticket_id: str, message_id: str) -> Response:
    """The full original e-mail, as a download (staff; 404 otherwise)."""
    if not (ticket_id.isdigit() and message_id.isdigit()) or len(ticket_id + message_id) > 38:
        raise NotFound("message not found")
    item = channel_service.original(
        session, actor=user.actor, ticket_id=int(ticket_id), message_id=int(message_id)
    )
    return Response(
        item.raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mensagem-{int(message_id)}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )
