"""What a request body must pass before anything parses it: a known caller, then (for JSON) a
nesting depth of at most `MAX_JSON_DEPTH` levels.

FastAPI reads and parses a route's JSON body before it runs the route's dependencies, the
authentication among them: a body sent with a bogus token would be parsed, and one nested a
thousand levels deep made the parser raise ``RecursionError`` (a 500). `AuthenticateFirst`
checks the bearer token of every ``/api/`` request that carries a body before the body is
read, answering 401 without reading it; then it reads a JSON body and refuses one nested
deeper than `MAX_JSON_DEPTH` (422 ``json_too_deep``) with a scan that parses nothing. The
route's own dependencies authenticate again, as they always did: the check here only decides
whether the body may be looked at (docs/security.md).

The HTML forms check their session cookie first in the same spirit (web/pages.py).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atende.api import messages
from atende.api.admission import Admission, Busy
from atende.api.problems import AUTHENTICATED_FIRST, busy_problem, problem
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.domain.errors import DomainError
from atende.domain.json_depth import MAX_JSON_DEPTH, too_deep
from atende.i18n import N_, SOURCE_LOCALE, localized

TOO_DEEP = N_("JSON body is nested {depth} levels deep; at most {limit} levels are accepted")


def too_deep_problem(depth: int, path: str, locale: str = SOURCE_LOCALE) -> Response:
    detail = messages.say(locale, TOO_DEEP, depth=depth, limit=MAX_JSON_DEPTH)
    return problem(
        422,
        detail,
        code="json_too_deep",
        errors=[{"field": "body", "message": detail, "type": "json_too_deep"}],
        instance=path,
        locale=locale,
    )


def _announces_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


def _is_json(scope: Scope) -> bool:
    """As FastAPI decides: no content type, ``application/json`` or any ``+json`` type."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";")[0].strip().lower()
            return media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            )
    return True


async def _read_all(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body, and a disconnect that came instead of its end (to pass on)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replay(body: bytes, tail: list[Message], receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *tail]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _caller_refusal(state: Any, header: str) -> DomainError | None:
    """Why the ``Authorization`` header is refused (401), None when its token is valid.
    A check only: nothing it records (a token's last use) is kept."""
    session = state.read_sessionmaker()
    try:
        auth_service.actor_from_authorization(session, header, utcnow())
    except DomainError as exc:
        return exc
    finally:
        session.close()
    return None


async def check_caller(state: Any, header: str) -> DomainError | Busy | None:
    """None when the token is valid, else the refusal to answer, or `Busy` when no slot frees
    for the check (in a worker thread, with an admission slot: api/admission.py). Credentials
    come from this process's copies when the token is known (db/cache.py)."""
    admission: Admission = state.admission
    try:
        async with admission.slot():
            return await run_in_threadpool(_caller_refusal, state, header)
    except Busy as exc:
        return exc


class AuthenticateFirst:
    """For every request under ``prefix`` that carries a body: 401 unless its bearer token is
    valid, checked before a byte of the body is read; then 422 for JSON nested too deeply."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(self.prefix)
            or not _announces_body(scope)
        ):
            await self.app(scope, receive, send)
            return
        header = ""
        for name, value in scope["headers"]:
            if name == b"authorization":  # the first counts, as for the route
                header = value.decode("latin-1")
                break
        refusal = await check_caller(scope["app"].state, header)
        locale = messages.headers_locale(
            scope["headers"], getattr(scope["app"].state.settings, "default_locale", None)
        )
        if refusal is not None:
            answer = (
                busy_problem(refusal, locale)  # overloaded: the caller is not known
                if isinstance(refusal, Busy)
                else problem(
                    refusal.status, localized(refusal, locale), code=refusal.code, locale=locale
                )
            )
            await answer(scope, receive, send)
            return
        scope.setdefault("state", {})[AUTHENTICATED_FIRST] = True
        if not _is_json(scope):  # files and JSON lines: their routes read them as they come
            await self.app(scope, receive, send)
            return
        body, tail = await _read_all(receive)  # the size limit outside refuses a large one
        depth = too_deep(body)
        if depth is not None:
            await too_deep_problem(depth, scope["path"], locale)(scope, receive, send)
            return
        await self.app(scope, _replay(body, tail, receive), send)
