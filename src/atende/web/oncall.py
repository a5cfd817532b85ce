"""The on-call review mark from the ticket page (seed 001: the supervisors review each week
the tickets opened outside the queue's hours): mark it reviewed, or take the mark back, through
the same workflow as ``PUT/DELETE /api/v1/tickets/{id}/on-call-review``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError, NotFound
from atende.web.deps import CsrfWebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute, error_page, ticket_not_found
from atende.workflows import tickets as ticket_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


@router.post("/tickets/{ticket_id}/on-call-review")
def review_on_call(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: int,
    reviewed: Annotated[str, Form(max_length=3)] = "yes",
) -> Response:
    try:
        with session.begin_nested():
            ticket_workflows.review_on_call(
                session, actor=user.actor, ticket_id=ticket_id, reviewed=reviewed != "no", now=now
            )
    except NotFound:
        return ticket_not_found(request)
    except DomainError as exc:
        return error_page(request, exc.status, _("Not possible"), exc.text(_))
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
