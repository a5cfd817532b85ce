"""Dependencies of the HTML routes: who is logged in (from the session cookie) and CSRF checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from atende.api.deps import SAFE_METHODS, DbSession, Now, write_touches_apart
from atende.api.problems import LoginRequired
from atende.auth import service as auth_service
from atende.auth.actor import Actor
from atende.db.base import utcnow
from atende.web import csrf, i18n
from atende.web.templating import page_language

SESSION_COOKIE = "atende_session"
DEFAULT_NEXT = "/tickets"


@dataclass(frozen=True)
class WebUser:
    """The logged-in visitor of an HTML page and the CSRF token of their session."""

    actor: Actor
    csrf_token: str


def client_address(request: Request) -> str:
    """The socket peer. Never X-Forwarded-For: any client can write that header."""
    return request.client.host if request.client else "unknown"


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything that could leave the site becomes /tickets.

    Browsers treat ``\\`` as ``/`` and drop tabs and newlines inside URLs, so ``/\\evil.test`` and
    ``/\\t/evil.test`` are as dangerous as ``//evil.test``: any such character is refused.
    """
    if not value or len(value) > 2000 or not value.startswith("/"):
        return DEFAULT_NEXT
    if value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    if parts.path in ("/login", "/logout"):
        return DEFAULT_NEXT
    return value


def _here(request: Request) -> str:
    """Where to come back after logging in: this page for a GET, else the ticket list."""
    if request.method not in SAFE_METHODS:
        return DEFAULT_NEXT
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def optional_web_user(request: Request, session: DbSession, now: Now) -> WebUser | None:
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret or len(secret) > 200:
        return None
    found = auth_service.session_actor(session, secret, now)
    if found is None:
        return None
    actor, web_session = found
    request.state.actor = actor
    i18n.adopt(page_language(request, actor))
    csrf_token = web_session.csrf_token
    write_touches_apart(request, session)
    return WebUser(actor=actor, csrf_token=csrf_token)


MaybeWebUser = Annotated[WebUser | None, Depends(optional_web_user)]


def _has_live_session(request: Request) -> bool:
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret or len(secret) > 200:
        return False
    with request.app.state.read_sessionmaker() as session:
        try:
            return auth_service.session_actor(session, secret, utcnow()) is not None
        finally:
            session.rollback()  # a check only: the route's dependencies record the activity


async def signed_in_first(request: Request) -> bool:
    """Whether the request's session cookie names a live session, checked before its form is
    read (web/pages.py), in a read transaction of its own."""
    if not request.cookies.get(SESSION_COOKIE):
        return False
    async with request.app.state.admission.slot():  # database work: api/admission.py
        return await run_in_threadpool(_has_live_session, request)


def require_web_user(request: Request, user: MaybeWebUser) -> WebUser:
    """The logged-in visitor; without a live session, a redirect to the login page."""
    if user is None:
        raise LoginRequired(_here(request))
    return user


CurrentWebUser = Annotated[WebUser, Depends(require_web_user)]


async def require_csrf(request: Request, user: CurrentWebUser) -> WebUser:
    """The logged-in visitor of a state-changing request that carries their CSRF token."""
    await csrf.check_session_token(request, user.csrf_token)
    return user


CsrfWebUser = Annotated[WebUser, Depends(require_csrf)]


async def optional_csrf(request: Request, user: MaybeWebUser) -> WebUser | None:
    """The visitor if logged in, having checked their CSRF token; None for a visitor without one."""
    if user is not None:
        await csrf.check_session_token(request, user.csrf_token)
    return user


MaybeCsrfWebUser = Annotated[WebUser | None, Depends(optional_csrf)]
