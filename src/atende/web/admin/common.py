"""What every admin page shares: who may open it and how its form errors are said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from atende.domain.errors import DomainError
from atende.web.admin.sections import SECTIONS
from atende.web.deps import WebUser
from atende.web.i18n import _
from atende.web.pages import error_page, page_not_found
from atende.web.templating import render


def admin_only(request: Request, user: WebUser) -> Response | None:
    """The 404 page for anyone who is not an admin (an admin page says nothing to others)."""
    return None if user.actor.is_admin else page_not_found(request)


T = TypeVar("T")


def admin_target(
    request: Request, user: WebUser, load: Callable[[], T | None], missing: str
) -> T | Response:
    """The record an admin page is about, or the page that refuses: 404 for a non-admin, or
    for a record that does not exist (``missing``: an English msgid saying so)."""
    refused = admin_only(request, user)
    if refused is not None:
        return refused
    found = load()
    if found is None:
        return error_page(request, 404, _("Not found"), _(missing))
    return found


def saved(url: str, record_id: int) -> Response:
    """After a change: back to the area's list, which says it was saved (303: a GET)."""
    return RedirectResponse(f"{url}?saved={record_id}", status_code=303)


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
    """An admin page: the side menu of sections with ``section`` marked current."""
    full = {"active": "admin", "sections": SECTIONS, "section": section, **context}
    return render(request, template, full, status_code=status_code)
