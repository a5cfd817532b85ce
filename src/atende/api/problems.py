"""RFC 9457 problem+json for every error, naming the field or the rule at fault."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from atende.api import messages
from atende.api.admission import Busy
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.domain.errors import DomainError
from atende.i18n import N_, SOURCE_LOCALE, localized

PROBLEM = "application/problem+json"
AUTHENTICATED_FIRST = "atende.authenticated_first"
"""Request state key: the caller's token was checked before the body was read (api/bodies.py)."""
INTERNAL = N_("internal server error; the error was logged")
TITLES_EN = messages.TITLES


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    locale: str = SOURCE_LOCALE,
) -> JSONResponse:
    """A problem+json answer; ``detail`` is already in ``locale``, the title is said in it."""
    body: dict[str, Any] = {
        "type": f"https://atende.dev/problems/{code or status}",
        "title": messages.title(locale, status),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    """The answer to a refusal of the domain (also for a route that returns it instead of
    raising it, to commit what it recorded)."""
    locale = messages.request_locale(request)
    detail = localized(exc, locale)
    errors = [{"field": exc.field, "message": detail}] if exc.field else None
    retry_after = getattr(exc, "retry_after", None)
    return problem(
        exc.status,
        detail,
        code=exc.code,
        errors=errors,
        headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
        instance=request.url.path,
        locale=locale,
    )


class BodyTooLarge(Exception):
    """The request body grew past the route's limit while it was being read."""

    MESSAGE = N_("request body is larger than the limit of {limit} bytes")

    def __init__(self, limit: int) -> None:
        super().__init__(self.MESSAGE.format(limit=limit))
        self.limit = limit


class LoginRequired(Exception):
    """Raised by HTML routes: the visitor is sent to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "items", 3, "phrase")`` -> ``items[3].phrase``: only the leading location
    goes (a field may itself be called ``body``)."""
    inner = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    out = ""
    for p in (str(p) for p in inner):
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or ".".join(str(p) for p in loc)


def authentication_refusal(request: Request) -> Response | None:
    """401 problem when the request carries no valid API token, else None."""
    header = request.headers.get("authorization", "")
    with request.app.state.read_sessionmaker() as session:
        try:
            auth_service.actor_from_authorization(session, header, utcnow())
        except auth_service.AuthenticationFailed as exc:
            locale = messages.request_locale(request)
            return problem(401, localized(exc, locale), code=exc.code, locale=locale)
        finally:
            session.rollback()
    return None


async def _unauthenticated_first(request: Request) -> Response | None:
    """An input error found before the route's dependencies ran (a query parameter, or a body
    that `api.bodies.AuthenticateFirst` let through) would be judged before the caller is
    known: on the API, an unauthenticated caller gets the 401 instead."""
    if not request.url.path.startswith("/api/") or getattr(request.state, "actor", None):
        return None
    if getattr(request.state, AUTHENTICATED_FIRST, False):
        return None  # the token was checked before the body was read
    try:
        async with request.app.state.admission.slot():  # database work: api/admission.py
            return await run_in_threadpool(authentication_refusal, request)
    except Busy as exc:  # overloaded: the caller is not known, so nothing else is said
        return busy_problem(exc)


BUSY_RETRY_AFTER = 5  # seconds (api/admission.py: no slot freed in time)


def busy_problem(exc: Busy, locale: str = SOURCE_LOCALE) -> Response:
    return problem(
        503,
        messages.say(locale, Busy.MESSAGE, seconds=exc.seconds),
        code="busy",
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        locale=locale,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return domain_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        refusal = await _unauthenticated_first(request)
        if refusal is not None:
            return refusal
        locale = messages.request_locale(request)
        errors = []
        for err in exc.errors():
            field = _loc(err.get("loc", ()))
            errors.append(
                {
                    "field": field,
                    "message": messages.input_error(locale, err),
                    "type": err.get("type"),
                }
            )
        first = errors[0] if errors else {"field": "", "message": messages.INVALID}
        if first.get("type") == "json_invalid":
            detail = messages.say(locale, messages.INPUT_ERRORS["json_invalid"])
        else:
            detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem(
            422,
            detail,
            code="validation_failed",
            errors=errors,
            instance=request.url.path,
            locale=locale,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            refusal = await _unauthenticated_first(request)
            if refusal is not None:
                return refusal
        locale = messages.request_locale(request)
        if isinstance(exc.__cause__, BodyTooLarge):
            # FastAPI wraps errors raised while reading the body in a 400; the cause decides.
            limit = exc.__cause__.limit
            detail = messages.say(locale, BodyTooLarge.MESSAGE, limit=limit)
            return problem(413, detail, code="body_too_large", locale=locale)
        if isinstance(exc.detail, str) and exc.detail != TITLES_EN.get(exc.status_code):
            detail = messages.say(locale, exc.detail)
        else:
            detail = messages.title(locale, exc.status_code)
        return problem(
            exc.status_code, detail, headers=getattr(exc, "headers", None), locale=locale
        )

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> Response:
        return busy_problem(exc, messages.request_locale(request))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        import logging

        logging.getLogger("atende").exception("unhandled error on %s", request.url.path)
        locale = messages.request_locale(request)
        return problem(500, messages.say(locale, INTERNAL), locale=locale)
