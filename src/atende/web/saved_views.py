"""Saving the inbox's current list under a name, and deleting a saved one (staff).

The saved parameters are the inbox's own, checked by its parser before they are kept, so a
saved view is exactly what the address bar would have asked for (agents/saved_views.py)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from atende.agents import saved_views
from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError, NotFound
from atende.web.deps import CsrfWebUser
from atende.web.i18n import _
from atende.web.inbox import parse_query
from atende.web.pages import HtmlRoute, error_page, page_not_found

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


@router.post("/tickets/views")
def save_view(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=saved_views.MAX_QUERY)] = "",
    shared: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Keep the inbox's list as it is shown now (its filters, view and order) as ``name``."""
    if not user.actor.is_staff:
        return page_not_found(request)
    values = parse_qs(query, keep_blank_values=False)

    def one(key: str) -> str:
        return values.get(key, [""])[0]

    parsed = parse_query(
        user, view=one("view"), sort=one("sort"), status=values.get("status", []),
        priority=values.get("priority", []), channel=values.get("channel", []),
        queue=one("queue"), tag=one("tag"), q=one("q"), after=None,
    )  # fmt: skip
    if parsed.errors:
        return error_page(request, 422, _("The view was not saved"), " ".join(parsed.errors))
    kept = parsed.params()
    try:
        with session.begin_nested():
            saved_views.save(
                session, actor=user.actor, name=name, query=kept, shared=bool(shared), now=now
            )
    except DomainError as exc:
        return error_page(request, exc.status, _("The view was not saved"), exc.text(_))
    return RedirectResponse("/tickets" + (f"?{kept}" if kept else ""), status_code=303)


@router.post("/tickets/views/{view_id}/delete")
def delete_view(
    request: Request, session: DbSession, user: CsrfWebUser, now: Now, view_id: int
) -> Response:
    try:
        with session.begin_nested():
            saved_views.delete(session, actor=user.actor, view_id=view_id, now=now)
    except NotFound:
        return error_page(request, 404, _("Not found"), _("This saved view does not exist."))
    except DomainError as exc:
        return error_page(request, exc.status, _("Not possible"), exc.text(_))
    return RedirectResponse("/tickets", status_code=303)
