"""``GET /api/v1/stream``: the events the caller may read, as Server-Sent Events.

Authenticated like any API call (``Authorization: Bearer``) or by the web session cookie (the
console's ``EventSource``). Each message is ``id: <position>``, ``event: <type>``, ``data:
<JSON object>`` (``stream/events.py``); a comment every ``stream_keepalive_seconds``
keeps proxies from closing an idle stream (and may carry an ``id:`` alone, past events the
caller may not read). A reconnection resumes after ``Last-Event-ID`` (the header browsers send,
or the ``last_event_id`` query parameter), replayed from the database; without one the stream
starts at the present. ``follow=false`` answers what is there and ends (polling clients).

The request holds an admission slot only while it authenticates; afterwards it takes one for
each read it makes (a replay page, a readability question, the credentials' re-check every
keep-alive) and none while it waits (api/admission.py). A revoked token or an ended session
ends the stream at the next re-check.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from atende import serving
from atende.api.deps import (
    Admitted,
    CurrentActor,
    apply_touches,
    pending_touches,
    write_touches_apart,
)
from atende.auth import service as auth_service
from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.db.base import MAX_ID, utcnow
from atende.db.engine import make_sessionmaker, read_only, transaction
from atende.domain.errors import ValidationFailed
from atende.stream import hub as stream_hub
from atende.stream import repository, views
from atende.stream.bells import Bell
from atende.web.deps import SESSION_COOKIE

router = APIRouter(tags=["stream"])

T = TypeVar("T")
RETRY_MS = 2000  # the client's wait before reconnecting (SSE ``retry:``)
HEADER = "Last-Event-ID"


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"


@dataclass(frozen=True)
class Credentials:
    """Who opened the stream, and how to ask again whether they still may."""

    actor: Actor
    authorization: str | None = None
    cookie: str | None = None


def _stream_auth(request: Request, _slot: Admitted) -> Credentials:
    """A Bearer token, else the web session cookie: 401 without either."""
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE, "")
    factory: sessionmaker[Session] = request.app.state.read_sessionmaker
    session = factory()
    try:
        if header:
            actor = auth_service.actor_from_authorization(session, header, utcnow())
            found = Credentials(actor, authorization=header)
        elif cookie and len(cookie) <= 200:
            known = auth_service.session_actor(session, cookie, utcnow())
            if known is None:
                raise auth_service.AuthenticationFailed("the web session has ended: log in again")
            found = Credentials(known[0], cookie=cookie)
        else:
            raise auth_service.AuthenticationFailed(
                "missing credentials: send 'Authorization: Bearer <token>' or the session cookie"
            )
        request.state.actor = found.actor
        write_touches_apart(request, session)
        return found
    finally:
        session.rollback()
        session.close()


def _recheck(request: Request, credentials: Credentials) -> Actor | None:
    """The actor as the credentials give it now (queues may have changed), or None when they
    no longer do; activity is recorded as on any request."""
    factory: sessionmaker[Session] = request.app.state.read_sessionmaker
    session = factory()
    try:
        actor: Actor | None = None
        try:
            if credentials.authorization:
                actor = auth_service.actor_from_authorization(
                    session, credentials.authorization, utcnow()
                )
            elif credentials.cookie:
                known = auth_service.session_actor(session, credentials.cookie, utcnow())
                actor = known[0] if known is not None else None
        except auth_service.AuthenticationFailed:
            actor = None
        touches = pending_touches(session)
    finally:
        session.rollback()
        session.close()
    if touches:
        with transaction(request.app.state.sessionmaker) as writer:
            apply_touches(writer, touches)
    return actor


def _start(header: str | None, query: int | None) -> int | None:
    """Where the stream resumes: the header (a reconnecting browser's), else the parameter."""
    if header is not None and header.strip():
        text = header.strip()
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
            raise ValidationFailed(
                "{header} must be the id of an event (a whole number from 0), not {text!r}",
                field=HEADER,
                header=HEADER,
                text=text[:40],
            )
        return int(text)
    return query


def hub_of(app: FastAPI) -> stream_hub.Hub:
    """The process's hub, made on first use (its reader connections are the app engine's)."""
    found: stream_hub.Hub | None = getattr(app.state, "stream_hub", None)
    if found is not None:
        return found
    engine = app.state.engine
    settings = app.state.settings
    postgres = engine.dialect.name == "postgresql"
    conninfo = None
    if postgres:
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    database = engine.url.database
    file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
    made = stream_hub.Hub(
        make_sessionmaker(read_only(engine, autocommit=True)),
        listen_conninfo=conninfo,
        changed=stream_hub.DataVersion(database) if file and database else None,
        bell=Bell(database) if file and database else None,
        poll_seconds=stream_hub.POSTGRES_POLL_SECONDS if postgres else settings.stream_poll_seconds,
    )
    app.state.stream_hub = made
    serving.on_drain(made.close)  # the server is stopping: end the streams
    return made


def close(app: FastAPI) -> None:
    hub: stream_hub.Hub | None = getattr(app.state, "stream_hub", None)
    if hub is not None:
        hub.close()


def _query(request: Request) -> stream_hub.Query[Any]:
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


async def _messages(
    request: Request, credentials: Credentials, start: int | None, follow: bool
) -> AsyncIterator[bytes]:
    query = _query(request)
    keepalive = float(request.app.state.settings.stream_keepalive_seconds)
    # The first bytes (the client's "open") leave once the position the stream follows from is
    # fixed: a client that re-reads its page when the stream opens misses nothing in between.
    first = f"retry: {RETRY_MS}\n\n".encode()
    cursor = start
    if cursor is not None:
        pruned = await query(repository.pruned_through)
        if cursor < pruned:
            first += views.sse(pruned, "reset", {"type": "reset", "detail": (
                f"the events after {cursor} are no longer kept: reload, then follow from here"
            )})  # fmt: skip
            cursor = pruned
    actor = credentials.actor
    if not follow:
        yield first
        upto = await query(repository.last_position)
        cursor = upto if cursor is None else cursor
        while cursor < upto:
            step = await query(partial(stream_hub.replay, actor=actor, after=cursor, upto=upto))
            if step.messages:
                yield step.messages
            cursor = step.cursor
        return
    hub = hub_of(request.app)
    await hub.start()
    cursor = hub.last if cursor is None else cursor
    reader = hub.subscribe(actor)
    sent, checked = cursor, time.monotonic()
    try:
        yield first
        async for step in hub.follow(reader, cursor, wait=keepalive, query=query):
            if step.messages:
                yield step.messages
                sent = step.last_sent or sent
            elif step.quiet:  # a keep-alive; past events not for the reader, the id moves on
                advanced = step.cursor > sent
                yield (f"id: {step.cursor}\n" if advanced else "").encode() + b": keep-alive\n\n"
                sent = max(sent, step.cursor)
            if time.monotonic() - checked >= keepalive:
                again = await _recheck_later(request, credentials)
                if again is None:
                    return
                reader.actor, checked = again, time.monotonic()
    finally:
        hub.unsubscribe(reader)


async def _recheck_later(request: Request, credentials: Credentials) -> Actor | None:
    async with request.app.state.admission.slot():
        return await run_in_threadpool(_recheck, request, credentials)


Authenticated = Annotated[Credentials, Depends(_stream_auth)]


@router.get(
    "/stream",
    response_class=EventStreamResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: `id: <position>`, `event: <type>`, "
            "`data: <JSON object with type, ticket_id, ...>`",
        }
    },
)
async def stream(
    request: Request,
    credentials: Authenticated,
    last_event_id: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="resume after this event (as Last-Event-ID)"),
    ] = None,
    follow: Annotated[
        bool, Query(description="false: send the events there are after the id, then end")
    ] = True,
    last_event_header: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="resume after this event (sent by a reconnecting "
            "EventSource; wins over last_event_id)",
        ),
    ] = None,
) -> EventStreamResponse:
    """The events the caller may read (the tickets they may read; a contact: public events of
    their organization's tickets), in order, each once; then new ones as they commit."""
    start = _start(last_event_header, last_event_id)
    return EventStreamResponse(
        _messages(request, credentials, start, follow),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class OpenStreams(BaseModel):
    open: int = Field(description="streams this server process holds open now")


@router.get("/stream/open", response_model=OpenStreams)
def open_streams(request: Request, actor: CurrentActor) -> OpenStreams:
    """How many event streams this server process holds open (admins). The console opens one
    per browser however many tabs show it (docs/console.md, "Live"); each process of
    ``atende serve --workers N`` counts its own."""
    ensure_admin(actor)
    hub: stream_hub.Hub | None = getattr(request.app.state, "stream_hub", None)
    return OpenStreams(open=hub.readers if hub is not None else 0)
