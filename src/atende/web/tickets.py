"""HTML pages of the tickets area: the agent's list and one ticket with its timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.db.base import MAX_ID, utcnow
from atende.domain.errors import DomainError, NotFound
from atende.tickets import service as ticket_service
from atende.tickets.models import Message, Ticket, TicketEvent
from atende.web import repository as web_repository
from atende.web import timeline as web_timeline
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import _
from atende.web.pages import HtmlRoute, error_page, is_htmx
from atende.web.templating import render
from atende.workflows import tickets as ticket_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

# ------------------------------------------------------------------------------------------------
# One ticket
# ------------------------------------------------------------------------------------------------

MAX_BODY_CHARS = 200_000


def parse_ticket_id(value: str) -> int:
    """A ticket id from the path; anything that is not a positive 64-bit integer is NotFound."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise NotFound("ticket not found")
    ticket_id = int(value)
    if not 0 < ticket_id <= MAX_ID:
        raise NotFound("ticket not found")
    return ticket_id


def _event_view(event: TicketEvent, names: web_timeline.Names, user: WebUser) -> dict[str, Any]:
    sentence = web_timeline.tell(event, names, now=utcnow(), staff=user.actor.is_staff)
    return {
        "type": "event",
        "id": event.id,
        "kind": event.kind,
        "text": sentence.text,
        "note": sentence.note,
        "link": sentence.link,
        "at": event.created_at,
    }


def _conversation(session: Session, user: WebUser, ticket: Ticket) -> dict[str, Any]:
    """Everything the ticket panel shows: the ticket, its names and its timeline."""
    entries = ticket_service.timeline(session, actor=user.actor, ticket_id=ticket.id)
    messages = [e for e in entries if isinstance(e, Message)]
    events = [e for e in entries if isinstance(e, TicketEvent)]
    user_ids = [m.author_user_id for m in messages] + [ticket.assignee_id]
    for event in events:
        if event.kind == "assignee":
            user_ids += [v for v in (event.before, event.after) if isinstance(v, int)]
    queue_ids: list[int | None] = [ticket.queue_id]
    org_ids: list[int | None] = [ticket.organization_id]
    for event in events:
        values = [v for v in (event.before, event.after) if isinstance(v, int)]
        if event.kind == "queue":
            queue_ids += values
        elif event.kind == "organization":
            org_ids += values
    users = web_repository.user_names(session, user_ids)
    contacts = web_repository.contact_names(
        session, [m.author_contact_id for m in messages] + [ticket.requester_id]
    )
    queues = web_repository.queue_names(session, queue_ids)
    orgs = web_repository.organization_names(session, org_ids)
    names = web_timeline.Names(users=users, queues=queues, organizations=orgs)
    timeline: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, Message):
            if entry.author_kind == "contact":
                who = contacts.get(entry.author_contact_id or 0, _("Customer"))
            elif entry.author_kind == "system":
                who = _("Atende")
            else:
                who = users.get(entry.author_user_id or 0, _("Agent"))
            timeline.append(
                {
                    "type": "message",
                    "id": entry.id,
                    "who": who,
                    "author_kind": entry.author_kind,
                    "public": entry.public,
                    "at": entry.created_at,
                    # Sanitised by nh3 when it was written (atende.domain.text.prepare_body).
                    "body_html": entry.body_html,
                }
            )
        else:
            timeline.append(_event_view(entry, names, user))
    tags = ticket_service.tags_of(session, [ticket])[ticket.id]
    return {
        "user": user,
        "ticket": ticket,
        "tags": tags,
        "timeline": timeline,
        "requester": contacts.get(ticket.requester_id or 0),
        "queue": queues.get(ticket.queue_id or 0),
        "assignee": users.get(ticket.assignee_id or 0),
        "organization": orgs.get(ticket.organization_id or 0),
        "can_write": ticket.status != "closed",
        "can_note": user.actor.is_staff,
        "form": {"body": "", "visibility": "public", "error": None},
    }


@router.get("/tickets/{ticket_id}")
def ticket_page(
    request: Request, session: DbSession, user: CurrentWebUser, ticket_id: str
) -> Response:
    ticket = ticket_service.get_ticket(
        session, actor=user.actor, ticket_id=parse_ticket_id(ticket_id)
    )
    context = _conversation(session, user, ticket)
    context["active"] = "tickets"
    return render(request, "tickets/detail.html", context)


@router.post("/tickets/{ticket_id}/messages")
def post_message(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    body: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "public",
) -> Response:
    """A public reply or an internal note, from the form under the timeline (HTMX or plain)."""
    number = parse_ticket_id(ticket_id)
    public = visibility != "note"
    message: Message | None = None
    error: str | None = None
    status_code = 200
    if not body.strip():
        error, status_code = _("Write the message before sending it."), 422
    elif len(body) > MAX_BODY_CHARS:
        error, status_code = _("The message is too long."), 422
    else:
        try:
            # A savepoint: a refused message leaves nothing behind, and the page still answers.
            with session.begin_nested():
                message = ticket_workflows.add_message(
                    session, actor=user.actor, ticket_id=number, body=body, public=public, now=now
                )
        except NotFound:
            return error_page(
                request,
                404,
                _("Not found"),
                _("This ticket does not exist or you have no access to it."),
            )
        except DomainError as exc:
            error, status_code = _error_text(exc), exc.status
    if message is not None and message.ticket_id != number:
        # The message opened a follow-up ticket (the ticket was closed): go there.
        target = f"/tickets/{message.ticket_id}"
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if message is not None and not is_htmx(request):
        return RedirectResponse(f"/tickets/{number}#m{message.id}", status_code=303)
    ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=number)
    context = _conversation(session, user, ticket)
    if error is not None:
        context["form"] = {
            "body": body[:MAX_BODY_CHARS],
            "visibility": "public" if public else "note",
            "error": error,
        }
    if is_htmx(request):
        return render(request, "tickets/_ticket.html", context, status_code=status_code)
    context["active"] = "tickets"
    return render(request, "tickets/detail.html", context, status_code=status_code)


def _error_text(error: DomainError) -> str:
    """A refusal of the service, told in Portuguese where we know it, else as the service said."""
    if error.status == 409:
        return _("This ticket cannot take messages now: %(why)s") % {"why": error.message}
    if error.status == 403:
        return _("You may not send this kind of message.")
    if error.field == "body":
        return _("The message was empty once the content that is not allowed was removed.")
    return error.message
