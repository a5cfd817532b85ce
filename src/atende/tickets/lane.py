"""The quick lane: ``POST /api/v1/tickets`` answered without the framework's machinery.

An ASGI layer in front of every middleware. For a creation that the quick path takes
(tickets/quick.py) it authenticates and drafts on the event loop from this process's copies,
awaits the group writer and answers, without routing through every route, solving
dependencies, building request objects or a thread hop per request (each a fraction of a
millisecond that, at a thousand creations a second, costs a core: docs/performance.md). Its
answer is the full use case's answer (tests/tickets/test_quick.py).

It answers only what it is sure of, a 201. Everything else goes on to the app with the same
body, untouched: a bad or missing token, invalid JSON or fields, an ``Idempotency-Key``, input
the quick path does not take, a batch to redo. So every error, and every other creation, is the
route's own, and the lane adds no second behaviour to keep in step. It reads no body before
it knows the token is valid: a bad token goes on with its body unread, and
`api.bodies.AuthenticateFirst` refuses it (docs/security.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atende.api.admission import Admission, Busy
from atende.api.bodies import check_caller, too_deep
from atende.api.deps import apply_touches, pending_touches
from atende.api.problems import BUSY_RETRY_AFTER
from atende.auth import service as auth_service
from atende.db import cache as db_cache
from atende.db.base import utcnow
from atende.db.cache import INLINE, NeedsIO
from atende.domain.errors import DomainError
from atende.tickets import quick
from atende.tickets.api import answer_json
from atende.tickets.schemas import TicketIn

PASS = object()
UNKNOWN = object()  # written or not, nobody can tell: the commit failed on its way
INLINE_BODY = 16 * 1024  # bytes; a longer body is drafted in a worker thread
log = logging.getLogger("atende.tickets")


class QuickLane:
    """Outermost: it repeats the two things the middlewares behind it would add to its 201,
    the security headers, and leaves bodies over ``body_limit`` to them (413)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        body_limit: int,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.app = app
        self.path = path
        self.body_limit = body_limit
        self.headers = list(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        authorization: str | None = None
        content_type: bytes | None = None
        oversized = False
        for name, value in scope["headers"]:
            if name == b"idempotency-key":  # the route keeps the stored answers
                await self.app(scope, receive, send)
                return
            # the first of repeated headers counts, as it does for the route
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-length" and (
                not value.isdigit() or int(value) > self.body_limit
            ):
                oversized = True  # the size limit behind answers it
        json_body = (content_type or b"").split(b";")[0].strip().lower() == b"application/json"
        if not (json_body and authorization) or oversized:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        refusal = await check_caller(state, authorization)  # before a byte of the body
        if isinstance(refusal, Busy):
            await self._send_busy(send, refusal)
            return
        if refusal is not None:  # an unknown caller: the app refuses it, the body unread
            await self.app(scope, receive, send)
            return
        body, tail = await _read_body(receive, self.body_limit)
        answer: Any = PASS
        if len(body) <= self.body_limit and not tail:
            answer = await _create(state, authorization, body)
        if answer is PASS:
            await self.app(scope, _replay(body, tail, receive), send)
            return
        if answer is UNKNOWN:
            await _send_problem(send, self.headers, 503, _UNKNOWN_BODY)
            return
        if isinstance(answer, Busy):  # overloaded: answered at once, as the route would
            await self._send_busy(send, answer)
            return
        content = json.dumps(
            answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                    *self.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def _send_busy(self, send: Send, exc: Busy) -> None:
        retry = (b"retry-after", str(BUSY_RETRY_AFTER).encode())
        busy = {"type": "https://atende.dev/problems/busy", "title": "Service unavailable",
                "detail": str(exc), "code": "busy"}  # fmt: skip
        await _send_problem(send, [*self.headers, retry], 503, busy)


def _within(length: bytes, limit: int) -> bool:
    return length.isdigit() and int(length) <= limit


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    """The request body, and what is left to pass on: a disconnect, or the rest of a body
    that grew past ``limit`` (read no further: the size limit behind refuses it)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size > limit and more:
            return b"".join(chunks), [{"type": "http.request", "body": chunk, "more_body": True}]
        chunks.append(chunk)
        if not more:
            return b"".join(chunks), []


def _replay(body: bytes, tail: list[Message], receive: Receive) -> Receive:
    more = bool(tail) and tail[0]["type"] == "http.request"
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": more}, *tail]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _create(state: Any, authorization: str, body: bytes) -> Any:
    """The route's quick path (tickets.api.create_ticket) for one request; PASS whenever the
    route must answer instead.

    The draft runs here, on the event loop: it reads no row when this process's copies are
    warm (credentials, policies, rules, the rows it names) and it does not read the version
    behind them either; the group writer's thread reads it under the write lock and drops the
    draft unless it is unchanged, and a dropped draft is the route's, which checks the
    credentials afresh. Only the write leaves the loop, once per batch. The body is parsed only
    after the token was found valid (api/bodies.py says why)."""
    try:
        try:
            if len(body) > INLINE_BODY:  # sanitising a long HTML body: not on the loop either
                raise NeedsIO
            drafted, touches = _draft(state, authorization, body, inline=True)
        except NeedsIO:  # a copy to load first: not on the event loop (the pool may be busy)
            admission: Admission = state.admission  # a request's database work: api/admission
            async with admission.slot():
                drafted, touches = await run_in_threadpool(_draft, state, authorization, body)
        if drafted is None:
            return PASS
        writer: quick.GroupWriter = state.ticket_writer
        written = await writer.write_async(
            state.sessionmaker, drafted, touches=touches, apply_touches=apply_touches
        )
    except Busy as exc:  # no slot for the draft's reads: the route would wait as long again
        return exc
    except Exception:  # nothing written: the route runs it again and answers as it does
        log.warning("the quick lane passes a creation on after an error", exc_info=True)
        return PASS
    if written is None:  # the commit failed on its way: done or not, it must not be redone
        return UNKNOWN
    return answer_json(drafted) if written else PASS  # once written, never passed on


def _parse(body: bytes) -> TicketIn | None:
    """The creation the body asks for; None when the route must explain what is wrong."""
    if too_deep(body) is not None:
        return None
    try:
        return TicketIn.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError):
        return None


async def _send_problem(
    send: Send, headers: list[tuple[bytes, bytes]], status: int, body: dict[str, Any]
) -> None:
    content = json.dumps({**body, "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


_UNKNOWN_BODY = {
    "type": "https://atende.dev/problems/commit_unknown",
    "title": "Creation not confirmed",
    "detail": "the database did not confirm the ticket was saved: look it up before "
    "sending it again, or send it again with an Idempotency-Key",
    "code": "commit_unknown",
}


def _draft(
    state: Any, authorization: str, body: bytes, *, inline: bool = False
) -> tuple[quick.Draft | None, Any]:
    """The draft and the activity its authentication recorded; (None, None) for the route.
    ``inline`` (on the event loop): from this process's copies only, else `NeedsIO` before any
    statement, even a pool checkout (a loop waiting for a connection that only its own requests
    can give back would wait for ever). The caller is authenticated before the body is parsed."""
    now = utcnow()
    read = state.draft_sessionmaker()
    read.info[INLINE] = inline
    db_cache.assume_version(read)  # the write checks it: usually this draft reads no row at all
    try:
        actor = auth_service.actor_from_authorization(read, authorization, now)
        data = _parse(body)
        if data is None or not quick.eligible(actor, data):
            return None, None
        drafted = quick.draft(read, actor=actor, data=data, now=now)
        touches = pending_touches(read)
    except DomainError:  # refused: the route refuses it the same way
        return None, None
    finally:
        read.close()  # writes nothing (no flush): closing ends it, without a rollback's undo
    return drafted, touches
