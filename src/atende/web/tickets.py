"""HTML pages of the tickets area: the agent's list and one ticket with its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.db.base import MAX_ID, utcnow
from atende.domain import billing, lifecycle
from atende.domain.errors import DomainError, NotFound
from atende.domain.text import prepare_body
from atende.replycheck import service as replycheck
from atende.sla import views as sla_views
from atende.tickets import repository as ticket_repository
from atende.tickets import service as ticket_service
from atende.tickets.commands import retention
from atende.tickets.models import PRIORITIES, STATUSES, Message, Ticket, TicketEvent
from atende.web import agenda as web_agenda
from atende.web import channels as web_channels
from atende.web import i18n
from atende.web import repository as web_repository
from atende.web import timeline as web_timeline
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute, is_htmx, ticket_not_found
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


def _conversation(
    session: Session, user: WebUser, ticket: Ticket, *, forms: bool = True
) -> dict[str, Any]:
    """Everything the ticket panel shows: the ticket, its names and its timeline."""
    # The ticket was read through the visitor's access already: its entries, without reading
    # it again (a contact reads the public ones only, as ticket_service.timeline does).
    public_only = not user.actor.is_staff
    entries: list[Message | TicketEvent] = [
        *ticket_repository.messages_of(session, ticket.id, public_only=public_only),
        *ticket_repository.events_of(session, ticket.id, public_only=public_only),
    ]
    entries.sort(key=lambda e: (e.created_at, e.position))
    messages = [e for e in entries if isinstance(e, Message)]
    names = web_timeline.names_of(session, ticket, entries)
    contacts = web_repository.contact_names(
        session, [m.author_contact_id for m in messages] + [ticket.requester_id]
    )
    timeline: list[dict[str, Any]] = []
    emails = web_channels.deliveries(session, user, ticket)
    for entry in entries:
        if isinstance(entry, Message):
            if entry.author_kind == "contact":
                who = contacts.get(entry.author_contact_id or 0, _("Customer"))
            elif entry.author_kind == "system":
                who = _("Atende")
            else:
                who = names.users.get(entry.author_user_id or 0, _("Agent"))
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
                    "snippet": (entry.body_text or "")[:80],
                    "email": emails.get(entry.id),
                }
            )
        else:
            timeline.append(_event_view(entry, names, user))
    staff = user.actor.is_staff
    # tags are the staff's own classification (e.g. "inadimplente"): never shown to a contact
    tags = ticket_service.tags_of(session, [ticket])[ticket.id] if staff else []
    context: dict[str, Any] = {
        "user": user,
        "ticket": ticket,
        "tags": tags,
        "timeline": timeline,
        "requester": contacts.get(ticket.requester_id or 0),
        "queue": names.queues.get(ticket.queue_id or 0),
        "assignee": names.users.get(ticket.assignee_id or 0),
        "on_call_reviewer": names.users.get(ticket.on_call_reviewed_by_id or 0),
        "organization": names.organizations.get(ticket.organization_id or 0),
        "can_write": ticket.status != "closed",
        "can_note": staff,
        "staff": staff,
        "form": {"body": "", "visibility": "public", "error": None},
        "sla": [],
        "customer": None,
        "recent_mine": [],
        "recent_org": [],
        "actions": {"errors": [], "values": None},
        "transfer": {"errors": [], "queue_id": None, "reason": ""},
        "visits": [],
        "retention_needed": False,
        "messaging": None,
        "calls": [],
    }
    if staff:
        context["retention_needed"] = ticket.type == retention.CANCELLATION and not (
            retention.has_attempt(session, ticket.id)
        )
        now = utcnow()
        context["messaging"] = web_channels.messaging_panel(session, user, ticket, now)
        context["calls"] = web_channels.calls_panel(session, user, ticket)
        context["call_form"] = {"errors": {}, "values": {}}
        context["visits"] = web_agenda.ticket_visits(session, user, ticket)
        context["visit_form"] = forms
        context["sla"] = sla_badges(sla_views.sla_view(session, ticket), now)
        customer = web_repository.customer_of(session, ticket)
        context["customer"] = customer_panel(customer, now, user)
        org = customer.organization
        mine, theirs = web_repository.recent_tickets(
            session,
            user.actor,
            requester_id=ticket.requester_id,
            organization_id=org.id if org is not None else None,
            exclude=ticket.id,
            limit=RECENT,
        )
        context["recent_mine"], context["recent_org"] = mine, theirs
        if forms:  # the choices of the change and transfer forms
            context["queue_choices"] = web_repository.queue_choices(session)
            context["staff_choices"] = web_repository.staff_choices(session)
    return context


def page_context(session: Session, user: WebUser, ticket: Ticket) -> dict[str, Any]:
    """The ticket page's context, for the pages of other modules that answer with it (a
    refused form shown again with what was typed)."""
    return {**_conversation(session, user, ticket), "active": "tickets"}


RECENT = 5


def sla_badges(view: dict[str, Any] | None, now: datetime) -> list[dict[str, Any]]:
    """Each SLA clock as a badge: its target, its state (a running clock past its warning is
    "warning", one past due "breached"), and the instant that matters (due, met, breached)."""
    if view is None:
        return []
    out = []
    for kind, target in view["targets"].items():
        state = target["state"]
        due, warning = target["due_at"], target["warning_at"]
        if state == "running" and due is not None and due <= now:
            state = "breached"
        elif state == "running" and warning is not None and warning <= now:
            state = "warning"
        out.append(
            {
                "kind": kind,
                "state": state,
                "due_at": due,
                "met_at": target["met_at"],
                "breached_at": target["breached_at"] or (due if state == "breached" else None),
                "policy": view["policy_name"],
            }
        )
    return out


def customer_panel(
    customer: web_repository.Customer, now: datetime, user: WebUser
) -> dict[str, Any]:
    """What the agent needs to know of the customer: plan, key account, delinquency (seed
    002: blocked 7 days after the unpaid due date)."""
    org = customer.organization
    panel: dict[str, Any] = {"contact": customer.contact, "organization": org, "plan": None}
    if org is None:
        return panel
    today = now.astimezone(i18n.zone(user.actor.timezone)).date()
    overdue = org.overdue_since if org.delinquent else None
    plan = customer.plan
    panel.update(
        plan=customer.plan_name,
        # seed 002 items 35-38: on-site visits included, or paid with the plan's discount
        field_desk=(
            None
            if plan is None
            else "included"
            if plan.includes_field_desk
            else plan.field_desk_discount_percent
        ),
        key_account=org.key_account,
        due_day=org.billing_due_day,
        delinquent=org.delinquent,
        overdue_since=overdue,
        block_date=billing.blocked_from(overdue) if overdue is not None else None,
        blocked=billing.system_blocked(
            delinquent=org.delinquent, overdue_since=org.overdue_since, today=today
        ),
    )
    return panel


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


@router.get("/tickets/{ticket_id}/live")
def ticket_live(
    request: Request, session: DbSession, user: CurrentWebUser, ticket_id: str
) -> Response:
    """The parts of the ticket page that change (head, timeline, side panel) as out-of-band
    swaps: what the page fetches when the live stream tells of a change to this ticket. The
    forms the visitor may be filling in are not in it."""
    ticket = ticket_service.get_ticket(
        session, actor=user.actor, ticket_id=parse_ticket_id(ticket_id)
    )
    context = _conversation(session, user, ticket, forms=False)
    return render(request, "tickets/_live.html", context)


@router.post("/tickets/{ticket_id}/messages")
def post_message(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    body: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "public",
    send_anyway: Annotated[str, Form()] = "",
    attachment_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """A public reply or an internal note, from the form under the timeline (HTMX or plain).

    A staff member's public reply goes through the reply check first (docs/reply-check.md):
    with findings it is not sent; the form comes back with each warning and its suggestion,
    and "send anyway" sends it as written (its findings stay on the message)."""
    number = parse_ticket_id(ticket_id)
    public = visibility != "note"
    message: Message | None = None
    error: str | None = None
    findings: list[dict[str, Any]] = []
    status_code = 200
    if not body.strip():
        error, status_code = _("Write the message before sending it."), 422
    elif len(body) > MAX_BODY_CHARS:
        error, status_code = _("The message is too long."), 422
    elif public and user.actor.is_staff and not send_anyway:
        findings = _draft_findings(session, user, number, body)
    if error is None and findings:
        pass  # back to the agent with the warnings
    elif error is None:
        try:
            # A savepoint: a refused message leaves nothing behind, and the page still answers.
            with session.begin_nested():
                message = ticket_workflows.add_message(
                    session, actor=user.actor, ticket_id=number, body=body, public=public,
                    now=now, attachment_ids=_ids(attachment_ids),
                )  # fmt: skip
        except NotFound:
            return ticket_not_found(request)
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
    if error is not None or findings:
        context["form"] = {
            "body": body[:MAX_BODY_CHARS],
            "visibility": "public" if public else "note",
            "error": error,
            "findings": findings,
            "attachment_ids": _ids(attachment_ids),
        }
    if is_htmx(request):
        return render(request, "tickets/_ticket.html", context, status_code=status_code)
    context["active"] = "tickets"
    return render(request, "tickets/detail.html", context, status_code=status_code)


def _ids(values: list[str] | None) -> list[int]:
    """The uploaded files the form sends with its message (at most 20)."""
    return [int(v) for v in (values or []) if v.isascii() and v.isdigit() and len(v) < 19][:20]


_FINDING_TITLES = {
    "gerund": N_("Gerund construction (gerundismo)"),
    "promise": N_("A firm promise"),
    "closing_question": N_("No closing question"),
}


def _draft_findings(
    session: Session, user: WebUser, number: int, body: str
) -> list[dict[str, Any]]:
    """The reply check's warnings on a public reply about to be sent, on its text as it will
    be stored; none when the reply cannot be sent anyway (an unknown or closed ticket, a body
    empty once cleaned): the ticket service refuses it, saying why."""
    try:
        ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=number)
    except NotFound:
        return []
    text = prepare_body(body)[1]
    if ticket.status == "closed" or not text.strip():
        return []
    found = replycheck.check_draft(session, actor=user.actor, body=text)
    return [_finding(f.as_dict()) for f in found]


def _finding(found: dict[str, Any]) -> dict[str, Any]:
    """A reply-check finding as the composer shows it (title in the visitor's language)."""
    return {**found, "title": _(_FINDING_TITLES.get(str(found["kind"]), str(found["kind"])))}


def _error_text(error: DomainError) -> str:
    """A refusal of the service in the visitor's language."""
    if error.status == 409:
        return _("This ticket cannot take messages now: %(why)s") % {"why": error.text(_)}
    if error.status == 403:
        return _("You may not send this kind of message.")
    if error.field == "body":
        return _("The message was empty once the content that is not allowed was removed.")
    return error.text(_)


# ------------------------------------------------------------------------------------------------
# Changing the ticket: fields, transfer
# ------------------------------------------------------------------------------------------------

FIELD_LABELS = {
    "status": N_("Status"),
    "priority": N_("Priority"),
    "queue_id": N_("Queue"),
    "assignee_id": N_("Assignee"),
    "tags": N_("Tags"),
    "reason": N_("Reason"),
    "type": N_("Type"),
}
MAX_TAGS = 30


def _field_error(exc: DomainError) -> str:
    """A refusal of the ticket commands in the page's language, naming the field."""
    if isinstance(exc, lifecycle.InvalidTransition):
        return _("This status change is not allowed now (a closed ticket is final).")
    field = _(FIELD_LABELS[exc.field]) if exc.field in FIELD_LABELS else _("Ticket")
    if exc.status == 403:
        return _("%(field)s: you may not change it.") % {"field": field}
    return _("%(field)s: the value was refused.") % {"field": field}


def _changed_fields(
    session: Session,
    user: WebUser,
    form: dict[str, str],
) -> tuple[dict[str, Any], list[str]]:
    """The fields the visitor changed in the form (its value differs from the one the form was
    shown with, ``was_*``: a change made meanwhile by someone else is never undone), checked."""
    changes: dict[str, Any] = {}
    errors: list[str] = []

    def changed(name: str) -> bool:
        return form.get(name, "") != form.get(f"was_{name}", "")

    if changed("status"):
        if form["status"] in STATUSES:
            changes["status"] = form["status"]
        else:
            errors.append(_("Choose a status from the list."))
    if changed("priority"):
        if form["priority"] in PRIORITIES:
            changes["priority"] = form["priority"]
        else:
            errors.append(_("Choose a priority from the list."))
    if changed("assignee"):
        value = form["assignee"]
        staff = dict(web_repository.staff_choices(session))
        if value == "":
            changes["assignee_id"] = None
        elif value.isascii() and value.isdigit() and int(value) in staff:
            changes["assignee_id"] = int(value)
        else:
            errors.append(_("Choose the assignee from the list."))
    if changed("tags"):
        tags = [t.strip().lower() for t in form["tags"].split(",") if t.strip()]
        if any(len(t) > 60 for t in tags):
            errors.append(_("A tag has at most 60 characters."))
        elif len(tags) > MAX_TAGS:
            errors.append(_("At most %(count)s tags.") % {"count": MAX_TAGS})
        else:
            changes["tags"] = tags
    return changes, errors


@router.post("/tickets/{ticket_id}/update")
def update_fields(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    status: Annotated[str, Form()] = "",
    was_status: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    was_priority: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    was_assignee: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    was_tags: Annotated[str, Form()] = "",
) -> Response:
    """Status, priority, assignee and tags from the ticket page's form."""
    number = parse_ticket_id(ticket_id)
    form = {
        "status": status, "was_status": was_status, "priority": priority,
        "was_priority": was_priority, "assignee": assignee, "was_assignee": was_assignee,
        "tags": tags[:4000], "was_tags": was_tags[:4000],
    }  # fmt: skip
    changes, errors = _changed_fields(session, user, form)
    if not errors and changes:
        try:
            with session.begin_nested():
                ticket_workflows.update_ticket(
                    session, actor=user.actor, ticket_id=number, changes=changes, now=now
                )
        except NotFound:
            return ticket_not_found(request)
        except DomainError as exc:
            errors.append(_field_error(exc))
    if not errors:
        return RedirectResponse(f"/tickets/{number}", status_code=303)
    ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=number)
    context = _conversation(session, user, ticket)
    context["actions"] = {"errors": errors, "values": form}
    context["active"] = "tickets"
    return render(request, "tickets/detail.html", context, status_code=422)


@router.post("/tickets/{ticket_id}/transfer")
def transfer(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: str,
    queue: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    retention_offer: Annotated[str, Form(max_length=1000)] = "",
    retention_outcome: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Send the ticket to another queue; the reason is required and becomes an internal note.
    A cancellation request carries its retention attempt when none was recorded (seed 004)."""
    number = parse_ticket_id(ticket_id)
    errors: list[str] = []
    queue_id: int | None = None
    queues = dict(web_repository.queue_choices(session))
    if queue.isascii() and queue.isdigit() and int(queue) in queues:
        queue_id = int(queue)
    else:
        errors.append(_("Choose the queue to transfer to."))
    if not reason.strip():
        errors.append(_("Write the reason for the transfer."))
    elif len(reason) > 2000:
        errors.append(_("The reason has at most 2,000 characters."))
    if not errors and queue_id is not None:
        try:
            with session.begin_nested():
                ticket_workflows.transfer(
                    session,
                    actor=user.actor,
                    ticket_id=number,
                    queue_id=queue_id,
                    reason=reason.strip(),
                    retention_attempt=(
                        (retention_offer, retention_outcome) if retention_offer.strip() else None
                    ),
                    now=now,
                )
        except NotFound:
            return ticket_not_found(request)
        except DomainError as exc:
            if exc.field == "queue_id":
                errors.append(_("The ticket is already in this queue: choose another one."))
            else:
                errors.append(_field_error(exc))
    if not errors:
        readable = ticket_repository.get_readable(session, user.actor, number)
        if readable is None:  # handed to a queue the visitor no longer sees
            return RedirectResponse("/tickets", status_code=303)
        return RedirectResponse(f"/tickets/{number}", status_code=303)
    ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=number)
    context = _conversation(session, user, ticket)
    context["transfer"] = {
        "errors": errors, "queue_id": queue_id, "reason": reason[:2000],
        "offer": retention_offer, "outcome": retention_outcome,
    }  # fmt: skip
    context["active"] = "tickets"
    return render(request, "tickets/detail.html", context, status_code=422)
