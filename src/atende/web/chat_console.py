"""The agent's side of live chat in the console (docs/chat.md): the chats waiting for an
agent and those going on (``/chats``, live), and on a chat ticket's page: take it, end it
(the transcript to the visitor on request), the agent's typing and read marks. Transfers use
the ticket page's transfer form (a reason is required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.chat import repository as chat_repository
from atende.db.base import MAX_ID
from atende.domain.errors import DomainError, NotFound
from atende.tickets import repository as ticket_repository
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute, error_page
from atende.web.templating import render
from atende.workflows import chat as chat_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)
STATES = ("bot", "waiting", "active")


def _ticket_id(value: str) -> int:
    if (
        not value.isascii()
        or not value.isdigit()
        or len(value) > 19
        or not 0 < int(value) <= MAX_ID
    ):
        raise NotFound("ticket not found")
    return int(value)


def _chats(session: Session, user: WebUser) -> dict[str, object]:
    found = chat_repository.chats_in(
        session, STATES, ticket_repository.readable_tickets(user.actor)
    )
    out: dict[str, object] = {}
    for state in STATES:
        out[state] = [{"chat": c, "ticket": t} for c, t in found if c.state == state]
    return out


@router.get("/chats")
def chats_page(request: Request, session: DbSession, user: CurrentWebUser) -> Response:
    """The chats waiting for an agent (oldest first), those going on, those with the bot."""
    if not user.actor.is_staff:
        raise NotFound("not found")
    return render(
        request, "chat/chats.html", {"user": user, "active": "chats", **_chats(session, user)}
    )


@router.get("/chats/live")
def chats_live(request: Request, session: DbSession, user: CurrentWebUser) -> Response:
    if not user.actor.is_staff:
        raise NotFound("not found")
    return render(request, "chat/_chats.html", {"user": user, **_chats(session, user)})


@router.post("/tickets/{ticket_id}/chat/take")
def take(
    request: Request, session: DbSession, user: CsrfWebUser, now: Now, ticket_id: str
) -> Response:
    number = _ticket_id(ticket_id)
    try:
        with session.begin_nested():
            chat_workflows.take(session, actor=user.actor, ticket_id=number, now=now)
    except NotFound:
        return error_page(request, 404, _("Not found"), _("Not found, or you have no access."))
    except DomainError as exc:
        return error_page(request, exc.status, _("Not possible"), exc.message)
    return RedirectResponse(f"/tickets/{number}", status_code=303)


@router.post("/tickets/{ticket_id}/chat/end")
def end(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    send_transcript: Annotated[str, Form()] = "",
) -> Response:
    number = _ticket_id(ticket_id)
    try:
        with session.begin_nested():
            chat_workflows.end_by_agent(
                session,
                actor=user.actor,
                ticket_id=number,
                now=now,
                send_transcript=send_transcript == "yes",
            )
    except NotFound:
        return error_page(request, 404, _("Not found"), _("Not found, or you have no access."))
    except DomainError as exc:
        return error_page(request, exc.status, _("Not possible"), exc.message)
    return RedirectResponse(f"/tickets/{number}", status_code=303)


@router.post("/tickets/{ticket_id}/chat/typing")
def typing(session: DbSession, user: CsrfWebUser, now: Now, ticket_id: str) -> Response:
    """The agent types in the reply box (the page's script; at most every few seconds)."""
    chat = chat_workflows.staff_chat(session, user.actor, _ticket_id(ticket_id))
    chat_workflows.typing(session, chat=chat, side="agent", name=user.actor.label, now=now)
    return Response(status_code=204)


@router.post("/tickets/{ticket_id}/chat/read")
def read(
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    message_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    """The agent has the chat on screen up to ``message_id`` (a read receipt for the visitor)."""
    chat = chat_workflows.staff_chat(session, user.actor, _ticket_id(ticket_id))
    chat_workflows.read(session, chat=chat, side="agent", message_id=message_id, now=now)
    return Response(status_code=204)
