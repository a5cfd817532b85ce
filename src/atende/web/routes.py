"""HTML pages (Jinja2 + HTMX): login, logout and the agent pages.

The router serves the vendored static files itself (``/static``), so the app only includes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from atende.api.deps import AppSettings, DbSession, Now
from atende.auth import service as auth_service
from atende.settings import Settings
from atende.web import admin as web_admin
from atende.web import agenda as web_agenda
from atende.web import board as web_board
from atende.web import channels as web_channels
from atende.web import chat_console as web_chat_console
from atende.web import composer as web_composer
from atende.web import csrf
from atende.web import inbox as web_inbox
from atende.web import links as web_links
from atende.web import messaging as web_messaging
from atende.web import newticket as web_newticket
from atende.web import oncall as web_oncall
from atende.web import presence as web_presence
from atende.web import reply_report as web_reply_report
from atende.web import reports as web_reports
from atende.web import saved_views as web_saved_views
from atende.web import surveys as web_surveys
from atende.web import tickets as web_tickets
from atende.web.deps import (
    SESSION_COOKIE,
    MaybeCsrfWebUser,
    MaybeWebUser,
    client_address,
    safe_next,
)
from atende.web.i18n import N_
from atende.web.pages import HtmlRoute
from atende.web.templating import HERE, render
from atende.workflows import routing as routing_workflows

STATIC_DIR = HERE / "static"

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
router.include_router(web_inbox.router)
router.include_router(web_reports.router)
router.include_router(web_reply_report.router)
router.include_router(web_newticket.router)  # before /tickets/{ticket_id}
router.include_router(web_saved_views.router)
router.include_router(web_tickets.router)
router.include_router(web_agenda.router)
router.include_router(web_presence.router)
router.include_router(web_board.router)
router.include_router(web_composer.router)
router.include_router(web_links.router)
router.include_router(web_oncall.router)
router.include_router(web_channels.router)
router.include_router(web_messaging.router)
router.include_router(web_surveys.router)
router.include_router(web_chat_console.router)
router.include_router(web_admin.router)


# ------------------------------------------------------------------------------------------------
# Login and logout
# ------------------------------------------------------------------------------------------------

LOGIN_FAILED = N_("Wrong e-mail or password.")
LOGIN_THROTTLED = N_("Too many failed attempts to log in. Wait a few minutes and try again.")
LOGIN_EXPIRED = N_("The form expired. Check your details and send them again.")


def _login_page(
    request: Request,
    settings: Settings,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    fresh_token: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login form, with the anonymous CSRF token in a hidden field and in its cookie."""
    secret_key = settings.resolved_secret_key
    token = request.cookies.get(csrf.ANON_COOKIE)
    if fresh_token or not csrf.anonymous_token_is_genuine(secret_key, token):
        token = csrf.new_anonymous_token(secret_key)
    context = {"csrf_token": token, "next": next_url, "email": email, "error": error}
    response = render(request, "login.html", context, status_code=status_code, headers=headers)
    response.set_cookie(
        csrf.ANON_COOKIE,
        token or "",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.get("/login")
def login_form(
    request: Request, settings: AppSettings, user: MaybeWebUser, next: str = ""
) -> Response:
    target = safe_next(next)
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, settings, next_url=target)


@router.post("/login")
def login_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next)
    email = email.strip()[:254]
    if not csrf.anonymous_form_is_valid(
        settings.resolved_secret_key, request.cookies.get(csrf.ANON_COOKIE), csrf_token
    ):
        return _login_page(
            request,
            settings,
            next_url=target,
            email=email,
            error=LOGIN_EXPIRED,
            status_code=403,
            fresh_token=True,
        )
    try:
        _web, secret, _user = auth_service.login(
            session,
            email=email,
            password=password,
            client=client_address(request),
            now=now,
            max_attempts=settings.login_max_attempts,
            window=timedelta(seconds=settings.login_window_seconds),
            session_days=settings.session_days,
        )
    except auth_service.TooManyAttempts:
        return _login_page(
            request,
            settings,
            next_url=target,
            email=email,
            error=LOGIN_THROTTLED,
            status_code=429,
            headers={"Retry-After": str(settings.login_window_seconds)},
        )
    except auth_service.AuthenticationFailed:
        # The failed attempt was recorded; returning (not raising) lets the request commit it.
        return _login_page(
            request, settings, next_url=target, email=email, error=LOGIN_FAILED, status_code=401
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(csrf.ANON_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: DbSession,
    user: MaybeCsrfWebUser,
    now: Now,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Declaring the form's field makes the body be read before the dependencies run: the
    session check (a write transaction on SQLite) then never waits for a slow client's body;
    the token itself is checked by ``MaybeCsrfWebUser``."""
    if user is not None:
        auth_service.logout(session, request.cookies.get(SESSION_COOKIE, ""))
        if user.actor.is_staff and user.actor.user_id is not None:
            routing_workflows.set_offline(
                session, user_id=user.actor.user_id, now=now, cause="logout"
            )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def index() -> Response:
    return RedirectResponse("/tickets", status_code=303)
