"""What the ticket page's composer asks for as the agent types: the canned replies, filled in
for the ticket (``GET /tickets/{id}/canned-replies``), searched in the page by typing ``/``
(``static/atende.js``: a list under the text box, arrows to choose, Enter or Tab to insert,
Escape to close); and the files dropped on the composer or chosen with its button, each
uploaded at once (``POST /tickets/{id}/uploads``, streamed to the attachment storage like the
API's upload, its type read from its bytes) and bound to the message when it is sent."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from atende.api.attachments import Storage
from atende.api.deps import AppSettings, DbSession, Now
from atende.attachments import service as attachment_service
from atende.attachments.upload import read_upload
from atende.domain.errors import DomainError, NotFound
from atende.rules import service as rules_service
from atende.web.deps import CsrfWebUser, CurrentWebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


@router.get("/tickets/{ticket_id}/canned-replies")
def canned_replies(ticket_id: int, session: DbSession, user: CurrentWebUser) -> JSONResponse:
    """``[{"id", "name", "body"}]`` with the ticket's values in each body; staff only (a
    customer, or a ticket the visitor may not read: 404)."""
    if not user.actor.is_staff:
        return JSONResponse({"detail": "not found"}, status_code=404)
    try:
        found = rules_service.canned_replies_for(session, actor=user.actor, ticket_id=ticket_id)
    except NotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


@router.post("/tickets/{ticket_id}/uploads")
async def upload(
    ticket_id: int,
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    settings: AppSettings,
    storage: Storage,
    now: Now,
    public: Annotated[bool, Query()] = True,
) -> JSONResponse:
    """One file (``multipart/form-data``, part ``file``; the CSRF token in ``X-CSRF-Token``)
    for the message being written: ``{"id", "filename", "size"}``, or ``{"detail"}`` saying in
    the visitor's language why not (too large, a type not accepted, a closed ticket...)."""
    try:
        await run_in_threadpool(
            partial(
                attachment_service.check_can_upload, session, actor=user.actor, ticket_id=ticket_id
            )
        )
    except NotFound:
        return JSONResponse({"detail": _("Not found")}, status_code=404)
    except DomainError as exc:
        return JSONResponse({"detail": exc.text(_)}, status_code=exc.status)
    await run_in_threadpool(session.commit)  # no lock held while the file streams in
    session.expire_all()
    parsed = None
    try:
        parsed = await read_upload(
            request.headers.get("content-type"),
            request.stream(),
            new_writer=partial(storage.writer, max_bytes=settings.max_attachment_bytes),
        )
        attachment = await run_in_threadpool(
            partial(
                attachment_service.add_attachment,
                session,
                actor=user.actor,
                ticket_id=ticket_id,
                upload=parsed.writer,
                filename=parsed.filename,
                declared_type=parsed.declared_type,
                public=public,
                message_id=None,
                now=now,
            )
        )
    except DomainError as exc:
        return JSONResponse({"detail": exc.text(_)}, status_code=exc.status)
    finally:
        if parsed is not None:
            await run_in_threadpool(parsed.writer.abort)
    return JSONResponse(
        {"id": attachment.id, "filename": attachment.filename, "size": attachment.size},
        status_code=201,
    )
