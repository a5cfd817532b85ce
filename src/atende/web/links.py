"""Split and merge from the ticket page (staff): the same workflows as the API's
``POST /tickets/{id}/split`` and ``/merge``. Split moves the chosen messages to a new ticket
and opens it; merge moves this ticket into the one given by its number and opens that one."""

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


def _refused(request: Request, detail: str, status: int = 422) -> Response:
    return error_page(request, status, _("Not possible"), detail)


@router.post("/tickets/{ticket_id}/split")
def split(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: int,
    message_ids: Annotated[list[str] | None, Form()] = None,
    subject: Annotated[str, Form()] = "",
) -> Response:
    ids = [int(v) for v in (message_ids or []) if v.isascii() and v.isdigit()][:1000]
    if not ids:
        return _refused(request, _("Choose at least one message to move."))
    if not subject.strip():
        return _refused(request, _("Write the subject of the new ticket."))
    try:
        with session.begin_nested():
            settled = ticket_workflows.split_ticket(
                session, actor=user.actor, ticket_id=ticket_id, message_ids=ids,
                subject=subject.strip()[:250], now=now,
            )  # fmt: skip
    except NotFound:
        return ticket_not_found(request)
    except DomainError as exc:
        return _refused(request, exc.text(_), 403 if exc.status == 403 else 422)
    return RedirectResponse(f"/tickets/{settled.ticket.id}", status_code=303)


@router.post("/tickets/{ticket_id}/merge")
def merge(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: int,
    into: Annotated[str, Form()] = "",
) -> Response:
    number = into.strip().lstrip("#")
    if not (number.isascii() and number.isdigit() and 0 < len(number) <= 18):
        return _refused(request, _("Give the number of the ticket that stays (e.g. 1042)."))
    try:
        with session.begin_nested():
            settled = ticket_workflows.merge_ticket(
                session, actor=user.actor, ticket_id=ticket_id, into_ticket_id=int(number),
                now=now,
            )  # fmt: skip
    except NotFound:
        return ticket_not_found(request)
    except DomainError as exc:
        return _refused(request, exc.text(_), 403 if exc.status == 403 else 422)
    return RedirectResponse(f"/tickets/{settled.ticket.id}", status_code=303)
