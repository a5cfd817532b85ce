"""What every admin page shares: who may open it and how its form errors are said."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from atende.domain.errors import DomainError
from atende.web.admin.sections import SECTIONS
from atende.web.deps import WebUser
from atende.web.i18n import _
from atende.web.pages import page_not_found
from atende.web.templating import render


def admin_only(request: Request, user: WebUser) -> Response | None:
    """The 404 page for anyone who is not an admin (an admin page says nothing to others)."""
    return None if user.actor.is_admin else page_not_found(request)


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
