"""``/api/v1/inbound``: what the channels received (admins: dead items and their retry), and a
ticket's e-mails with their delivery state and originals (staff). docs/channels.md."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from atende.api.deps import AppSettings, CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import PathId
from atende.channels import mailboxes, pipeline, service
from atende.channels.schemas import (
    EmailOut,
    InboundItemOut,
    MailboxCheckOut,
    MailboxIn,
    MailboxOut,
    MailboxPatch,
)

router = APIRouter(tags=["channels"])


@router.get("/inbound", response_model=Page[InboundItemOut])
def list_inbound(
    session: DbSession,
    actor: CurrentActor,
    state: Literal["queued", "done", "dead"] | None = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[InboundItemOut]:
    """Newest first (admins); ``state=dead`` lists what could not be ingested, with the reason."""
    found = pipeline.list_items(
        session, actor=actor, state=state, kind=kind, after_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )  # fmt: skip
    items = [InboundItemOut.of(i) for i in found[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(found) > limit and items else None
    return Page[InboundItemOut](items=items, next_cursor=nxt)


@router.post("/inbound/{item_id}/retry", response_model=InboundItemOut)
def retry_inbound(item_id: PathId, session: DbSession, actor: CurrentActor) -> InboundItemOut:
    """A dead item goes back to the queue; the worker ingests it again (409 if not dead)."""
    return InboundItemOut.of(pipeline.retry(session, actor=actor, item_id=item_id))


@router.get("/tickets/{ticket_id}/emails", response_model=list[EmailOut])
def ticket_emails(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> list[EmailOut]:
    """The ticket's e-mails in and out (staff), with each one's delivery state."""
    return [
        EmailOut.of(r) for r in service.ticket_emails(session, actor=actor, ticket_id=ticket_id)
    ]


@router.get(
    "/tickets/{ticket_id}/messages/{message_id}/original",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}},
)
def original_email(
    ticket_id: PathId, message_id: PathId, session: DbSession, actor: CurrentActor
) -> Response:
    """The full original e-mail of an inbound message (staff), as a download."""
    item = service.original(session, actor=actor, ticket_id=ticket_id, message_id=message_id)
    return Response(
        item.raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mensagem-{message_id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/mailboxes", response_model=MailboxOut, status_code=201)
def create_mailbox(
    body: MailboxIn, session: DbSession, actor: CurrentActor, settings: AppSettings, now: Now
) -> MailboxOut:
    """Connect an IMAP mailbox (admins); the worker watches it (IDLE, else a poll). The password
    is never shown back."""
    box = mailboxes.create(
        session, actor=actor, data=body.model_dump(), secret_key=settings.resolved_secret_key,
        now=now,
    )  # fmt: skip
    return MailboxOut(**mailboxes.view(box))


@router.get("/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(session: DbSession, actor: CurrentActor) -> list[MailboxOut]:
    """The IMAP mailboxes with their polling state (last UID, last error)."""
    return [MailboxOut(**mailboxes.view(b)) for b in mailboxes.list_all(session, actor=actor)]


@router.patch("/mailboxes/{mailbox_id}", response_model=MailboxOut)
def update_mailbox(
    mailbox_id: PathId,
    body: MailboxPatch,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    now: Now,
) -> MailboxOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    box = mailboxes.update(
        session, actor=actor, mailbox_id=mailbox_id, changes=changes,
        secret_key=settings.resolved_secret_key, now=now,
    )  # fmt: skip
    return MailboxOut(**mailboxes.view(box))


@router.post("/mailboxes/{mailbox_id}/test", response_model=MailboxCheckOut)
def check_mailbox(
    mailbox_id: PathId, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> MailboxCheckOut:
    """Log in to the mailbox and open its folder as the worker's poll does (admins); reads and
    stores nothing. ``ok`` false with the server's or the network's ``error`` otherwise."""
    check = mailboxes.check_connection(
        session, actor=actor, mailbox_id=mailbox_id, secret_key=settings.resolved_secret_key
    )
    return MailboxCheckOut(ok=check.ok, messages=check.messages, error=check.error)


@router.delete("/mailboxes/{mailbox_id}", status_code=204)
def delete_mailbox(
    mailbox_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    mailboxes.delete(session, actor=actor, mailbox_id=mailbox_id, now=now)
    return Response(status_code=204)
