"""Every query of the attachments area."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, false, select, true
from sqlalchemy.orm import Session

from atende.attachments.models import Attachment
from atende.auth.actor import Actor
from atende.tickets.models import Message


def visible_attachments(actor: Actor) -> Select[Attachment]:
    """Attachments whose visibility suits the actor (ticket access is checked separately).

    Staff see everything; contacts only public attachments that are not on an internal note.
    """
    stmt = select(Attachment)
    if actor.is_staff:
        return stmt
    internal_message = (
        select(Message.id)
        .where(Message.id == Attachment.message_id, Message.public.is_(false()))
        .exists()
    )
    return stmt.where(Attachment.public.is_(true()), ~internal_message)


def get_attachment(session: Session, attachment_id: int) -> Attachment | None:
    return session.get(Attachment, attachment_id)


def get_visible_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment | None:
    return session.scalar(visible_attachments(actor).where(Attachment.id == attachment_id))


def attachment_page(
    session: Session, actor: Actor, *, ticket_id: int, after_id: int | None, limit: int
) -> Sequence[Attachment]:
    stmt = visible_attachments(actor).where(Attachment.ticket_id == ticket_id)
    if after_id is not None:
        stmt = stmt.where(Attachment.id > after_id)
    return session.scalars(stmt.order_by(Attachment.id).limit(limit)).all()


def message_on_ticket(session: Session, *, ticket_id: int, message_id: int) -> Message | None:
    return session.scalar(
        select(Message).where(Message.id == message_id, Message.ticket_id == ticket_id)
    )


def add(session: Session, row: Attachment) -> None:
    session.add(row)
