"""``/admin/reply-check``: the reply check's lists (docs/reply-check.md) edited as lines, each
saved whole through ``replycheck_service.replace_list`` (the API's ``PUT``: validated the same
way, recorded with who, when, before and after), the history of each list's changes, and a box
to try a text against the lists in force."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError
from atende.domain.replycheck import MAX_ITEMS
from atende.replycheck import service as replycheck_service
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    admin_render,
    found,
    saved,
)
from atende.web.deps import WebUser
from atende.web.i18n import N_, _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "reply-check"
BASE = "/admin/reply-check"
SEPARATOR = " | "  # a promise's phrase and its suggestion, on one line
MAX_TEXT = 200_000  # characters: a reply's limit
LIST_LABELS = {
    "promises": N_("Promises of deadlines"),
    "deadlines": N_("Deadlines"),
    "departments": N_("Departments"),
    "closing_questions": N_("Closing questions"),
    "auxiliaries": N_("Auxiliaries of the gerund construction"),
}
FINDING_TITLES = {
    "gerund": N_("Gerund construction (gerundismo)"),
    "promise": N_("A firm promise"),
    "closing_question": N_("No closing question"),
}
_ITEM = re.compile(r"items\[(\d+)\]")
History = list[dict[str, Any]]


def _lines(view: dict[str, Any]) -> str:
    with_suggestion = view["name"] == "promises"
    return "\n".join(
        f"{i['phrase']}{SEPARATOR}{i['suggestion']}" if with_suggestion else i["phrase"]
        for i in view["items"]
    )


def _items(name: str, text: str) -> tuple[list[dict[str, str]], list[int]]:
    """(the items of the lines, the line number of each item); blank lines are skipped."""
    items: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        phrase, _sep, suggestion = line.partition("|") if name == "promises" else (line, "", "")
        items.append({"phrase": phrase.strip(), "suggestion": suggestion.strip()})
        numbers.append(number)
    return items, numbers


@router.get(BASE)
def reply_check_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    return _overview(request, session, user)


def _overview(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    text: str = "",
    findings: list[dict[str, Any]] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    views = replycheck_service.list_views(session, actor=user.actor)
    context = {
        "user": user,
        "lists": [(v, _(LIST_LABELS[v["name"]])) for v in views],
        "text": text,
        "findings": findings,
        "error": error,
    }
    return admin_render(
        request, "admin/replycheck/home.html", context, section=SECTION, status_code=status_code
    )


@router.post(f"{BASE}/try")
def try_text(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    """The warnings the lists in force give a text (nothing is written)."""
    if not text.strip():
        error = _("Write a text to try.")
        return _overview(request, session, user, text=text, error=error, status_code=422)
    warned = replycheck_service.check_draft(session, actor=user.actor, body=text)
    findings = [{**f.as_dict(), "title": _(FINDING_TITLES.get(f.kind, f.kind))} for f in warned]
    return _overview(request, session, user, text=text, findings=findings)


def _history(session: Session, user: WebUser, name: str) -> History:
    """The list's recorded changes, newest first (the 50 latest), as phrases added / removed."""
    rows = replycheck_service.list_changes(
        session, actor=user.actor, name=name, before_id=None, limit=50
    )
    history: History = []
    for row in rows:
        before = [i["phrase"] for i in row.before]
        after = [i["phrase"] for i in row.after]
        history.append(
            {
                "at": row.created_at,
                "who": row.actor_label,
                "added": [p for p in after if p not in before],
                "removed": [p for p in before if p not in after],
                "count": len(after),
            }
        )
    return history


def _list_page(
    request: Request,
    session: Session,
    user: WebUser,
    view: dict[str, Any],
    *,
    text: str,
    error: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "view": view,
        "label": _(LIST_LABELS[view["name"]]),
        "text": text,
        "error": error,
        "history": _history(session, user, view["name"]),
        "separator": SEPARATOR,
        "max_items": MAX_ITEMS,
    }
    return admin_render(
        request, "admin/replycheck/list.html", context, section=SECTION, status_code=status_code
    )


def _view(session: Session, user: WebUser, name: str) -> dict[str, Any]:
    return found(
        lambda: (
            replycheck_service.list_view(session, actor=user.actor, name=name)
            if name in LIST_LABELS
            else None
        )
    )


@router.get(BASE + "/{name}")
def list_page(request: Request, session: DbSession, user: AdminUser, name: str) -> Response:
    view = _view(session, user, name)
    return _list_page(request, session, user, view, text=_lines(view))


@router.post(BASE + "/{name}")
def save_list(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    name: str,
    lines: Annotated[str, Form(max_length=MAX_ITEMS * 500)] = "",
) -> Response:
    """Replace the list by the lines (a promise: ``phrase | suggestion``)."""
    view = _view(session, user, name)
    items, numbers = _items(name, lines)
    try:
        with session.begin_nested():
            replycheck_service.replace_list(
                session, actor=user.actor, name=name, items=items, now=now
            )
    except DomainError as exc:
        item = _ITEM.search(exc.field or "")
        error = exc.text(_)
        if item and int(item.group(1)) < len(numbers):
            line = numbers[int(item.group(1))]
            error = _("Line %(number)s: %(error)s") % {"number": line, "error": error}
        return _list_page(request, session, user, view, text=lines, error=error, status_code=422)
    return saved(f"{BASE}/{name}")
