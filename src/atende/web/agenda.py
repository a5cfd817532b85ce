"""The console's agenda (``/agenda``) and a ticket's visits: Field Desk visits and appointments
(docs/visits.md) booked, followed and closed from the pages, through ``workflows.visits``.

An agent sees their own agenda; a supervisor or an admin anyone's (``?assignee_id=``) or the
whole team's. Days are the visitor's (``users.timezone``); a booking's times are typed in it
too and stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain.errors import DomainError, NotFound
from atende.tickets import service as ticket_service
from atende.tickets.models import Ticket
from atende.visits import service as visits_service
from atende.visits.models import Visit
from atende.web import repository as web_repository
from atende.web.deps import CsrfWebUser, CurrentWebUser, WebUser
from atende.web.i18n import N_, _, zone
from atende.web.pages import HtmlRoute, error_page, page_not_found, ticket_not_found
from atende.web.templating import render
from atende.workflows import visits as visit_workflows

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

MAX_DAYS = 31
KIND_LABELS = {"field_desk": N_("Field Desk visit"), "appointment": N_("Appointment")}
STATUS_LABELS = {
    "scheduled": N_("Booked"),
    "on_the_way": N_("On the way"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}
# What a booking may become next, from the agenda's buttons.
NEXT = {"scheduled": ("on_the_way", "done", "cancelled"), "on_the_way": ("done", "cancelled")}


def _staff_only(request: Request, user: WebUser) -> Response | None:
    if user.actor.is_staff:
        return None
    return page_not_found(request)


def _day(raw: str | None, today: date) -> date | None:
    if not raw:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@router.get("/agenda")
def agenda_page(
    request: Request,
    session: DbSession,
    user: CurrentWebUser,
    now: Now,
    start: Annotated[str | None, Query(max_length=10)] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
    assignee_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    final: Annotated[bool, Query()] = False,
) -> Response:
    """The bookings between ``start`` (a day, default today) and ``days`` later."""
    refused = _staff_only(request, user)
    if refused is not None:
        return refused
    tz = zone(user.actor.timezone)
    first = _day(start, now.astimezone(tz).date())
    errors: list[str] = []
    if first is None:
        errors.append(_("The first day must be a date (YYYY-MM-DD)."))
        first = now.astimezone(tz).date()
    begin = datetime.combine(first, time(0), tz)
    end = begin + timedelta(days=days)
    visits: list[Visit] = []
    if not errors:
        try:
            visits = list(
                visits_service.agenda(
                    session,
                    actor=user.actor,
                    assignee_id=assignee_id,
                    start=begin.astimezone(UTC),
                    end=end.astimezone(UTC),
                    include_final=final,
                )
            )
        except DomainError as exc:
            errors.append(exc.text(_))
    rows = _rows(session, visits)
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        by_day.setdefault(row["visit"].starts_at.astimezone(tz).date(), []).append(row)
    technicians = web_repository.staff_choices(session) if user.actor.sees_all_tickets else []
    context = {
        "user": user,
        "active": "agenda",
        "days": [(d, by_day.get(d, [])) for d in (first + timedelta(days=i) for i in range(days))],
        "first": first,
        "span": days,
        "previous": first - timedelta(days=days),
        "following": first + timedelta(days=days),
        "assignee_id": assignee_id,
        "final": final,
        "technicians": technicians,
        "errors": errors,
        "count": len(rows),
    }  # fmt: skip
    return render(request, "agenda/page.html", context, status_code=422 if errors else 200)


def _rows(session: Session, visits: list[Visit]) -> list[dict[str, Any]]:
    names = web_repository.user_names(session, [v.assignee_id for v in visits])
    subjects = web_repository.ticket_subjects(session, [v.ticket_id for v in visits])
    return [
        {
            "visit": v,
            "technician": names.get(v.assignee_id, "—"),
            "subject": subjects.get(v.ticket_id, ""),
            "kind": _(KIND_LABELS.get(v.kind, v.kind)),
            "status": _(STATUS_LABELS.get(v.status, v.status)),
            "next": [(s, _(STATUS_LABELS[s])) for s in NEXT.get(v.status, ())],
        }
        for v in visits
    ]


def ticket_visits(session: Session, user: WebUser, ticket: Ticket) -> list[dict[str, Any]]:
    """A ticket's bookings for its page's side panel (staff only; a customer sees none); the
    ticket was read through the visitor's access already."""
    if not user.actor.is_staff:
        return []
    return _rows(session, list(visits_service.of_read_ticket(session, ticket)))


@router.post("/agenda/visits/{visit_id}")
def change_visit(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    visit_id: int,
    status: Annotated[str, Form()] = "",
    cancel_reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """A booking moves on: on the way, done, or cancelled with its reason."""
    refused = _staff_only(request, user)
    if refused is not None:
        return refused
    changes: dict[str, Any] = {"status": status}
    if status == "cancelled":
        changes["cancel_reason"] = cancel_reason.strip()[:500]
    try:
        with session.begin_nested():
            visit = visit_workflows.update(
                session, actor=user.actor, visit_id=visit_id, changes=changes, now=now
            )
    except NotFound:
        return error_page(request, 404, _("Not found"), _("This booking does not exist."))
    except DomainError as exc:
        return error_page(request, 422, _("Not possible"), exc.text(_))
    target = f"/tickets/{visit.ticket_id}" if back == "ticket" else "/agenda"
    return RedirectResponse(target, status_code=303)


@router.post("/tickets/{ticket_id}/visits")
def book_visit(
    request: Request,
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    ticket_id: int,
    kind: Annotated[str, Form()] = "field_desk",
    purpose: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "",
    ends: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    accepted_by: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    reminder: Annotated[str, Form(max_length=10)] = "email",
) -> Response:
    """Book a visit or an appointment from the ticket page; times are the visitor's local
    ones. A Field Desk visit without a time gets the standard window (4 to 24 business hours
    from now)."""
    refused = _staff_only(request, user)
    if refused is not None:
        return refused
    tz = zone(user.actor.timezone)
    data: dict[str, Any] = {"kind": kind, "purpose": purpose.strip()[:200]}
    errors: list[str] = []
    if kind not in KIND_LABELS:
        errors.append(_("Choose a visit or an appointment."))
    if not data["purpose"]:
        errors.append(_("Write what the booking is for."))
    if day or starts or ends:
        try:
            on = date.fromisoformat(day)
            data["starts_at"] = datetime.combine(on, time.fromisoformat(starts), tz)
            data["ends_at"] = datetime.combine(on, time.fromisoformat(ends), tz)
        except ValueError:
            errors.append(_("Give the day and both times (start and end), or none of them."))
    for key, value, limit in (("address", address, 1000), ("accepted_by", accepted_by, 200)):
        if value.strip():
            data[key] = value.strip()[:limit]
    if notes.strip():
        data["notes"] = notes.strip()[:5000]
    if reminder not in ("email", "whatsapp", "none"):
        errors.append(_("Choose how to remind the customer."))
    data["reminder"] = reminder
    if not errors:
        try:
            with session.begin_nested():
                visit_workflows.book(
                    session, actor=user.actor, ticket_id=ticket_id, data=data, now=now
                )
        except NotFound:
            return ticket_not_found(request)
        except DomainError as exc:
            errors.append(exc.text(_))
    if not errors:
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
    ticket_service.get_ticket(session, actor=user.actor, ticket_id=ticket_id)  # 404 if unseen
    return error_page(request, 422, _("The booking was not made"), " ".join(errors))
