"""Booking and following visits and appointments (seed 002 items 34-41, 50-51).

A Field Desk visit is included in the organization's plan (``includes_field_desk``) or paid
with the plan's discount (``field_desk_discount_percent``); a paid one needs the customer's
acceptance (``accepted_by``: who accepted and how), recorded with when. Its window defaults to
the seed's standard promise, 4 to 24 business hours from now on the ticket's queue calendar (or
the default one). An appointment (training, certificate installation) is booked instead of done
during the call. Each booking, status change, reschedule or cancellation is written on the
ticket's timeline (public: the customer sees it) and returned as a ``Changed`` for the settle
loop. The e-mail reminder to the customer is an outbox job due ``remind_minutes_before`` the
start; rescheduling or cancelling replaces or cancels it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.auth.access import ensure_staff
from atende.auth.actor import Actor
from atende.calendars import service as calendars
from atende.customers.models import Contact, Organization, Plan
from atende.domain.businesstime import BusinessCalendar, always_open
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.jobs import outbox
from atende.jobs import repository as jobs_repository
from atende.queues.models import Queue
from atende.tickets import service as ticket_service
from atende.tickets.commands import change as ticket_change
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event
from atende.visits.models import FINAL, Visit

STANDARD_FROM_HOURS = 4  # seed 002 item 50: "o padrão 4h a 24h comerciais"
STANDARD_TO_HOURS = 24
LOCAL = ZoneInfo("America/Sao_Paulo")
_NEXT: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"on_the_way", "done", "cancelled"}),
    "on_the_way": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
KIND_LABELS = {"field_desk": "Visita do Field Desk", "appointment": "Atendimento"}
# each in the gender of its kind's noun (a visita, o atendimento)
STATUS_LABELS = {
    "field_desk": {
        "scheduled": "agendada",
        "on_the_way": "com o técnico a caminho",
        "done": "realizada",
        "cancelled": "cancelada",
    },
    "appointment": {
        "scheduled": "agendado",
        "on_the_way": "com o técnico a caminho",
        "done": "realizado",
        "cancelled": "cancelado",
    },
}


def _calendar(session: Session, ticket: Ticket) -> BusinessCalendar:
    calendar_id = None
    if ticket.queue_id is not None:
        queue = session.get(Queue, ticket.queue_id)
        calendar_id = queue.calendar_id if queue is not None else None
    if calendar_id is None:
        calendar_id = calendars.default_calendar_id(session)
    found = calendars.business_calendar_by_id(session, calendar_id) if calendar_id else None
    return found if found is not None else always_open()


def standard_window(session: Session, ticket: Ticket, now: datetime) -> tuple[datetime, datetime]:
    """The seed's standard Field Desk promise: from 4 to 24 business hours after ``now``."""
    cal = _calendar(session, ticket)
    return (
        cal.add_business_seconds(now, STANDARD_FROM_HOURS * 3600).astimezone(UTC),
        cal.add_business_seconds(now, STANDARD_TO_HOURS * 3600).astimezone(UTC),
    )


def _technician(session: Session, user_id: int, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in ("agent", "supervisor", "admin"):
        raise ValidationFailed(
            "user {user_id} is not an active member of staff", field=field, user_id=user_id
        )
    return user


def _plan_of(session: Session, ticket: Ticket) -> Plan | None:
    if ticket.organization_id is None:
        return None
    org = session.get(Organization, ticket.organization_id)
    if org is None or org.plan_id is None:
        return None
    return session.get(Plan, org.plan_id)


def _window(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise ValidationFailed("must be after starts_at", field="ends_at")
    if starts_at < now - timedelta(minutes=5):
        raise ValidationFailed("a visit cannot be booked in the past", field="starts_at")
    if ends_at - starts_at > timedelta(days=7):
        raise ValidationFailed("a window longer than 7 days is not a booking", field="ends_at")
    return starts_at, ends_at


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def _summary(visit: Visit) -> dict[str, Any]:
    return {
        "visit_id": visit.id,
        "kind": visit.kind,
        "purpose": visit.purpose,
        "status": visit.status,
        "starts_at": visit.starts_at.isoformat(),
        "ends_at": visit.ends_at.isoformat(),
        "assignee_id": visit.assignee_id,
    }


def _record(
    session: Session, ticket: Ticket, visit: Visit, *, actor: Actor, kind: str, now: datetime,
    before: dict[str, Any] | None, detail: str,
) -> Changed:  # fmt: skip
    record_event(
        session, ticket, actor=actor, kind=kind, at=now, before=before, after=_summary(visit),
        detail=detail, public=True,
    )  # fmt: skip
    return Changed(ticket=ticket)  # no automation event: rules do not run on bookings


WHATSAPP_REMINDER_JOB = "visits.whatsapp_reminder"
WHATSAPP_TEMPLATE = "lembrete_visita"
"""The approved WhatsApp template a reminder uses outside the 24-hour window: its parameters
are what (e.g. "visita técnica"), when, and the ticket's number (docs/visits.md)."""


def reminder_lines(visit: Visit, ticket_id: int, name: str, *, reply_hint: str) -> list[str]:
    """The reminder's text (the e-mail's and the WhatsApp message's)."""
    what = KIND_LABELS[visit.kind]
    lines = [
        f"Olá, {name}.",
        "",
        f"Lembrete: {what.lower()} ({visit.purpose}) do chamado #{ticket_id}.",
        f"Quando: entre {_local(visit.starts_at)} e {_local(visit.ends_at)} (horário de Brasília).",
    ]
    if visit.address:
        lines.append(f"Endereço: {visit.address}")
    return [*lines, "", reply_hint]


def contact_name(session: Session, contact_id: int | None) -> str:
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    return contact.name if contact is not None else ""


def template_parameters(visit: Visit, ticket_id: int) -> list[str]:
    """The parameters of the ``lembrete_visita`` template: what, when, the ticket's number."""
    return [
        KIND_LABELS[visit.kind].lower(),
        f"entre {_local(visit.starts_at)} e {_local(visit.ends_at)}",
        f"#{ticket_id}",
    ]


def _remind(session: Session, visit: Visit, ticket: Ticket, now: datetime) -> None:
    """Queue the reminder to the customer, by e-mail or WhatsApp (replacing any queued one)."""
    jobs_repository.cancel_queued(
        session, key_prefix=f"visit:{visit.id}:remind:", reason="replaced or cancelled", now=now
    )
    if visit.status in FINAL or visit.contact_id is None:
        return
    due = max(now, visit.starts_at - timedelta(minutes=visit.remind_minutes_before))
    key = f"visit:{visit.id}:remind:{visit.starts_at.isoformat()}"
    if visit.reminder == "whatsapp":  # sent at its time by workflows/visits.py
        outbox.enqueue(
            session, WHATSAPP_REMINDER_JOB, run_at=due, idempotency_key=key,
            visit_id=visit.id, starts_at=visit.starts_at.isoformat(), ticket_id=ticket.id,
        )  # fmt: skip
        return
    if visit.reminder != "email":
        return
    contact = session.get(Contact, visit.contact_id)
    if contact is None or not contact.email:
        return
    what = KIND_LABELS[visit.kind]
    lines = reminder_lines(
        visit, ticket.id, contact.name,
        reply_hint="Se precisar remarcar, responda este e-mail ou fale com o suporte.",
    )  # fmt: skip
    outbox.enqueue(
        session,
        "notify.email",
        run_at=due,
        idempotency_key=key,
        to=[contact.email],
        subject=f"Lembrete: {what.lower()} em {_local(visit.starts_at)} (chamado #{ticket.id})",
        text="\n".join(lines),
        ticket_id=ticket.id,
    )


def book(
    session: Session, *, actor: Actor, ticket_id: int, data: dict[str, Any], now: datetime
) -> tuple[Visit, list[Changed]]:
    """Book a visit or an appointment on a ticket the caller may read (staff)."""
    ensure_staff(actor)
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    if ticket.status in ("resolved", "closed"):
        raise Conflict(
            "ticket {ticket_id} is {status}: reopen it first",
            field="status",
            ticket_id=ticket_id,
            status=ticket.status,
        )
    kind = data["kind"]
    technician = _technician(session, data.get("assignee_id") or actor.user_id or 0,
                             "assignee_id")  # fmt: skip
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if kind == "field_desk":
        if not (data.get("address") or "").strip():
            raise ValidationFailed("a Field Desk visit needs the address", field="address")
        if starts_at is None and ends_at is None:
            starts_at, ends_at = standard_window(session, ticket, now)
    elif starts_at is None:
        raise ValidationFailed("an appointment needs its date and time", field="starts_at")
    if starts_at is None:
        raise ValidationFailed("give both starts_at and ends_at, or neither", field="starts_at")
    if ends_at is None:
        ends_at = starts_at + timedelta(hours=1)
    starts_at, ends_at = _window(starts_at, ends_at, now)

    billing, discount, accepted_by = "none", 0, (data.get("accepted_by") or "").strip()
    if kind == "field_desk":
        plan = _plan_of(session, ticket)
        if plan is not None and plan.includes_field_desk:
            billing = "included"
        else:
            billing = "paid"
            discount = plan.field_desk_discount_percent if plan is not None else 0
            if not accepted_by:
                raise ValidationFailed(
                    "the customer's plan does not include Field Desk visits: record who "
                    "accepted the paid visit (and its discount) and how",
                    field="accepted_by",
                )
    contact_id = ticket.requester_id
    reminder = data.get("reminder", "email")
    if reminder == "email":
        contact = session.get(Contact, contact_id) if contact_id is not None else None
        if contact is None or not contact.email:
            raise ValidationFailed(
                'the customer has no e-mail address for the reminder (use "none")',
                field="reminder",
            )
    visit = Visit(
        ticket_id=ticket.id, kind=kind, purpose=data["purpose"].strip(), status="scheduled",
        starts_at=starts_at, ends_at=ends_at, address=(data.get("address") or "").strip(),
        assignee_id=technician.id, contact_id=contact_id, billing=billing,
        discount_percent=discount, accepted_by=accepted_by,
        accepted_at=now if accepted_by else None, reminder=reminder,
        remind_minutes_before=data.get("remind_minutes_before", 1440),
        notes=data.get("notes") or "", created_by_id=actor.user_id, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(visit)
    session.flush()
    _remind(session, visit, ticket, now)
    detail = (
        f"{KIND_LABELS[kind]} {STATUS_LABELS[kind]['scheduled']}: {visit.purpose}, entre "
        f"{_local(starts_at)} e "
        f"{_local(ends_at)}, com {technician.name}"
    )
    if billing == "paid":
        detail += f"; cobrada com {discount}% de desconto, aceita por {accepted_by}"
    elif billing == "included":
        detail += "; incluída no plano"
    changes = [_record(session, ticket, visit, actor=actor, kind="visit_scheduled", now=now,
                       before=None, detail=detail)]  # fmt: skip
    if data.get("hold_ticket", True) and ticket.status != "scheduled":
        # the ticket waits for the booking (seed 002 items 39-41): "scheduled"
        changes += ticket_change.update_ticket(
            session, actor=actor, ticket_id=ticket.id, changes={"status": "scheduled"}, now=now
        )[1]
    return visit, changes


def get(session: Session, *, actor: Actor, visit_id: int) -> tuple[Visit, Ticket]:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound("visit {visit_id} not found", visit_id=visit_id)
    try:
        ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=visit.ticket_id)
    except NotFound:
        raise NotFound("visit {visit_id} not found", visit_id=visit_id) from None
    return visit, ticket


def update(
    session: Session, *, actor: Actor, visit_id: int, changes: dict[str, Any], now: datetime
) -> tuple[Visit, list[Changed]]:
    """Move the status on, reschedule, change the technician, or cancel (with a reason)."""
    ensure_staff(actor)
    visit, ticket = get(session, actor=actor, visit_id=visit_id)
    if visit.status in FINAL:
        raise Conflict(
            "visit {visit_id} is {status}: it cannot change",
            field="status",
            visit_id=visit_id,
            status=visit.status,
        )
    before = _summary(visit)
    said: list[str] = []
    status = changes.get("status")
    if status is not None and status != visit.status:
        if status not in _NEXT[visit.status]:
            raise Conflict(
                "a visit that is {status} cannot become {status2}",
                field="status",
                status=visit.status,
                status2=status,
            )
        if status == "cancelled":
            reason = (changes.get("cancel_reason") or "").strip()
            if not reason:
                raise ValidationFailed("say why the visit is cancelled", field="cancel_reason")
            visit.cancel_reason = reason
        visit.status = status
        said.append(f"{KIND_LABELS[visit.kind]} {STATUS_LABELS[visit.kind][status]}")
    if "starts_at" in changes or "ends_at" in changes:
        starts_at = changes.get("starts_at") or visit.starts_at
        ends_at = changes.get("ends_at") or (
            starts_at + (visit.ends_at - visit.starts_at) if "starts_at" in changes else None
        )
        visit.starts_at, visit.ends_at = _window(starts_at, ends_at or visit.ends_at, now)
        said.append(f"nova data: entre {_local(visit.starts_at)} e {_local(visit.ends_at)}")
    if changes.get("assignee_id") is not None and changes["assignee_id"] != visit.assignee_id:
        technician = _technician(session, changes["assignee_id"], "assignee_id")
        visit.assignee_id = technician.id
        said.append(f"com {technician.name}")
    if "notes" in changes and changes["notes"] is not None:
        visit.notes = changes["notes"]
    if not said:
        return visit, []
    visit.updated_at = now
    session.flush()
    _remind(session, visit, ticket, now)
    kind = "visit_cancelled" if visit.status == "cancelled" else "visit_changed"
    detail = "; ".join(said)
    if visit.status == "cancelled":
        detail += f" ({visit.cancel_reason})"
    told = [_record(session, ticket, visit, actor=actor, kind=kind, now=now, before=before,
                    detail=detail)]  # fmt: skip
    if visit.status in FINAL and ticket.status == "scheduled" and not _open_visits(session, ticket):
        # nothing booked is left: the ticket is back in work
        told += ticket_change.update_ticket(
            session, actor=actor, ticket_id=ticket.id, changes={"status": "open"}, now=now
        )[1]
    return visit, told


def _open_visits(session: Session, ticket: Ticket) -> bool:
    stmt = select(Visit.id).where(Visit.ticket_id == ticket.id, Visit.status.not_in(FINAL))
    return session.execute(stmt.limit(1)).first() is not None


def of_ticket(session: Session, *, actor: Actor, ticket_id: int) -> Sequence[Visit]:
    """The visits of a ticket the caller may read (contacts too: they are told of them)."""
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return of_read_ticket(session, ticket)


def of_read_ticket(session: Session, ticket: Ticket) -> Sequence[Visit]:
    """The visits of a ticket already read through the caller's access."""
    stmt = select(Visit).where(Visit.ticket_id == ticket.id).order_by(Visit.starts_at, Visit.id)
    return session.scalars(stmt).all()


def agenda(
    session: Session,
    *,
    actor: Actor,
    assignee_id: int | None,
    start: datetime,
    end: datetime,
    include_final: bool,
) -> Sequence[Visit]:
    """A technician's or agent's agenda between ``start`` and ``end`` (overlapping windows):
    an agent's own; supervisors and admins anyone's (or everyone's)."""
    ensure_staff(actor)
    if end <= start:
        raise ValidationFailed("must be after start", field="end")
    if end - start > timedelta(days=92):
        raise ValidationFailed("at most 92 days at a time", field="end")
    if actor.role == "agent":
        if assignee_id is not None and assignee_id != actor.user_id:
            raise PermissionDenied("agents see their own agenda")
        assignee_id = actor.user_id
    stmt = select(Visit).where(Visit.starts_at < end, Visit.ends_at > start)
    if assignee_id is not None:
        stmt = stmt.where(Visit.assignee_id == assignee_id)
    if not include_final:
        stmt = stmt.where(Visit.status.not_in(tuple(FINAL)))
    return session.scalars(stmt.order_by(Visit.starts_at, Visit.id).limit(500)).all()


def view(visit: Visit, *, staff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": visit.id,
        "ticket_id": visit.ticket_id,
        "kind": visit.kind,
        "purpose": visit.purpose,
        "status": visit.status,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "address": visit.address,
        "assignee_id": visit.assignee_id,
        "billing": visit.billing,
        "discount_percent": visit.discount_percent,
        "cancel_reason": visit.cancel_reason,
    }
    if staff:
        out.update(
            contact_id=visit.contact_id,
            accepted_by=visit.accepted_by,
            accepted_at=visit.accepted_at,
            reminder=visit.reminder,
            remind_minutes_before=visit.remind_minutes_before,
            notes=visit.notes,
            created_by_id=visit.created_by_id,
            created_at=visit.created_at,
            updated_at=visit.updated_at,
        )
    return out
