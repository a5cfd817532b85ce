"""Opening a ticket from the console (``/tickets/new``): staff take a request that came by phone,
e-mail or in person (requester, queue, priority, type, tags), or a non-client's request as
fields (seed 002 item 30); a customer opens one from the portal (subject and description).
The same validation and workflow as ``POST /api/v1/tickets``: a refused form comes back with
what was typed and each problem said next to its field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from atende.api import messages as api_messages
from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError
from atende.tickets import service as ticket_service
from atende.tickets.schemas import NonClientIn, TicketIn
from atende.web import i18n
from atende.web import repository as web_repository
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute
from atende.web.templating import CHANNEL_LABELS, render
from atende.workflows import tickets as ticket_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

STAFF_CHANNELS = ("phone", "email", "whatsapp", "telegram", "teams", "portal", "chat")
PRIORITIES = ("low", "normal", "high", "urgent")
PURPOSES = ("comercial", "suporte", "outro")
FIELDS = (
    "subject", "body", "channel", "requester_email", "requester_name", "requester_phone",
    "queue", "priority", "type", "tags", "assign_to_me",
)  # fmt: skip
NON_CLIENT_FIELDS = ("name", "phone", "email", "segment", "request", "purpose", "nc_channel")
# a Pydantic error's location -> the form field it belongs to
LOCATIONS = {
    ("requester", "email"): "requester_email",
    ("requester", "name"): "requester_name",
    ("requester", "phone"): "requester_phone",
    ("requester",): "requester_email",
    ("queue_id",): "queue",
    ("channel",): "nc_channel",
}
FORM_OF_FIELD = {
    "queue_id": "queue",
    "assignee_id": "assign_to_me",
    "contact_id": "requester_email",
    "requester": "requester_email",
}


def _form_values(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, ""))[:10_000] for name in names}


def _pydantic_errors(exc: ValidationError, *, non_client: bool = False) -> dict[str, str]:
    locale = i18n.current().locale
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        if non_client:
            field = "nc_channel" if loc == ("channel",) else (loc[0] if loc else "")
        else:
            field = LOCATIONS.get(loc) or LOCATIONS.get(loc[:1]) or (loc[0] if loc else "")
        out.setdefault(field or "_", api_messages.input_error(locale, dict(err)))
    return out


def _ticket_data(user: WebUser, v: dict[str, str]) -> dict[str, Any]:
    """The API's body for what the form says (blank fields left out)."""
    data: dict[str, Any] = {"subject": v["subject"].strip(), "body": v["body"].strip() or None}
    if user.actor.is_contact:
        data["channel"] = "portal"
        return data
    data["channel"] = v["channel"] or "phone"
    data["priority"] = v["priority"] or "normal"
    if v["type"].strip():
        data["type"] = v["type"].strip()
    if v["queue"].strip():
        data["queue_id"] = v["queue"].strip()
    if v["assign_to_me"] and user.actor.user_id is not None:
        data["assignee_id"] = user.actor.user_id
    requester = {
        key: v[f"requester_{key}"].strip()
        for key in ("email", "name", "phone")
        if v[f"requester_{key}"].strip()
    }
    if requester:
        data["requester"] = requester
    tags = [t.strip().lower() for t in v["tags"].split(",") if t.strip()]
    if tags:
        data["tags"] = tags
    return data


def _create(
    session: Session, user: WebUser, model: type[BaseModel], data: dict[str, Any], now: Any
) -> tuple[int | None, dict[str, str]]:
    """Validate and create: (the new ticket's id, None) or (None, the errors by field)."""
    non_client = model is NonClientIn
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_errors(exc, non_client=non_client)
    try:
        with session.begin_nested():
            if isinstance(body, NonClientIn):
                settled = ticket_workflows.intake_non_client(
                    session, actor=user.actor, data=body, now=now
                )
            else:
                assert isinstance(body, TicketIn)
                settled = ticket_workflows.create_ticket(
                    session, actor=user.actor, data=body, now=now
                )
    except DomainError as exc:
        field = FORM_OF_FIELD.get(exc.field or "", exc.field or "_")
        return None, {field: exc.text(_)}
    return settled.ticket.id, {}


def _page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    non_client: dict[str, str] | None = None,
    non_client_errors: dict[str, str] | None = None,
) -> Response:
    staff = user.actor.is_staff
    context: dict[str, Any] = {
        "user": user,
        "active": "tickets",
        "staff": staff,
        "v": values or {"channel": "phone", "priority": "normal"},
        "errors": errors or {},
        "nc": non_client or {"purpose": "comercial", "nc_channel": "phone"},
        "nc_errors": non_client_errors or {},
        "open_non_client": bool(non_client_errors),
    }
    if staff:
        context["queues"] = web_repository.queue_choices(session)
        context["types"] = [
            (t.name, t.label or t.name)
            for t in ticket_service.list_ticket_types(session, actor=user.actor)
            if t.active
        ]
        context["channels"] = [(c, _(CHANNEL_LABELS[c])) for c in STAFF_CHANNELS]
        context["priorities"] = PRIORITIES
        context["purposes"] = PURPOSES
    failed = bool(errors or non_client_errors)
    return render(request, "tickets/new.html", context, status_code=422 if failed else 200)


@router.get("/tickets/new")
def new_ticket_page(request: Request, session: DbSession, user: CurrentWebUser) -> Response:
    return _page(request, session, user)


@router.post("/tickets/new")
async def open_ticket(
    request: Request, session: DbSession, user: CsrfWebUser, now: Now
) -> Response:
    """A ticket from the form: the staff's full form, or a customer's subject and text."""
    form = await request.form()
    values = _form_values(form, FIELDS)
    ticket_id, errors = _create(session, user, TicketIn, _ticket_data(user, values), now)
    if ticket_id is not None:
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
    return _page(request, session, user, values=values, errors=errors)


@router.post("/tickets/new/non-client")
async def open_non_client(
    request: Request, session: DbSession, user: CsrfWebUser, now: Now
) -> Response:
    """Seed 002 item 30: a non-client's request as fields, routed by the playbook (staff)."""
    if not user.actor.is_staff:
        return _page(request, session, user)
    form = await request.form()
    values = _form_values(form, NON_CLIENT_FIELDS)
    data = {k: values[k].strip() for k in ("name", "phone", "email", "segment", "request")}
    data["purpose"] = values["purpose"] or "comercial"
    data["channel"] = values["nc_channel"] or "phone"
    ticket_id, errors = _create(session, user, NonClientIn, data, now)
    if ticket_id is not None:
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
    return _page(request, session, user, non_client=values, non_client_errors=errors)
