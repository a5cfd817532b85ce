"""The job that sends a WhatsApp or Telegram reply (``channels/messaging_send.py``), with each
change of the reply's delivery state written to the live stream (``message_delivery``, staff
only), so the ticket page shows "enviado", "falhou" … without a reload."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from atende.channels import messaging_out, messaging_send
from atende.channels import repository as channel_records
from atende.channels.models import ChannelMessage
from atende.db.base import utcnow
from atende.jobs.registry import JobContext, handler
from atende.stream.publish import Publisher


def publish_delivery(session: Session, row: ChannelMessage) -> None:
    """The row's state on the live stream, in the transaction that changed it."""
    ticket = channel_records.ticket(session, row.ticket_id) if row.ticket_id else None
    if ticket is not None:
        Publisher(session, now=utcnow()).delivery(
            ticket, message_id=row.message_id, kind=row.kind, state=row.state
        )


@handler(messaging_out.KIND)
def send_reply(ctx: JobContext, payload: dict[str, Any]) -> None:
    messaging_send.send(ctx, payload, changed=publish_delivery)
