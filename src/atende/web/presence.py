"""Presence always visible (seed 004: never invisible): the top bar of every console page shows
the staff member's status, how long they have been in it, their load against capacity, and a
form to go online, pause with one of the admins' reasons, or go offline.

The top bar loads it as a fragment (``GET /presence``, again every minute) so that no page's
route has to; the form posts to ``POST /presence`` and gets the fragment back. Changes go
through ``workflows.routing.set_presence`` like the API's (pausing hands unanswered chats back,
coming online hands out waiting work).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError
from atende.queues import line as queue_line
from atende.routing import presence as presence_service
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import N_, _, duration_text
from atende.web.pages import HtmlRoute, is_htmx
from atende.web.templating import render
from atende.workflows import routing as routing_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

STATUS_LABELS = {"online": N_("Online"), "paused": N_("Paused"), "offline": N_("Offline")}


def _context(
    session: Session, user: WebUser, now: datetime, error: str | None = None
) -> dict[str, Any]:
    me = presence_service.my_presence(session, actor=user.actor)
    reasons = [r.name for r in presence_service.list_reasons(session, actor=user.actor)]
    uid = user.actor.user_id or 0
    load = queue_line.loads(session, [uid])[uid]
    since = me["since"]
    return {
        "user": user,
        "presence": me,
        "label": _(STATUS_LABELS.get(me["status"], me["status"])),
        "for_how_long": duration_text(now - since) if since is not None else None,
        "reasons": reasons,
        "load": load,
        "error": error,
    }


@router.get("/presence")
def presence_fragment(
    request: Request, session: DbSession, user: CurrentWebUser, now: Now
) -> Response:
    if not user.actor.is_staff:
        return Response(status_code=204)
    return render(request, "_presence.html", _context(session, user, now))


@router.post("/presence")
def change_presence(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    choice: Annotated[str, Form()] = "",
) -> Response:
    """``choice``: ``online``, ``offline`` or ``paused:<reason>``."""
    if not user.actor.is_staff:
        return Response(status_code=204)
    status, _sep, reason = choice.partition(":")
    error: str | None = None
    try:
        with session.begin_nested():
            routing_workflows.set_presence(
                session,
                actor=user.actor,
                status=status,
                reason=reason or None,
                now=now,
            )
    except DomainError as exc:
        error = exc.text(_)
    if not is_htmx(request):  # a plain form post: back to the console
        return RedirectResponse("/tickets", status_code=303)
    context = _context(session, user, now, error)
    return render(request, "_presence.html", context, status_code=422 if error else 200)
