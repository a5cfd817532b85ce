"""The ticket page's e-mail parts: each message's delivery state (staff), and the original of
an inbound e-mail as a download (staff). docs/channels.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession
from atende.channels import service as channel_service
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


def deliveries(session: Session, user: WebUser, ticket: Ticket) -> dict[int, dict[str, Any]]:
    """Message id -> its e-mail (state shown in the visitor's language, reason, whether its
    original can be downloaded); empty for contacts and for tickets of other channels (no
    statement sent)."""
    if not user.actor.is_staff or ticket.channel != "email":
        return {}
    found: dict[int, dict[str, Any]] = {}
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
