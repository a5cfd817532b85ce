"""``/admin/queues``: queues with their members, assignment mode, capacity defaults, business
calendar and the triage mark, created and changed through the same service and workflow as
``/api/v1/queues`` (a queue turned automatic hands out its waiting line at once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.calendars import repository as calendar_repository
from atende.queues import repository as queue_repository
from atende.queues import service as queue_service
from atende.queues.models import Queue
from atende.queues.schemas import QueueIn, QueuePatch
from atende.web import repository as web_repository
from atende.web.admin import forms
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    found,
    saved,
    valid_id,
)
from atende.web.deps import WebUser
from atende.web.i18n import N_, _
from atende.workflows import routing as routing_workflows

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

MODES = {
    "manual": N_("Manual: agents take the next ticket"),
    "round_robin": N_("Round robin: handed out in turn"),
    "least_loaded": N_("Least loaded: to whoever has the fewest open tickets"),
}
FIELDS = {
    "name", "description", "member_ids", "assignment_mode", "calendar_id",
    "default_max_open_tickets", "default_max_chats", "triage",
}  # fmt: skip
Text = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]
Ids = Annotated[list[str], Form(max_length=1000)]


@router.get("/admin/queues")
def queues_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    saved_id: Annotated[str, Query(alias="saved", max_length=20)] = "",
) -> Response:
    """Every queue with its members, mode, capacity defaults and calendar."""
    queues = list(queue_repository.queues(session))
    views = queue_service.view(session, queues)
    names = web_repository.user_names(session, [m for v in views for m in v["member_ids"]])
    calendars = {c.id: c.name for c in calendar_repository.calendars(session)}
    rows = [
        {
            **v,
            "members": sorted(names.get(m, "—") for m in v["member_ids"]),
            "mode": _(MODES.get(v["assignment_mode"], v["assignment_mode"])),
            "calendar": calendars.get(v["calendar_id"]) if v["calendar_id"] else None,
        }
        for v in views
    ]
    context = {
        "user": user,
        "rows": rows,
        "notice": _("The queue was saved.") if saved_id else None,
    }
    return admin_render(request, "admin/queues/list.html", context, section="queues")


@router.get("/admin/queues/new")
def new_queue_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    return _form(request, session, user, None, {"assignment_mode": "manual"}, {})


def _typed(
    name: Text = "",
    description: Text = "",
    member_ids: Ids = [],  # noqa: B006 - FastAPI copies defaults
    assignment_mode: Text = "manual",
    calendar_id: Text = "",
    default_max_open_tickets: Text = "",
    default_max_chats: Text = "",
    triage: Text = "",
) -> dict[str, Any]:
    """What the queue form sent, in the API's field names (empty choices and numbers: none)."""
    return {
        "name": name, "description": description, "member_ids": member_ids,
        "assignment_mode": assignment_mode, "calendar_id": forms.optional_text(calendar_id),
        "default_max_open_tickets": forms.optional_text(default_max_open_tickets),
        "default_max_chats": forms.optional_text(default_max_chats), "triage": triage == "true",
    }  # fmt: skip


Typed = Annotated[dict[str, Any], Depends(_typed)]


@router.post("/admin/queues/new")
def create_queue(
    request: Request, session: DbSession, user: CsrfAdminUser, typed: Typed
) -> Response:
    made, errors = forms.submit(
        session,
        QueueIn,
        typed,
        lambda data: queue_service.create_queue(session, actor=user.actor, data=data),
    )
    if made is not None:
        return saved("/admin/queues", made.id)
    return _form(request, session, user, None, typed, errors, status_code=422)


@router.get("/admin/queues/{queue_id}")
def edit_queue_page(
    request: Request, session: DbSession, user: AdminUser, queue_id: int
) -> Response:
    target = _target(session, queue_id)
    values = queue_service.view(session, [target])[0]
    return _form(request, session, user, target, values, {})


@router.post("/admin/queues/{queue_id}")
def update_queue(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, queue_id: int, typed: Typed
) -> Response:
    """Save every field the form shows (the audit trail records only what changed)."""
    target = _target(session, queue_id)
    done, errors = forms.submit(
        session,
        QueuePatch,
        typed,
        lambda changes: routing_workflows.update_queue(
            session, actor=user.actor, queue_id=target.id, changes=changes, now=now
        ),
        partial=True,
    )
    if done is not None:
        return saved("/admin/queues", target.id)
    session.refresh(target)
    return _form(request, session, user, target, typed, errors, status_code=422)


def _target(session: Session, queue_id: int) -> Queue:
    return found(
        lambda: queue_repository.queue(session, queue_id) if valid_id(queue_id) else None,
        N_("This queue does not exist."),
    )


def _form(
    request: Request,
    session: Session,
    user: WebUser,
    target: Queue | None,
    values: dict[str, Any],
    errors: forms.Errors,
    *,
    status_code: int = 200,
) -> Response:
    errors = forms.at(errors, "member_ids")
    chosen = {str(m) for m in values.get("member_ids") or []}
    staff = web_repository.staff_choices(session)
    known = {uid for uid, _name in staff}
    kept = [int(m) for m in chosen if m.isdigit() and int(m) not in known]
    others = sorted(web_repository.user_names(session, kept).items(), key=lambda kv: kv[1])
    context = {
        "user": user,
        "target": target,
        "values": values,
        "errors": errors,
        "general": forms.unplaced(errors, FIELDS),
        "members": [(uid, name, str(uid) in chosen) for uid, name in [*staff, *others]],
        "modes": [(key, _(label)) for key, label in MODES.items()],
        "calendars": [(c.id, c.name) for c in calendar_repository.calendars(session)],
        "calendar": str(values.get("calendar_id") or ""),
    }
    return admin_render(
        request, "admin/queues/form.html", context, section="queues", status_code=status_code
    )
