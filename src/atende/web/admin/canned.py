"""``/admin/canned-replies``: the canned replies agents insert with "/" in the composer (and
rules send): search, write with the variables the composer fills in, delete.

Through ``rules_service`` (the API's ``/api/v1/canned-replies``): the body is checked as a
template (an unknown variable is refused, naming it), names are unique, a reply a rule sends
cannot be deleted (the page names the rules), every change is audited. Every canned reply is
visible to the whole staff: the API has no per-person or per-queue visibility.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain import rules as rules_domain
from atende.domain.errors import DomainError
from atende.rules import service as rules_service
from atende.rules.models import CannedReply
from atende.web.admin import forms
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    back,
    found,
    saved,
)
from atende.web.deps import WebUser
from atende.web.i18n import N_, _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "canned"
BASE = "/admin/canned-replies"
# What each variable is, for the help beside the body (the composer fills them in).
VARIABLE_LABELS = {
    "ticket.number": N_("the ticket's number (1042)"),
    "ticket.subject": N_("the ticket's subject"),
    "ticket.status": N_("the ticket's status"),
    "ticket.priority": N_("the ticket's priority"),
    "ticket.type": N_("the ticket's type"),
    "ticket.channel": N_("the ticket's channel"),
    "ticket.queue": N_("the ticket's queue"),
    "contact.name": N_("the customer's name"),
    "contact.first_name": N_("the customer's first name"),
    "contact.email": N_("the customer's e-mail"),
    "organization.name": N_("the customer's organization"),
    "organization.plan": N_("the organization's plan"),
    "assignee.name": N_("the assignee's name"),
    "assignee.first_name": N_("the assignee's first name"),
}


def _variables() -> list[tuple[str, str]]:
    return [(name, _(VARIABLE_LABELS.get(name, name))) for name in rules_domain.TEMPLATE_VARIABLES]


def _matching(rows: list[CannedReply], q: str) -> list[CannedReply]:
    if not q:
        return rows
    folded = q.casefold()
    return [r for r in rows if folded in r.name.casefold() or folded in r.body.casefold()]


@router.get(BASE)
def canned_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return _list_page(request, session, user, q.strip())


def _list_page(
    request: Request,
    session: Session,
    user: WebUser,
    q: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    rows = _matching(rules_service.list_canned_replies(session, actor=user.actor), q)
    replies = [rules_service.canned_reply_view(r) for r in rows]
    context = {"user": user, "replies": replies, "q": q, "error": error}
    return admin_render(
        request, "admin/canned/list.html", context, section=SECTION, status_code=status_code
    )


def _form_page(
    request: Request,
    user: WebUser,
    values: dict[str, str],
    *,
    reply_id: int | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "values": values,
        "reply_id": reply_id,
        "errors": errors or {},
        "variables": _variables(),
        "max_body": rules_domain.MAX_TEMPLATE_LENGTH,
    }
    return admin_render(
        request, "admin/canned/form.html", context, section=SECTION, status_code=status_code
    )


def _reply(session: Session, user: WebUser, reply_id: int) -> CannedReply:
    return found(
        lambda: rules_service.get_canned_reply(session, actor=user.actor, reply_id=reply_id)
    )


@router.get(f"{BASE}/new")
def new_canned_page(request: Request, user: AdminUser) -> Response:
    return _form_page(request, user, {"name": "", "body": ""}, reply_id=None)


@router.get(BASE + "/{reply_id}")
def edit_canned_page(
    request: Request, session: DbSession, user: AdminUser, reply_id: int
) -> Response:
    row = _reply(session, user, reply_id)
    return _form_page(request, user, {"name": row.name, "body": row.body}, reply_id=row.id)


Name = Annotated[str, Form(max_length=500)]
Body = Annotated[str, Form(max_length=rules_domain.MAX_TEMPLATE_LENGTH * 2)]


@router.post(f"{BASE}/new")
def create_canned(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    name: Name = "",
    body: Body = "",
) -> Response:
    return _save(request, session, user, now, {"name": name, "body": body}, reply_id=None)


@router.post(BASE + "/{reply_id}")
def update_canned(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    reply_id: int,
    name: Name = "",
    body: Body = "",
) -> Response:
    row = _reply(session, user, reply_id)
    return _save(request, session, user, now, {"name": name, "body": body}, reply_id=row.id)


def _save(
    request: Request,
    session: Session,
    user: WebUser,
    now: Any,
    typed: dict[str, str],
    *,
    reply_id: int | None,
) -> Response:
    values = {"name": typed["name"].strip(), "body": typed["body"].strip()}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Write a name.")
    elif len(values["name"]) > 120:
        errors["name"] = _("The name has at most 120 characters.")
    if not values["body"]:
        errors["body"] = _("Write the reply.")
    if not errors:
        _done, refused = forms.attempt(
            session,
            lambda: (
                rules_service.create_canned_reply(session, actor=user.actor, data=values, now=now)
                if reply_id is None
                else rules_service.update_canned_reply(
                    session, actor=user.actor, reply_id=reply_id, changes=values, now=now
                )
            ),
        )
        errors = forms.placed(refused, ("name", "body"))
    if errors:
        return _form_page(request, user, typed, reply_id=reply_id, errors=errors, status_code=422)
    return saved(BASE)


@router.post(BASE + "/{reply_id}/delete")
def delete_canned(
    request: Request, session: DbSession, user: CsrfAdminUser, reply_id: int
) -> Response:
    row = _reply(session, user, reply_id)
    try:
        with session.begin_nested():
            rules_service.delete_canned_reply(session, actor=user.actor, reply_id=row.id)
    except DomainError as exc:  # a rule sends it
        return _list_page(request, session, user, error=exc.text(_), status_code=409)
    return back(BASE)
