"""The ticket page's WhatsApp and phone forms: an approved template outside WhatsApp's 24-hour
window, a call logged on the ticket, a call's summary sent to the customer. Each goes through
the same use cases as the API (``workflows.messaging``); a refused form comes back with what
was typed and the reason next to it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError, NotFound
from atende.tickets import service as ticket_service
from atende.web import tickets as web_tickets
from atende.web.deps import CsrfWebUser, WebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute, ticket_not_found
from atende.web.templating import render
from atende.workflows import messaging

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

MAX_SUMMARY = 5000


def _again(request: Request, session: Any, user: WebUser, number: int, **forms: Any) -> Response:
    """The ticket page again (422), with the refused form's values and errors."""
    ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=number)
    context = web_tickets.page_context(session, user, ticket)
    context.update(forms)
    return render(request, "tickets/detail.html", context, status_code=422)


def _staff(request: Request, user: WebUser, ticket_id: str) -> int | Response:
    if not user.actor.is_staff:
        return ticket_not_found(request)
    return web_tickets.parse_ticket_id(ticket_id)


@router.post("/tickets/{ticket_id}/calls")
def log_call(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    direction: Annotated[str, Form()] = "in",
    number: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
) -> Response:
    """Log a call from the side panel: direction, number, minutes, summary."""
    found = _staff(request, user, ticket_id)
    if isinstance(found, Response):
        return found
    values = {"direction": direction, "number": number[:30], "minutes": minutes[:6],
              "summary": summary[:MAX_SUMMARY]}  # fmt: skip
    errors: dict[str, str] = {}
    if direction not in ("in", "out"):
        errors["direction"] = _("Choose whether the customer called or was called.")
    if not number.strip():
        errors["number"] = _("Write the phone number.")
    if not (minutes.isascii() and minutes.isdigit() and int(minutes) <= 1440):
        errors["minutes"] = _("Write the duration in whole minutes (0 to 1440).")
    if not summary.strip():
        errors["summary"] = _("Write what was said on the call.")
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = _("The summary has at most 5,000 characters.")
    if not errors:
        data = {"direction": direction, "number": number.strip(),
                "duration_seconds": int(minutes) * 60, "summary": summary.strip()}  # fmt: skip
        try:
            with session.begin_nested():
                messaging.log_call(session, actor=user.actor, ticket_id=found, data=data, now=now)
        except NotFound:
            return ticket_not_found(request)
        except DomainError as exc:
            errors[exc.field if exc.field in values else "summary"] = exc.text(_)
    if not errors:
        return RedirectResponse(f"/tickets/{found}#calls", status_code=303)
    return _again(request, session, user, found, call_form={"errors": errors, "values": values})


@router.post("/tickets/{ticket_id}/calls/{call_id}/summary")
def send_summary(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    call_id: int,
    via: Annotated[str, Form()] = "",
) -> Response:
    """Send a call's summary to the customer by e-mail or WhatsApp (one click)."""
    found = _staff(request, user, ticket_id)
    if isinstance(found, Response):
        return found
    error = "" if via in ("email", "whatsapp") else _("Choose e-mail or WhatsApp.")
    if not error:
        try:
            with session.begin_nested():
                messaging.send_summary(
                    session, actor=user.actor, ticket_id=found, call_id=call_id, via=via,
                    now=now,
                )  # fmt: skip
        except NotFound as exc:
            if exc.field == "call_id":
                error = exc.text(_)
            else:
                return ticket_not_found(request)
        except DomainError as exc:
            error = exc.text(_)
    if not error:
        return RedirectResponse(f"/tickets/{found}#calls", status_code=303)
    form = {"errors": {"summary_send": error}, "values": {}, "call_id": call_id}
    return _again(request, session, user, found, call_form=form)


@router.post("/tickets/{ticket_id}/whatsapp-template")
def send_template(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    template: Annotated[str, Form()] = "",
    parameters: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Send an approved template (the composer offers only these outside the window)."""
    found = _staff(request, user, ticket_id)
    if isinstance(found, Response):
        return found
    given = [p.strip()[:1000] for p in (parameters or [])][:20]
    error = ""
    if any(not p for p in given):
        error = _("Fill in every parameter of the template.")
    else:
        try:
            with session.begin_nested():
                messaging.send_template(
                    session, actor=user.actor, ticket_id=found, name=template[:512],
                    parameters=given, now=now,
                )  # fmt: skip
        except NotFound:
            return ticket_not_found(request)
        except DomainError as exc:
            error = exc.text(_)
    if not error:
        return RedirectResponse(f"/tickets/{found}", status_code=303)
    form = {"template": template[:512], "parameters": given, "error": error}
    return _again(request, session, user, found, template_form=form)
