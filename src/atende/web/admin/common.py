"""What every admin page shares: who may open it, the record it is about, and how it answers
after a save.

Who: a route takes ``AdminUser`` (a page only admins see), ``CsrfAdminUser`` (a form only
admins send: the CSRF token is checked first) or ``ReaderUser`` (a list a supervisor may read
too, without its forms). Anyone else gets the 404 page: an admin page says nothing to others.
The refusal is raised by the dependency, before the route runs, and turned into the page by
`AdminRoute`, the route class of every admin router; so is a record that does not exist
(`found`), looked up before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from atende.domain.errors import DomainError, NotFound
from atende.web.admin.sections import SECTIONS, readable_sections
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute, error_page, page_not_found
from atende.web.templating import render

T = TypeVar("T")


class Refused(Exception):
    """This visitor may not open this admin page: the 404 page, nothing said."""


class Missing(Exception):
    """The record an admin page is about does not exist: the 404 page saying ``missing``
    (an English msgid), or the plain one."""

    def __init__(self, missing: str | None = None) -> None:
        super().__init__(missing or "")
        self.missing = missing


class AdminRoute(HtmlRoute):
    """An HTML route whose refusals (`Refused`, `Missing`, raised before anything is written)
    are the 404 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused:
                return page_not_found(request)
            except Missing as exc:
                if exc.missing is None:
                    return page_not_found(request)
                return error_page(request, 404, _("Not found"), _(exc.missing))

        return run


def is_reader(user: WebUser) -> bool:
    """Whether ``user`` reads the admin lists a supervisor may read (admins and supervisors)."""
    return user.actor.is_admin or user.actor.role == "supervisor"


def require_admin(user: CurrentWebUser) -> WebUser:
    if not user.actor.is_admin:
        raise Refused
    return user


def require_csrf_admin(user: CsrfWebUser) -> WebUser:
    if not user.actor.is_admin:
        raise Refused
    return user


def require_reader(user: CurrentWebUser) -> WebUser:
    if not is_reader(user):
        raise Refused
    return user


AdminUser = Annotated[WebUser, Depends(require_admin)]
CsrfAdminUser = Annotated[WebUser, Depends(require_csrf_admin)]
ReaderUser = Annotated[WebUser, Depends(require_reader)]


def found(load: Callable[[], T | None], missing: str | None = None) -> T:
    """The record ``load()`` finds (``None`` or `NotFound`: it does not exist), or `Missing`.
    Call it before the use case writes anything."""
    try:
        record = load()
    except NotFound:
        record = None
    if record is None:
        raise Missing(missing)
    return record


def valid_id(record_id: int) -> bool:
    """Whether an id from the path can name a row (a bigger number is just not found)."""
    return 1 <= record_id < 2**63


def saved(url: str, record_id: int | str = 1) -> Response:
    """After a change: back to ``url``, which says it was saved (303: a GET)."""
    return RedirectResponse(f"{url}?saved={record_id}", status_code=303)


def back(url: str) -> Response:
    """After an action that needs no notice: back to ``url`` (303: a GET)."""
    return RedirectResponse(url, status_code=303)


def error_text(exc: DomainError) -> tuple[str | None, str]:
    """(field, sentence) of a refused change, in the reader's language."""
    return exc.field, exc.text(_)


def admin_render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    section: str,
    status_code: int = 200,
) -> Response:
    """An admin page: the side menu of the sections the reader may open, ``section`` marked
    current; ``editable`` says whether to show the forms (an admin) or only read (a
    supervisor)."""
    user = context.get("user")
    admin = isinstance(user, WebUser) and user.actor.is_admin
    sections = SECTIONS if admin else readable_sections()
    full = {"active": "admin", "sections": sections, "section": section, "editable": admin}
    return render(request, template, {**full, **context}, status_code=status_code)
