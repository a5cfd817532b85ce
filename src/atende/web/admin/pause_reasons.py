"""``/admin/pause-reasons``: the reasons an agent picks when pausing ("Almoço", "Reunião"...),
added, renamed and retired (or brought back) on one page through the same service as
``/api/v1/pause-reasons``. A retired reason is no longer offered; agents paused with it stay
paused and the presence log keeps the name they paused with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.routing import presence, presence_repository
from atende.routing.presence_schemas import PauseReasonIn, PauseReasonPatch
from atende.web.admin import forms
from atende.web.admin.common import (
    AdminRoute,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    found,
    saved,
    valid_id,
)
from atende.web.deps import WebUser
from atende.web.i18n import N_, _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

URL = "/admin/pause-reasons"
Text = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]


@router.get(URL)
def reasons_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    saved_id: Annotated[str, Query(alias="saved", max_length=20)] = "",
) -> Response:
    notice = _("The pause reason was saved.") if saved_id else None
    return _page(request, session, user, notice=notice)


@router.post(URL)
def add_reason(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, name: Text = ""
) -> Response:
    made, errors = forms.submit(
        session,
        PauseReasonIn,
        {"name": name},
        lambda data: presence.create_reason(session, actor=user.actor, name=data["name"], now=now),
    )
    if made is not None:
        return saved(URL, made.id)
    return _page(request, session, user, new=name, errors=errors, status_code=422)


@router.post(URL + "/{reason_id}")
def rename_reason(
    request: Request, session: DbSession, user: CsrfAdminUser, reason_id: int, name: Text = ""
) -> Response:
    return _change(request, session, user, reason_id, {"name": name})


@router.post(URL + "/{reason_id}/active")
def retire_reason(
    request: Request, session: DbSession, user: CsrfAdminUser, reason_id: int, active: Text = ""
) -> Response:
    """Retire a reason (``active=false``) or bring it back (``true``)."""
    return _change(request, session, user, reason_id, {"active": active == "true"})


def _change(
    request: Request, session: Session, user: WebUser, reason_id: int, data: dict[str, Any]
) -> Response:
    target = found(
        lambda: presence_repository.reason(session, reason_id) if valid_id(reason_id) else None,
        N_("This pause reason does not exist."),
    )
    done, errors = forms.submit(
        session,
        PauseReasonPatch,
        data,
        lambda changes: presence.update_reason(
            session, actor=user.actor, reason_id=target.id, changes=changes
        ),
        partial=True,
    )
    if done is not None:
        return saved(URL, done.id)
    row = {target.id: (data.get("name"), next(iter(errors.values())))}
    return _page(request, session, user, rows=row, status_code=422)


def _page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    new: str = "",
    errors: forms.Errors | None = None,
    rows: dict[int, tuple[str | None, str]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    """The list with its forms; ``rows``: a refused row's typed name and error, by id."""
    errors = errors or {}
    refusals = rows or {}
    context = {
        "user": user,
        "reasons": [
            {
                "reason": r,
                "typed": refusals.get(r.id, (None, ""))[0],
                "error": refusals.get(r.id, (None, ""))[1],
            }
            for r in presence.list_reasons(session, actor=user.actor, include_inactive=True)
        ],
        "new": new,
        "errors": errors,
        "general": forms.unplaced(errors, {"name"}),
        "notice": notice,
    }
    return admin_render(
        request,
        "admin/pause_reasons/page.html",
        context,
        section="pause_reasons",
        status_code=status_code,
    )
