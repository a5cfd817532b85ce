"""The visitor's side of live chat (docs/chat.md): the loader script, the page of the iframe
it opens, and the JSON and Server-Sent Events routes that page uses.

The loader (``/chat/widget.js``, static, a few KB) adds a launcher button to the host page and
opens ``/chat/w/<key>`` in an iframe: the chat's page is Atende's own (its CSS, its scripts,
its cookies first-party), in Portuguese by default. The page trades the random token it keeps
in ``localStorage`` for a signed session (``POST /chat/w/<key>/session``) and sends it in the
``X-Chat-Session`` header (the stream, which cannot send headers, takes it as ``s``). Nothing
here reads a cookie to authorise a change, so a cross-site form cannot act for a visitor.

Server → visitor: ``GET /chat/w/<key>/stream`` (``web/chat_live.py``, with the files), the
live stream's hub following the chat's ticket only, as a contact sees it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from atende.api.deps import AppSettings, DbSession, Now
from atende.api.limits import CONTENT_SECURITY_POLICY
from atende.auth.actor import SYSTEM
from atende.chat import repository as chat_repository
from atende.chat import service
from atende.chat.models import Chat, ChatWidget
from atende.chat.schemas import (
    LeaveIn,
    ReadIn,
    SessionIn,
    StartIn,
    VisitorEndIn,
    VisitorMessageIn,
)
from atende.db.base import MAX_ID
from atende.domain.errors import ValidationFailed
from atende.settings import Settings
from atende.stream import repository as stream_repository
from atende.tickets.models import Message
from atende.tickets.schemas import RequesterIn, TicketIn
from atende.web.deps import client_address
from atende.web.templating import HERE, render
from atende.workflows import chat as chat_workflows
from atende.workflows import tickets as ticket_workflows

router = APIRouter(prefix="/chat", include_in_schema=False)
"""Public routes, authorised by the visitor's signed session (docs/chat.md lists them); outside
the API's schema, whose routes all take a bearer token first."""
SESSION_HEADER = "X-Chat-Session"
LOADER = HERE / "static" / "chat" / "widget.js"


def chat_limits(settings: Settings) -> service.Limits:
    return service.Limits(
        new_visitors_per_address=settings.chat_new_visitors_per_address,
        starts_per_visitor=settings.chat_starts_per_visitor,
        window_seconds=settings.chat_limit_window_seconds,
    )


def widget_of(session: Session, key: str) -> ChatWidget:
    return service.public_widget(session, key)


def visitor_of(session: Session, widget: ChatWidget, request: Request, secret_key: str) -> Any:
    signed = request.headers.get(SESSION_HEADER) or request.query_params.get("s") or ""
    return service.visitor_of_session(session, widget=widget, signed=signed, secret_key=secret_key)


def _message(
    m: Message, client_ids: dict[int, str], files: dict[int, list[int]] | None = None
) -> dict[str, Any]:
    return {
        "id": m.id,
        "from": {"contact": "visitor", "agent": "agent"}.get(m.author_kind, "bot"),
        "body": m.body_text or "",
        "at": m.created_at.isoformat(),
        "client_id": client_ids.get(m.id),
        "attachment_ids": (files or {}).get(m.id, []),
    }


def _chat_state(session: Session, chat: Chat | None) -> dict[str, Any] | None:
    if chat is None:
        return None
    return {
        "id": chat.id,
        "state": chat.state,
        "ended_by": chat.ended_by or None,
        "agent_read_message_id": chat.agent_read_message_id,
    }


def _frame_ancestors(widget: ChatWidget) -> str:
    """The pages' CSP, but framed by the widget's allowed origins (any when none is listed);
    browsers ignore ``X-Frame-Options`` when ``frame-ancestors`` is given."""
    origins = " ".join(widget.allowed_origins or []) or "*"
    return CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors 'self' {origins}"
    )


# --- the loader and the page ---------------------------------------------------------------


@router.get("/widget.js", include_in_schema=False)
def loader() -> FileResponse:
    """The script a website includes: ``<script src=".../chat/widget.js" data-widget="key">``."""
    return FileResponse(
        LOADER,
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/w/{key}", include_in_schema=False)
def page(request: Request, key: str, session: DbSession, now: Now) -> Response:
    """The chat's page, shown in the iframe (framed only by the widget's allowed origins)."""
    widget = widget_of(session, key[:40])
    is_open, back_at = service.hours(session, widget, now)
    response = render(
        request,
        "chat/visitor.html",
        {
            "widget": widget,
            "is_open": is_open,
            "back_at": back_at,
        },
    )
    response.headers["Content-Security-Policy"] = _frame_ancestors(widget)
    return response


# --- the visitor's JSON routes -------------------------------------------------------------


@router.post("/w/{key}/session")
def open_session(
    request: Request,
    key: str,
    body: SessionIn,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> dict[str, Any]:
    """Trade the browser's random token for a signed session; the visitor's last chat (a
    returning visitor sees it) and whether the team is in."""
    widget = widget_of(session, key[:40])
    visitor, signed = service.open_session(
        session, widget=widget, token=body.token, secret_key=settings.resolved_secret_key,
        now=now, address=client_address(request), limits=chat_limits(settings),
    )  # fmt: skip
    is_open, back_at = service.hours(session, widget, now)
    chat = service.current_chat(session, visitor)
    return {
        "session": signed,
        "chat": _chat_state(session, chat),
        "open": is_open,
        "back_at": back_at.isoformat() if back_at else None,
        "prechat": widget.prechat,
    }


@router.post("/w/{key}/chat", status_code=201)
def start_chat(
    request: Request,
    key: str,
    body: StartIn,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> dict[str, Any]:
    """Start a chat (the pre-chat form); a chat still going on is returned as it is."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    chat = chat_workflows.start(
        session,
        widget=widget,
        visitor=visitor,
        name=body.name,
        email=str(body.email) if body.email else None,
        phone=body.phone,
        subject=body.subject,
        now=now,
        limits=chat_limits(settings),
    )
    return {"chat": _chat_state(session, chat)}


@router.get("/w/{key}/messages")
def list_messages(
    request: Request,
    key: str,
    session: DbSession,
    settings: AppSettings,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """The public messages of the visitor's chat after ``after``, and ``position``: the stream
    position to follow from (``GET .../stream?after=``) so that nothing falls in between."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    position = stream_repository.last_position(session)
    chat = service.current_chat(session, visitor)
    if chat is None:
        return {"chat": None, "messages": [], "position": position}
    found = chat_repository.public_messages(session, chat.ticket_id, after=after)
    ids = chat_repository.client_ids(session, chat.id, [m.id for m in found])
    files = chat_repository.attachment_ids(session, [m.id for m in found])
    return {
        "chat": _chat_state(session, chat),
        "messages": [_message(m, ids, files) for m in found],
        "position": position,
    }


@router.post("/w/{key}/messages")
def send_message(
    request: Request,
    key: str,
    body: VisitorMessageIn,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """The visitor's message; ``client_id`` (made by the browser) makes a retry harmless:
    the same id answers the message already sent (200) instead of a new one (201)."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    message, created = chat_workflows.visitor_says(
        session,
        widget=widget,
        visitor=visitor,
        body=body.body,
        client_id=body.client_id,
        attachment_ids=body.attachment_ids,
        now=now,
    )
    return JSONResponse(
        _message(message, {message.id: body.client_id}), status_code=201 if created else 200
    )


@router.post("/w/{key}/typing", status_code=204)
def typing(
    request: Request, key: str, session: DbSession, settings: AppSettings, now: Now
) -> Response:
    """The visitor is typing (sent at most every few seconds; more often is ignored)."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    chat = service.visitor_chat(session, visitor)
    chat_workflows.typing(session, chat=chat, side="visitor", name="", now=now)
    return Response(status_code=204)


@router.post("/w/{key}/read", status_code=204)
def read(
    request: Request, key: str, body: ReadIn, session: DbSession, settings: AppSettings, now: Now
) -> Response:
    """The visitor read the chat up to ``message_id`` (a read receipt for the agent)."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    chat = service.visitor_chat(session, visitor, for_update=True)
    chat_workflows.read(session, chat=chat, side="visitor", message_id=body.message_id, now=now)
    return Response(status_code=204)


@router.post("/w/{key}/end")
def end(
    request: Request,
    key: str,
    body: VisitorEndIn,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> dict[str, Any]:
    """The visitor ends the chat (the transcript to their e-mail on request)."""
    widget = widget_of(session, key[:40])
    visitor = visitor_of(session, widget, request, settings.resolved_secret_key)
    chat = service.visitor_chat(session, visitor, for_update=True)
    actor = service.visitor_actor(session, visitor)
    chat_workflows.end(
        session, actor=actor, chat=chat, by="visitor", now=now, send_transcript=body.send_transcript
    )
    return {"chat": _chat_state(session, chat)}


@router.post("/w/{key}/leave-message", status_code=201)
def leave_message(
    request: Request,
    key: str,
    body: LeaveIn,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> dict[str, Any]:
    """Out of hours: the message becomes a ticket, answered when the team is back."""
    widget = widget_of(session, key[:40])
    visitor_of(session, widget, request, settings.resolved_secret_key)
    if not body.email and not body.phone:
        raise ValidationFailed("give an e-mail or a phone", field="email")
    data = TicketIn(
        subject=(body.subject or f"Recado pelo chat: {body.name}")[:200],
        body=body.body,
        channel="chat",
        queue_id=widget.queue_id,
        tags=["chat", "recado"],
        requester=RequesterIn(name=body.name, email=body.email, phone=body.phone),
        chat_ended_at=now,
    )
    settled = ticket_workflows.create_ticket(session, actor=SYSTEM, data=data, now=now)
    return {"ticket_number": settled.ticket.number}
