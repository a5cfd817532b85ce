"""``/admin/chat``: live chat's widgets (the one tag to paste on a website, the sites allowed to
frame it, the team's hours, the bot that greets) and the list of bot flows (their pages:
``chat_flows.py``). Widgets go through ``chat.service`` (the API's ``/api/v1/chat/widgets``),
checked by its models, audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api.deps import DbSession, Now
from atende.calendars import service as calendar_service
from atende.chat import flows, service
from atende.chat.models import ChatWidget
from atende.chat.schemas import WidgetIn, WidgetPatch
from atende.web import repository as web_repository
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    admin_render,
    back,
    found,
)
from atende.web.admin.forms import Errors, PostedForm, form_text, optional_int, submit
from atende.web.deps import WebUser

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "chat"
BASE = "/admin/chat"
FIELDS = frozenset(
    {"name", "color", "text_color", "greeting", "calendar_id", "queue_id", "allowed_origins",
     "prechat", "bot_flow_key", "inactivity_minutes", "active"}
)  # fmt: skip


def embed_tag(request: Request, widget: ChatWidget) -> str:
    """The tag to paste before ``</body>`` (as the API's ``embed``)."""
    base = str(request.base_url).rstrip("/")
    return f'<script src="{base}/chat/widget.js" data-widget="{widget.key}" async></script>'


def flow_versions(session: Session, user: WebUser) -> list[dict[str, Any]]:
    """Each flow key with its published version and its drafts, newest first."""
    by_key: dict[str, dict[str, Any]] = {}
    for flow in flows.list_flows(session, actor=user.actor):
        entry = by_key.setdefault(flow.key, {"key": flow.key, "published": None, "others": []})
        if flow.status == "published":
            entry["published"] = flow
        else:
            entry["others"].insert(0, flow)
    return list(by_key.values())


@router.get(BASE)
def chat_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    widgets = [(w, embed_tag(request, w)) for w in service.list_widgets(session, actor=user.actor)]
    context = {
        "user": user,
        "widgets": widgets,
        "flows": flow_versions(session, user),
        "queues": dict(web_repository.queue_choices(session)),
    }
    return admin_render(request, "admin/chat/home.html", context, section=SECTION)


def _values(widget: ChatWidget | None) -> dict[str, Any]:
    if widget is None:
        return {"name": "", "color": "#1f6feb", "text_color": "#ffffff", "greeting": "",
                "calendar_id": "", "queue_id": "", "allowed_origins": "", "prechat": "either",
                "bot_flow_key": "", "inactivity_minutes": "30", "active": True}  # fmt: skip
    return {
        "name": widget.name,
        "color": widget.color,
        "text_color": widget.text_color,
        "greeting": widget.greeting,
        "calendar_id": str(widget.calendar_id or ""),
        "queue_id": str(widget.queue_id or ""),
        "allowed_origins": "\n".join(widget.allowed_origins or []),
        "prechat": widget.prechat,
        "bot_flow_key": widget.bot_flow_key or "",
        "inactivity_minutes": str(widget.inactivity_minutes),
        "active": widget.active,
    }


def _form_page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    widget: ChatWidget | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    published = [f["key"] for f in flow_versions(session, user) if f["published"] is not None]
    context = {
        "user": user,
        "widget": widget,
        "embed": embed_tag(request, widget) if widget is not None else "",
        "values": values,
        "errors": errors or {},
        "queues": web_repository.queue_choices(session),
        "calendars": [
            (c.id, c.name) for c in calendar_service.list_calendars(session, actor=user.actor)
        ],
        "flow_keys": published,
    }
    return admin_render(
        request, "admin/chat/widget.html", context, section=SECTION, status_code=status_code
    )


def _widget(session: Session, user: WebUser, widget_id: int) -> ChatWidget:
    return found(lambda: service.get_widget(session, actor=user.actor, widget_id=widget_id))


@router.get(f"{BASE}/widgets/new")
def new_widget_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    return _form_page(request, session, user, widget=None, values=_values(None))


@router.get(BASE + "/widgets/{widget_id}")
def widget_page(request: Request, session: DbSession, user: AdminUser, widget_id: int) -> Response:
    widget = _widget(session, user, widget_id)
    return _form_page(request, session, user, widget=widget, values=_values(widget))


def _typed(data: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    shown: dict[str, Any] = {key: form_text(data, key, 600) for key in FIELDS}
    shown["allowed_origins"] = form_text(data, "allowed_origins", 12_000)
    shown["active"] = shown["active"] == "true"
    origins = [line.strip().rstrip("/") for line in shown["allowed_origins"].splitlines()]
    body = {
        **shown,
        "calendar_id": optional_int(shown["calendar_id"]),
        "queue_id": optional_int(shown["queue_id"]),
        "allowed_origins": [o for o in origins if o],
        "bot_flow_key": shown["bot_flow_key"] or None,
        "inactivity_minutes": optional_int(shown["inactivity_minutes"]) or 0,
    }
    return shown, body


@router.post(f"{BASE}/widgets/new")
def create_widget(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, data: PostedForm
) -> Response:
    return _save(request, session, user, now, data, widget=None)


@router.post(BASE + "/widgets/{widget_id}")
def update_widget(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    data: PostedForm,
    widget_id: int,
) -> Response:
    widget = _widget(session, user, widget_id)
    return _save(request, session, user, now, data, widget=widget)


def _save(
    request: Request,
    session: Session,
    user: WebUser,
    now: Any,
    data: FormData,
    *,
    widget: ChatWidget | None,
) -> Response:
    shown, body = _typed(data)
    if widget is None:
        done, errors = submit(
            session,
            WidgetIn,
            body,
            lambda values: service.create_widget(session, actor=user.actor, data=values, now=now),
            fields=FIELDS,
        )
    else:
        done, errors = submit(
            session,
            WidgetPatch,
            body,
            lambda changes: service.update_widget(
                session, actor=user.actor, widget_id=widget.id, changes=changes, now=now
            ),
            partial=True,
            fields=FIELDS,
        )
    if done is not None:
        return back(f"{BASE}/widgets/{done.id}?saved=1")
    if widget is not None:
        session.refresh(widget)
    return _form_page(
        request, session, user, widget=widget, values=shown, errors=errors, status_code=422
    )
