"""``/admin/users``: staff users and their roles, queues and capacity, created, changed,
deactivated and reactivated through the same service as ``/api/v1/users`` (so each change is
checked alike and lands on the configuration audit trail). A password is typed, never shown:
not in a list, not back in a refused form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.agents import repository as user_repository
from atende.agents import service as user_service
from atende.agents.models import User
from atende.agents.schemas import UserIn, UserPatch
from atende.api.deps import DbSession, Now
from atende.queues import repository as queue_repository
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

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

PAGE = 100
STAFF_ROLES = ("agent", "supervisor", "admin")
TIMEZONES = (
    "America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "America/Recife",
    "America/Bahia", "America/Belem", "America/Cuiaba", "America/Campo_Grande",
    "America/Porto_Velho", "America/Boa_Vista", "America/Rio_Branco", "America/Noronha",
    "UTC", "Europe/Lisbon",
)  # fmt: skip
"""Offered in the time zone field (any IANA name may be typed)."""
FIELDS = {
    "name", "email", "role", "timezone", "locale", "queue_ids", "max_open_tickets",
    "max_chats", "password", "active",
}  # fmt: skip
Text = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]
Ids = Annotated[list[str], Form(max_length=1000)]


@router.get("/admin/users")
def users_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    role: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")] = "",
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    saved_id: Annotated[str, Query(alias="saved", max_length=20)] = "",
) -> Response:
    """Every user (staff and portal users), by id, with role, queues, capacity and state; a
    supervisor reads the people of their own queues."""
    chosen = role if role in (*STAFF_ROLES, "contact") else None
    if user.actor.is_admin:
        rows = list(
            user_repository.user_page(
                session, after_id=after, limit=PAGE + 1, role=chosen, q=q.strip() or None
            )
        )
    else:
        rows = _team(session, user, role=chosen, q=q.strip())
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    queues = user_repository.queue_ids_by_user(session, [u.id for u in rows])
    names = _queue_names(session)
    context = {
        "user": user,
        "rows": [
            {"user": u, "queues": [names[qid] for qid in queues[u.id] if qid in names]}
            for u in rows
        ],
        "role": chosen or "",
        "q": q,
        "next_after": rows[-1].id if more and rows else None,
        "notice": _("The user was saved.") if saved_id else None,
    }
    return admin_render(request, "admin/users/list.html", context, section="users")


def _team(session: Session, user: WebUser, *, role: str | None, q: str) -> list[User]:
    """The people of the supervisor's queues (a team: no paging), by id, filtered alike."""
    own = user_repository.queue_ids_by_user(session, [user.actor.user_id or 0])
    queue_ids = own.get(user.actor.user_id or 0, [])
    member_ids = {
        m for ids in queue_repository.members_by_queue(session, queue_ids).values() for m in ids
    }
    folded = q.casefold()
    people = queue_repository.users(session, sorted(member_ids)).values()
    return sorted(
        (
            u
            for u in people
            if (role is None or u.role == role)
            and (not folded or folded in u.name.casefold() or folded in (u.email or "").casefold())
        ),
        key=lambda u: u.id,
    )


@router.get("/admin/users/new")
def new_user_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    values = {"role": "agent", "timezone": "America/Sao_Paulo", "locale": "pt_BR"}
    return _form(request, session, user, None, values, {})


def _typed(
    name: Text = "",
    email: Text = "",
    role: Text = "agent",
    timezone: Text = "",
    locale: Text = "pt_BR",
    queue_ids: Ids = [],  # noqa: B006 - FastAPI copies defaults
    max_open_tickets: Text = "",
    max_chats: Text = "",
    password: Text = "",
) -> dict[str, Any]:
    """What the user form sent, in the API's field names (empty numbers: none)."""
    return {
        "name": name, "email": email, "role": role, "timezone": timezone.strip(),
        "locale": locale, "queue_ids": queue_ids,
        "max_open_tickets": forms.optional_text(max_open_tickets),
        "max_chats": forms.optional_text(max_chats), "password": password,
    }  # fmt: skip


Typed = Annotated[dict[str, Any], Depends(_typed)]


@router.post("/admin/users/new")
def create_user(
    request: Request, session: DbSession, user: CsrfAdminUser, typed: Typed
) -> Response:
    password = typed.pop("password")
    made, errors = forms.submit(
        session,
        UserIn,
        {**typed, "password": password or None},
        lambda data: user_service.create_user(session, actor=user.actor, data=data),
    )
    if made is not None:
        return saved("/admin/users", made.id)
    return _form(request, session, user, None, typed, errors, status_code=422)


@router.get("/admin/users/{user_id}")
def edit_user_page(request: Request, session: DbSession, user: AdminUser, user_id: int) -> Response:
    target = _target(session, user_id)
    return _form(request, session, user, target, _values_of(session, target), {})


@router.post("/admin/users/{user_id}")
def update_user(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, user_id: int, typed: Typed
) -> Response:
    """Save the edit form: every field it shows (the audit trail records only what changed);
    an empty password keeps the current one."""
    target = _target(session, user_id)
    password = typed.pop("password")
    if target.role == "contact":  # a portal user's role is not the form's to change
        typed.pop("role")
    done, errors = forms.submit(
        session,
        UserPatch,
        {**typed, **({"password": password} if password else {})},
        lambda changes: _change(session, user, target, changes, now),
        partial=True,
    )
    if done is not None:
        return saved("/admin/users", target.id)
    session.refresh(target)
    return _form(request, session, user, target, typed, errors, status_code=422)


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    user_id: int,
    active: Text = "",
) -> Response:
    """Deactivate (the user can no longer log in or be assigned) or reactivate."""
    target = _target(session, user_id)
    changes = {"active": active == "true"}
    done, errors = forms.attempt(session, lambda: _change(session, user, target, changes, now))
    if done is None:
        session.refresh(target)
        return _form(
            request, session, user, target, _values_of(session, target),
            {"active": next(iter(errors.values()))}, status_code=409,
        )  # fmt: skip
    return saved("/admin/users", target.id)


def _change(
    session: Session, user: WebUser, target: User, changes: dict[str, Any], now: datetime
) -> User:
    return user_service.update_user(
        session, actor=user.actor, user_id=target.id, changes=changes, now=now
    )


def _values_of(session: Session, target: User) -> dict[str, Any]:
    return {
        "name": target.name, "email": target.email, "role": target.role,
        "timezone": target.timezone, "locale": target.locale,
        "queue_ids": user_repository.queue_ids_by_user(session, [target.id])[target.id],
        "max_open_tickets": target.max_open_tickets, "max_chats": target.max_chats,
    }  # fmt: skip


def _target(session: Session, user_id: int) -> User:
    return found(
        lambda: session.get(User, user_id) if valid_id(user_id) else None,
        N_("This user does not exist."),
    )


def _queue_names(session: Session) -> dict[int, str]:
    return {q.id: q.name for q in queue_repository.queues(session)}


def _form(
    request: Request,
    session: Session,
    user: WebUser,
    target: User | None,
    values: dict[str, Any],
    errors: forms.Errors,
    *,
    status_code: int = 200,
) -> Response:
    errors = forms.at(errors, "queue_ids")
    chosen = {str(q) for q in values.get("queue_ids") or []}
    context = {
        "user": user,
        "target": target,
        "values": values,
        "errors": errors,
        "general": forms.unplaced(errors, FIELDS),
        "queues": [(q.id, q.name, str(q.id) in chosen) for q in queue_repository.queues(session)],
        "roles": STAFF_ROLES,
        "timezones": TIMEZONES,
    }
    return admin_render(
        request, "admin/users/form.html", context, section="users", status_code=status_code
    )
