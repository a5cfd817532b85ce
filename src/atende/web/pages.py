"""How HTML routes answer errors: as pages (or HTMX redirects), not as problem+json."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from atende.api import messages
from atende.api.deps import SAFE_METHODS
from atende.api.problems import LoginRequired
from atende.domain.errors import NotFound
from atende.web import csrf, i18n
from atende.web.deps import DEFAULT_NEXT, signed_in_first
from atende.web.i18n import _
from atende.web.templating import page_language, render


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)


def ticket_not_found(request: Request) -> Response:
    """The page for a ticket that does not exist or that the visitor may not read (404)."""
    return error_page(
        request,
        404,
        i18n.gettext("Not found"),
        i18n.gettext("This ticket does not exist or you have no access to it."),
    )


def page_not_found(request: Request) -> Response:
    """A page the visitor has no business with (a customer on a staff page): 404."""
    return error_page(
        request, 404, i18n.gettext("Not found"), i18n.gettext("This page does not exist.")
    )


ANONYMOUS_FORMS = frozenset({"/login", "/pesquisa/{token}"})
"""The forms read before their sender is known: the login (its fields are the credentials) and
the survey page (its signed link is the capability: web/surveys.py)."""


class HtmlRoute(APIRoute):
    """Renders the errors of HTML routes as pages instead of problem+json, and reads no form
    before its sender is known: a state-changing request without a live session is sent to
    the login page before FastAPI parses its body (api/bodies.py does the same for the API).

    Only errors raised before anything was written are caught here (a CSRF refusal comes from a
    dependency; a NotFound on a GET comes from a read-only session), so the request's transaction
    has nothing to commit. Errors of a use case are handled in the route, under a savepoint.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        anonymous = self.path in ANONYMOUS_FORMS

        async def run(request: Request) -> Response:
            i18n.begin(page_language(request))  # the visitor's, once known (web/deps.py)
            try:
                if (
                    request.method not in SAFE_METHODS
                    and not anonymous
                    and not await signed_in_first(request)
                ):
                    raise LoginRequired(DEFAULT_NEXT)
                return await handler(request)
            except csrf.CsrfRejected:
                return error_page(
                    request,
                    403,
                    _("Request refused"),
                    _(
                        "The form expired or did not come from this page. Reload the page and"
                        " try again."
                    ),
                )
            except LoginRequired as exc:
                if not is_htmx(request):
                    raise
                # An HTMX request would swap the login page into a fragment: send the browser.
                target = f"/login?next={quote(exc.next_url, safe='/')}"
                return Response(status_code=200, headers={"HX-Redirect": target})
            except RequestValidationError as exc:
                # a page's query or form field out of range: said on a page, in the page's
                # language, naming the field and what was given (was problem+json)
                language = page_language(request)
                said = []
                for err in exc.errors():
                    field = ".".join(str(p) for p in err.get("loc", ())[1:]) or "?"
                    given = err.get("input")
                    shown = f" (“{given}”)" if isinstance(given, str | int) and given != "" else ""
                    said.append(f"{field}{shown}: {messages.input_error(language.locale, err)}")
                return error_page(request, 422, _("Not possible"), "; ".join(said))
            except NotFound:
                if request.method not in SAFE_METHODS:
                    raise
                return error_page(
                    request,
                    404,
                    _("Not found"),
                    _("This page does not exist or you have no access to it."),
                )

        return run
