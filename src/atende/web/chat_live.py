"""The visitor's side of live chat, continued (docs/chat.md): their files and their stream.

``GET /chat/w/<key>/stream`` is the live stream's hub (``stream/hub.py``) following the chat's
ticket only, as a contact sees it (never an internal note), with the stream's positions as
event ids and replay from the database after ``Last-Event-ID``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Annotated, Any, BinaryIO, TypeVar

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from atende.api import attachments as attachments_api
from atende.api import stream as stream_api
from atende.api.attachments import Storage
from atende.api.deps import Admitted, AppSettings, DbSession, Now
from atende.attachments import service as attachment_service
from atende.attachments.storage import CHUNK_BYTES
from atende.attachments.upload import read_upload
from atende.auth.actor import Actor
from atende.chat import service
from atende.db.base import MAX_ID
from atende.domain.errors import Conflict, NotFound
from atende.stream import hub as stream_hub
from atende.stream import repository as stream_repository
from atende.web.chat import visitor_of, widget_of

router = APIRouter(prefix="/chat", include_in_schema=False)
T = TypeVar("T")


# --- attachments ---------------------------------------------------------------------------


@router.post("/w/{key}/attachments", status_code=201)
async def upload(
    request: Request,
    key: str,
    session: DbSession,
    settings: AppSettings,
    storage: Storage,
    now: Now,
    slot: Admitted,
) -> dict[str, Any]:
    """One file for the visitor's chat (``multipart/form-data``, part ``file``), public; send
    its id in the next message's ``attachment_ids``. The limits of the API's uploads apply."""

    def check() -> Actor:
        widget = widget_of(session, key[:40])
        visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
        chat = service.visitor_chat(session, visitor)
        if chat.state == "ended":
            raise Conflict("this chat has ended: start a new one")
        actor = service.visitor_actor(session, visitor)
        attachment_service.check_can_upload(session, actor=actor, ticket_id=chat.ticket_id)
        request.state.chat_ticket_id = chat.ticket_id
        return actor

    actor = await run_in_threadpool(check)
    ticket_id: int = request.state.chat_ticket_id
    await run_in_threadpool(session.commit)  # no lock held while the body streams in
    session.expire_all()
    parsed = None
    try:
        async with slot.paused(session):
            parsed = await read_upload(
                request.headers.get("content-type"),
                request.stream(),
                new_writer=partial(storage.writer, max_bytes=settings.max_attachment_bytes),
            )
        found = await run_in_threadpool(
            partial(
                attachment_service.add_attachment,
                session,
                actor=actor,
                ticket_id=ticket_id,
                upload=parsed.writer,
                filename=parsed.filename,
                declared_type=parsed.declared_type,
                public=True,
                message_id=None,
                now=now,
            )
        )
    finally:
        if parsed is not None:
            await run_in_threadpool(parsed.writer.abort)
    return {
        "id": found.id,
        "filename": found.filename,
        "content_type": found.content_type,
        "size": found.size,
    }


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


@router.get("/w/{key}/attachments/{attachment_id}")
def download(
    request: Request,
    key: str,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: DbSession,
    settings: AppSettings,
    storage: Storage,
) -> StreamingResponse:
    """A file of the visitor's chat, always as a download (``s``: the session, for links)."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    chat = service.visitor_chat(session, visitor)
    actor = service.visitor_actor(session, visitor)
    found = attachment_service.get_attachment(session, actor=actor, attachment_id=attachment_id)
    if found.ticket_id != chat.ticket_id:
        raise NotFound("attachment {attachment_id} not found", attachment_id=attachment_id)
    stream = attachment_service.open_content(storage, attachment=found)
    return StreamingResponse(
        _chunks(stream),
        media_type=found.content_type,
        headers={
            "Content-Disposition": attachments_api.content_disposition(found.filename),
            "Content-Length": str(found.size),
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-cache",
        },
    )


# --- the stream ----------------------------------------------------------------------------


def _query(request: Request) -> Callable[[Callable[[Session], T]], Any]:
    admission = request.app.state.admission
    factory: sessionmaker[Session] = request.app.state.read_sessionmaker

    def run_with_session(fn: Callable[[Session], T]) -> T:
        session = factory()
        try:
            return fn(session)
        finally:
            session.rollback()
            session.close()

    async def run(fn: Callable[[Session], T]) -> T:
        async with admission.slot():
            return await run_in_threadpool(run_with_session, fn)

    return run


def _stream_subject(request: Request, key: str, secret_key: str) -> tuple[Actor, int]:
    factory: sessionmaker[Session] = request.app.state.read_sessionmaker
    session = factory()
    try:
        widget = widget_of(session, key)
        visitor = visitor_of(session, widget, request, secret_key)
        chat = service.visitor_chat(session, visitor)
        return service.visitor_actor(session, visitor), chat.ticket_id
    finally:
        session.rollback()
        session.close()


@router.get("/w/{key}/stream")
async def stream(
    request: Request,
    key: str,
    settings: AppSettings,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    follow: Annotated[bool, Query(description="false: what there is, then end")] = True,
    last_event_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> stream_api.EventStreamResponse:
    """The visitor's chat as Server-Sent Events: its public messages, status changes, the
    agent's typing and read marks (``chat_typing``, ``chat_read``, ``chat_state``)."""
    async with request.app.state.admission.slot():
        actor, ticket_id = await run_in_threadpool(
            _stream_subject, request, key[:40], settings.resolved_secret_key
        )
    start = stream_api._start(last_event_header, after)
    return stream_api.EventStreamResponse(
        _events(request, actor, ticket_id, start, follow),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, actor: Actor, ticket_id: int, start: int | None, follow: bool
) -> AsyncIterator[bytes]:
    query = _query(request)
    keepalive = float(request.app.state.settings.stream_keepalive_seconds)
    yield f"retry: {stream_api.RETRY_MS}\n\n".encode()
    if not follow:
        upto = await query(stream_repository.last_position)
        cursor = upto if start is None else start
        while cursor < upto:
            page = partial(
                stream_hub.replay, actor=actor, after=cursor, upto=upto, ticket_id=ticket_id
            )
            step = await query(page)
            if step.messages:
                yield step.messages
            cursor = step.cursor
        return
    hub = stream_api.hub_of(request.app)
    await hub.start()
    cursor = hub.last if start is None else start
    reader = hub.subscribe(actor, ticket_id=ticket_id)
    sent = cursor
    began = time.monotonic()
    try:
        async for step in hub.follow(reader, cursor, wait=keepalive, query=query):
            if step.messages:
                yield step.messages
                sent = step.last_sent or sent
            elif step.quiet:
                advanced = step.cursor > sent
                yield (f"id: {step.cursor}\n" if advanced else "").encode() + b": keep-alive\n\n"
                sent = max(sent, step.cursor)
            if time.monotonic() - began > 3600:  # the browser reconnects, the session rechecked
                return
    finally:
        hub.unsubscribe(reader)
