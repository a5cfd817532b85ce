"""The console's inbox (``/tickets``): views with their counts, filters, a keyset page sorted by
SLA due by default, and bulk actions (assign, status, tag) through the ticket workflows.

Views (``?view=``): all, mine, my queues, unassigned, breaching soon (an SLA warning reached),
breached, waiting for the customer, waiting for another department, following, in other
departments (followed tickets still open in a queue not the visitor's: seed 001), on-call review
(supervisors). Each is a condition
on the tickets the visitor may read (web/repository.py). A contact sees only "all": their own
organization's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.agents import saved_views
from atende.api.deps import DbSession, Now
from atende.db.base import MAX_ID
from atende.domain.errors import DomainError, NotFound
from atende.routing.service import last_week
from atende.tickets import service as ticket_service
from atende.tickets.models import CHANNELS, PRIORITIES, STATUSES, Ticket
from atende.web import repository as web_repository
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser, safe_next
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute, is_htmx
from atende.web.templating import render
from atende.workflows import tickets as ticket_workflows

PAGE_SIZE = 50
MAX_BULK = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

VIEW_LABELS = {
    "all": N_("All tickets"),
    "mine": N_("Mine"),
    "queues": N_("My queues"),
    "unassigned": N_("Unassigned"),
    "breaching": N_("Breaching soon"),
    "breached": N_("SLA breached"),
    "waiting": N_("Waiting for customer"),
    "internal": N_("Waiting for another department"),
    "following": N_("Following"),
    "elsewhere": N_("In other departments"),
    "on_call": N_("On-call review"),
}
SORT_LABELS = {
    "sla": N_("SLA due"),
    "created": N_("Newest"),
    "updated": N_("Recently updated"),
}
# The status chips above the list: (label, statuses). The empty tuple is "any status".
STATUS_TABS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Any status"), ()),
    (N_("Unresolved"), ("new", "open", "pending_customer", "pending_internal", "scheduled")),
    (N_("New tickets"), ("new",)),
    (N_("Open tickets"), ("open",)),
    (N_("Waiting for customer"), ("pending_customer",)),
    (N_("Waiting internally"), ("pending_internal",)),
    (N_("Scheduled"), ("scheduled",)),
    (N_("Resolved tickets"), ("resolved",)),
    (N_("Closed tickets"), ("closed",)),
)


def views_for(user: WebUser) -> tuple[str, ...]:
    actor = user.actor
    if not actor.is_staff:
        return ("all",)
    if actor.sees_all_tickets:
        return web_repository.VIEWS
    return tuple(v for v in web_repository.VIEWS if v not in web_repository.SUPERVISOR_VIEWS)


# --- the request's parameters ---------------------------------------------------------------


@dataclass
class InboxQuery:
    """What the inbox was asked for, checked; ``errors`` names each bad parameter."""

    view: str = "all"
    sort: str = "sla"
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    queue_id: int | None = None
    tag: str = ""
    q: str = ""
    after: tuple[datetime | None, int] | None = None
    errors: list[str] = field(default_factory=list)

    def filters(self) -> web_repository.InboxFilters:
        return web_repository.InboxFilters(
            status=self.status,
            priority=self.priority,
            channel=self.channel,
            queue_id=self.queue_id,
            tag=self.tag or None,
            q=self.q or None,
        )

    def params(self, **changes: Any) -> str:
        """This query's URL parameters (cursor dropped), with ``changes``."""
        values: dict[str, Any] = {
            "view": self.view,
            "sort": self.sort,
            "status": list(self.status),
            "priority": list(self.priority),
            "channel": list(self.channel),
            "queue": self.queue_id or "",
            "tag": self.tag,
            "q": self.q,
        }
        values.update(changes)
        pairs: list[tuple[str, Any]] = []
        for key, value in values.items():
            if isinstance(value, list):
                pairs += [(key, v) for v in value]
            elif value not in ("", None) and not (key == "view" and value == "all"):
                if key == "sort" and value == "sla":
                    continue
                pairs.append((key, value))
        return urlencode(pairs)

    def href(self, **changes: Any) -> str:
        query = self.params(**changes)
        return "/tickets" + (f"?{query}" if query else "")


def _choices(
    values: list[str], allowed: tuple[str, ...], what: str, errors: list[str]
) -> tuple[str, ...]:
    wanted = [v for v in values[:20] if v]
    unknown = [v[:40] for v in wanted if v not in allowed]
    if unknown:
        errors.append(
            _("Unknown %(what)s: %(names)s.") % {"what": what, "names": ", ".join(unknown)}
        )
    return tuple(dict.fromkeys(v for v in wanted if v in allowed))


def encode_cursor(ticket: Ticket, sort: str) -> str:
    value = {"sla": ticket.sla_due_at, "created": ticket.created_at, "updated": ticket.updated_at}[
        sort
    ]
    if value is None:
        return f"n.{ticket.id}"
    micros = (value.astimezone(UTC) - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{ticket.id}"


def decode_cursor(value: str | None) -> tuple[datetime | None, int] | None:
    """The (sort value, id) of the previous page's last ticket; nonsense is ignored."""
    if not value or len(value) > 60:
        return None
    micros_text, _sep, id_text = value.partition(".")
    try:
        ticket_id = int(id_text)
        if not 0 < ticket_id <= MAX_ID:
            return None
        if micros_text == "n":
            return None, ticket_id
        moment = EPOCH + timedelta(microseconds=int(micros_text))
    except (ValueError, OverflowError, OSError):
        return None
    return moment, ticket_id


def parse_query(
    user: WebUser,
    *,
    view: str,
    sort: str,
    status: list[str],
    priority: list[str],
    channel: list[str],
    queue: str,
    tag: str,
    q: str,
    after: str | None,
) -> InboxQuery:
    errors: list[str] = []
    found = InboxQuery(errors=errors)
    view = view or "all"
    if view not in views_for(user):
        errors.append(_("Unknown view: %(name)s.") % {"name": view[:40]})
    else:
        found.view = view
    sort = sort or "sla"
    if sort not in web_repository.SORTS:
        errors.append(_("Unknown order: %(name)s.") % {"name": sort[:40]})
    else:
        found.sort = sort
    found.status = _choices(status, STATUSES, _("Status"), errors)
    found.priority = _choices(priority, PRIORITIES, _("Priority"), errors)
    found.channel = _choices(channel, CHANNELS, _("Channel"), errors)
    if queue:
        if queue.isascii() and queue.isdigit() and 0 < int(queue) <= MAX_ID:
            found.queue_id = int(queue)
        else:
            errors.append(_("The queue must be chosen from the list."))
    tag = tag.strip()
    if len(tag) > 60:
        errors.append(_("A tag has at most 60 characters."))
    else:
        found.tag = tag
    q = q.strip()
    if len(q) > 200:
        errors.append(_("The search has at most 200 characters."))
    else:
        found.q = q
    found.after = decode_cursor(after)
    return found


# --- the page -----------------------------------------------------------------------------------


def inbox_context(
    session: Session, user: WebUser, query: InboxQuery, *, now: datetime
) -> dict[str, Any]:
    actor = user.actor
    views = views_for(user)
    since, _end = last_week(now, actor.timezone)
    counts = web_repository.inbox_counts(session, actor, views, now=now, on_call_since=since)
    tickets: list[Ticket] = []
    if not query.errors:
        tickets = list(
            web_repository.inbox_page(
                session,
                actor,
                view=query.view,
                filters=query.filters(),
                sort=query.sort,
                after=query.after,
                limit=PAGE_SIZE + 1,
                now=now,
                on_call_since=since,
            )
        )
    has_more = len(tickets) > PAGE_SIZE
    tickets = tickets[:PAGE_SIZE]
    next_href = None
    if has_more:
        next_href = query.href() + ("&" if "?" in query.href() else "?")
        next_href += urlencode({"after": encode_cursor(tickets[-1], query.sort)})
    staff = actor.is_staff
    return {
        "user": user,
        "active": "tickets",
        "query": query,
        "here": query.href(),
        "views": [
            {
                "name": v,
                "label": _(VIEW_LABELS[v]),
                # a count at the cap shows as "999+": the views count no further
                "count": min(counts[v], web_repository.COUNT_CAP - 1),
                "capped": counts[v] >= web_repository.COUNT_CAP,
                "href": query.href(view=v),
                "current": v == query.view,
            }
            for v in views
        ],
        "view_label": _(VIEW_LABELS[query.view]),
        "tabs": [
            {
                "label": _(label),
                "href": query.href(status=list(statuses)),
                "current": set(statuses) == set(query.status),
            }
            for label, statuses in STATUS_TABS
        ],
        "sorts": [(key, _(label)) for key, label in SORT_LABELS.items()],
        "tickets": tickets,
        "next_href": next_href,
        "first_href": query.href(),
        "paged": query.after is not None,
        "requesters": web_repository.contact_names(session, (t.requester_id for t in tickets)),
        "queues": web_repository.queue_names(session, (t.queue_id for t in tickets)),
        "assignees": web_repository.user_names(session, (t.assignee_id for t in tickets)),
        "tags": ticket_service.tags_of(session, tickets) if staff and tickets else {},
        "queue_choices": web_repository.queue_choices(session) if staff else [],
        "staff_choices": web_repository.staff_choices(session) if staff else [],
        "can_bulk": staff,
        "STATUSES": STATUSES,
        "PRIORITIES": PRIORITIES,
        "CHANNELS": CHANNELS,
        "notice": None,
        "bulk_errors": [],
        "saved_views": saved_views_of(session, user, query) if staff else [],
        "save_query": query.params(),
    }


def saved_views_of(session: Session, user: WebUser, query: InboxQuery) -> list[dict[str, Any]]:
    """The visitor's saved views and the team's shared ones, each a link to the inbox."""
    here = query.params()
    return [
        {
            "id": v.id,
            "name": v.name,
            "href": "/tickets" + (f"?{v.query}" if v.query else ""),
            "current": v.query == here,
            "shared": v.shared,
            "deletable": v.user_id == user.actor.user_id or (v.shared and user.actor.is_admin),
        }
        for v in saved_views.visible(session, user.actor)
    ]


@router.get("/tickets")
def inbox(
    request: Request,
    session: DbSession,
    user: CurrentWebUser,
    now: Now,
    view: str = "",
    sort: str = "",
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies the default
    priority: Annotated[list[str], Query()] = [],  # noqa: B006
    channel: Annotated[list[str], Query()] = [],  # noqa: B006
    queue: str = "",
    tag: str = "",
    q: str = "",
    after: str | None = None,
    done: str = "",
) -> Response:
    query = parse_query(
        user, view=view, sort=sort, status=status, priority=priority, channel=channel,
        queue=queue, tag=tag, q=q, after=after,
    )  # fmt: skip
    context = inbox_context(session, user, query, now=now)
    if done.isascii() and done.isdigit() and len(done) < 4:
        context["notice"] = _("%(count)s ticket(s) changed.") % {"count": int(done)}
    if is_htmx(request) and request.headers.get("hx-target") == "inbox-list":
        return render(request, "inbox/_live.html", context)
    return render(request, "inbox/page.html", context)


# --- bulk actions -------------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "status", "tag")


def _bulk_changes(
    session: Session, user: WebUser, action: str, assignee: str, status: str, tag: str
) -> tuple[str | None, Any]:
    """(error, value) of the action's field."""
    if action == "assign":
        if assignee == "none":
            return None, None
        if assignee == "me":
            return None, user.actor.user_id
        staff = dict(web_repository.staff_choices(session))
        if assignee.isascii() and assignee.isdigit() and int(assignee) in staff:
            return None, int(assignee)
        return _("Choose whom to assign the tickets to."), None
    if action == "status":
        if status in STATUSES:
            return None, status
        return _("Choose the new status."), None
    if action == "tag":
        text = tag.strip().lower()
        if not text:
            return _("Write the tag to add."), None
        if len(text) > 60:
            return _("A tag has at most 60 characters."), None
        return None, text
    return _("Choose an action."), None


def _apply(
    session: Session, user: WebUser, ticket_id: int, action: str, value: Any, now: datetime
) -> None:
    if action == "assign":
        ticket_workflows.assign(
            session, actor=user.actor, ticket_id=ticket_id, assignee_id=value, now=now
        )
    elif action == "status":
        ticket_workflows.update_ticket(
            session, actor=user.actor, ticket_id=ticket_id, changes={"status": value}, now=now
        )
    else:
        ticket = ticket_service.get_ticket(session, actor=user.actor, ticket_id=ticket_id)
        tags = ticket_service.tags_of(session, [ticket])[ticket.id]
        if value not in tags:
            ticket_workflows.update_ticket(
                session,
                actor=user.actor,
                ticket_id=ticket_id,
                changes={"tags": [*tags, value]},
                now=now,
            )


@router.post("/tickets/bulk")
def bulk(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ids: Annotated[list[str], Form()] = [],  # noqa: B006
    action: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    tag: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/tickets",
) -> Response:
    """One action on the chosen tickets, all or nothing: when one ticket refuses it, none is
    changed and the page names the ticket and the reason."""
    target = safe_next(back)
    if not target.startswith("/tickets"):
        target = "/tickets"
    errors: list[str] = []
    numbers: list[int] = []
    for raw in ids[: MAX_BULK + 1]:
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
            numbers.append(int(raw))
        else:
            errors.append(_("“%(value)s” is not a ticket number.") % {"value": raw[:20]})
    numbers = list(dict.fromkeys(numbers))
    if not numbers and not errors:
        errors.append(_("Select at least one ticket."))
    if len(numbers) > MAX_BULK:
        errors.append(_("At most %(count)s tickets at once.") % {"count": MAX_BULK})
    if not user.actor.is_staff:
        errors.append(_("Only staff may change tickets in bulk."))
    error, value = _bulk_changes(session, user, action, assignee, status, tag)
    if error:
        errors.append(error)
    if not errors:
        savepoint = session.begin_nested()
        for number in numbers:
            try:
                with session.begin_nested():
                    _apply(session, user, number, action, value, now)
            except NotFound:
                errors.append(
                    _("#%(number)s: not found, or you have no access to it.") % {"number": number}
                )
            except DomainError as exc:
                errors.append(
                    _("#%(number)s: %(reason)s") % {"number": number, "reason": exc.text(_)}
                )
        if errors:
            savepoint.rollback()
        else:
            savepoint.commit()
    if not errors:
        separator = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{separator}done={len(numbers)}", status_code=303)
    query = InboxQuery()
    context = inbox_context(session, user, query, now=now)
    context["bulk_errors"] = [_("Nothing was changed."), *errors]
    return render(request, "inbox/page.html", context, status_code=422)
