"""Attachment use cases: add a file to a ticket, list, read and open what the actor may see.

Access is decided in one place (`readable_ticket`): a ticket the actor may not see answers 404,
exactly like one that does not exist, and so does every attachment on it. Contacts see only
public attachments that are not on an internal note.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from atende.attachments import repository
from atende.attachments.content import detect_content_type, sanitize_filename
from atende.attachments.models import Attachment
from atende.attachments.storage import AttachmentStorage, BlobWriter
from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.tickets import repository as ticket_repository
from atende.tickets import timeline
from atende.tickets.models import Ticket

EVENT_KIND = "attachment_added"


def readable_ticket(
    session: Session, *, actor: Actor, ticket_id: int, for_update: bool = False
) -> Ticket:
    """The ticket if the actor may see it; 404 otherwise (missing and denied look the same).

    The single access decision of this area, delegated to the tickets area's ``get_readable``.
    """
    ticket = ticket_repository.get_readable(session, actor, ticket_id, for_update=for_update)
    if ticket is None:
        raise NotFound("ticket not found", field="ticket_id")
    return ticket


def _writable(session: Session, *, actor: Actor, ticket_id: int, for_update: bool) -> Ticket:
    ticket = readable_ticket(session, actor=actor, ticket_id=ticket_id, for_update=for_update)
    if ticket.status == "closed":
        raise Conflict(
            "the ticket is closed; a closed ticket is final and takes no new attachments",
            field="ticket_id",
        )
    return ticket


def check_can_upload(session: Session, *, actor: Actor, ticket_id: int) -> None:
    """Run before the body is read: nothing is stored for a ticket the actor cannot see."""
    _writable(session, actor=actor, ticket_id=ticket_id, for_update=False)


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    upload: BlobWriter,
    filename: str | None,
    declared_type: str | None,
    public: bool | None,
    message_id: int | None,
    now: datetime,
) -> Attachment:
    """Store the uploaded bytes, record the attachment and its timeline event.

    The ticket is locked (its timeline counter moves) and checked again. ``upload`` is committed
    to the storage only after every check has passed; the caller aborts it in any case
    (harmless once committed).
    """
    ticket = _writable(session, actor=actor, ticket_id=ticket_id, for_update=True)
    message = None
    if message_id is not None:
        message = repository.message_on_ticket(session, ticket_id=ticket.id, message_id=message_id)
        if message is None or (actor.is_contact and not message.public):
            raise ValidationFailed("no such message on this ticket", field="message_id")
    if public is None:
        public = message.public if message is not None else True
    if not public and not actor.is_staff:
        raise ValidationFailed("customers can only add public attachments", field="public")
    if public and message is not None and not message.public:
        raise ValidationFailed("an attachment on an internal note cannot be public", field="public")
    name = sanitize_filename(filename)
    content_type = detect_content_type(upload.head, filename=name, declared=declared_type)
    blob = upload.commit()
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=message.id if message is not None else None,
        filename=name,
        content_type=content_type,
        size=blob.size,
        sha256=blob.sha256,
        public=public,
        uploaded_by_id=actor.user_id,
        created_at=now,
    )
    repository.add(session, attachment)
    session.flush()
    event = timeline.record_event(
        session,
        ticket,
        actor=actor,
        kind=EVENT_KIND,
        at=now,
        after={
            "attachment_id": attachment.id,
            "filename": name,
            "content_type": content_type,
            "size": blob.size,
        },
        detail=name,
    )
    event.public = public  # the customer sees the entry exactly when they see the file
    ticket.updated_at = now
    session.flush()
    return attachment


def get_attachment(session: Session, *, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment on a ticket the actor may see and with a visibility that suits them."""
    attachment = repository.get_visible_attachment(session, actor, attachment_id)
    if attachment is None:
        raise NotFound("attachment not found", field="attachment_id")
    try:
        readable_ticket(session, actor=actor, ticket_id=attachment.ticket_id)
    except NotFound:
        raise NotFound("attachment not found", field="attachment_id") from None
    return attachment


def list_attachments(
    session: Session, *, actor: Actor, ticket_id: int, after_id: int | None, limit: int
) -> Sequence[Attachment]:
    ticket = readable_ticket(session, actor=actor, ticket_id=ticket_id)
    return repository.attachment_page(
        session, actor, ticket_id=ticket.id, after_id=after_id, limit=limit
    )


def open_content(storage: AttachmentStorage, *, attachment: Attachment) -> BinaryIO:
    """The stored bytes; the caller closes the file."""
    return storage.open(attachment.sha256)
