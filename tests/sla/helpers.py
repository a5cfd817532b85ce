"""Small factories for the SLA tests: calendars and policies through the API; tickets with a
history written straight to the tables (so that every instant is under the test's control)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.customers.models import Contact, Organization, Plan
from atende.tickets.models import Message, Ticket, TicketEvent

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SPLIT_HOURS: dict[str, Any] = {
    **{d: [["08:30", "12:00"], ["13:30", "18:00"]] for d in WEEKDAYS[:5]},
    "saturday": [],
    "sunday": [],
}
EVERY_DAY_HOURS: dict[str, Any] = {d: [["08:00", "21:00"]] for d in WEEKDAYS}


def make_calendar(admin: Any, name: str = "Split", **fields: Any) -> int:
    body = {
        "name": name,
        "timezone": "America/Sao_Paulo",
        "weekly_hours": SPLIT_HOURS,
        "holidays": {"country": "BR", "subdivision": None, "categories": ["public"]},
        **fields,
    }
    r = admin.post("/api/v1/calendars", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def make_policy(admin: Any, name: str, calendar_id: int, **fields: Any) -> dict[str, Any]:
    r = admin.post(
        "/api/v1/sla-policies", json={"name": name, "calendar_id": calendar_id, **fields}
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def make_org(db: Session, name: str, *, plan: str | None = None, **fields: Any) -> Organization:
    plan_id = None
    if plan is not None:
        row = Plan(name=plan)
        db.add(row)
        db.flush()
        plan_id = row.id
    org = Organization(name=name, plan_id=plan_id, **fields)
    db.add(org)
    db.flush()
    return org


class TicketBuilder:
    """A ticket and its timeline, written at given instants (like the tickets service does)."""

    def __init__(
        self,
        db: Session,
        created_at: datetime,
        *,
        channel: str = "email",
        organization: Organization | None = None,
        priority: str = "normal",
    ) -> None:
        self.db = db
        contact = Contact(
            name="Cliente",
            email=f"c{id(self)}@example.test",
            organization_id=organization.id if organization else None,
        )
        db.add(contact)
        db.flush()
        self.ticket = Ticket(
            subject="Problema",
            status="new",
            priority=priority,
            channel=channel,
            requester_id=contact.id,
            organization_id=organization.id if organization else None,
            created_at=created_at,
            updated_at=created_at,
            timeline_count=0,
            custom_fields={},
        )
        db.add(self.ticket)
        db.flush()
        self.contact_message(created_at)

    def _position(self) -> int:
        self.ticket.timeline_count += 1
        return self.ticket.timeline_count

    def _message(self, at: datetime, author: str, public: bool = True) -> None:
        self.db.add(
            Message(
                ticket_id=self.ticket.id,
                position=self._position(),
                author_kind=author,
                public=public,
                body_html="<p>x</p>",
                body_text="x",
                created_at=at,
            )
        )
        self.db.flush()

    def contact_message(self, at: datetime) -> TicketBuilder:
        self._message(at, "contact")
        self.ticket.last_contact_message_at = at
        return self

    def agent_reply(self, at: datetime, *, public: bool = True) -> TicketBuilder:
        self._message(at, "agent", public)
        if public and self.ticket.first_response_at is None:
            self.ticket.first_response_at = at
        return self

    def status(self, at: datetime, status: str) -> TicketBuilder:
        before = self.ticket.status
        self.db.add(
            TicketEvent(
                ticket_id=self.ticket.id,
                position=self._position(),
                kind="status",
                before=before,
                after=status,
                created_at=at,
            )
        )
        self.ticket.status = status
        if status == "resolved":
            self.ticket.resolved_at = at
        self.db.flush()
        return self


def events(db: Session, ticket: Ticket, prefix: str = "sla") -> list[tuple[str, str]]:
    from sqlalchemy import select

    rows = db.execute(
        select(TicketEvent.kind, TicketEvent.detail)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.startswith(prefix))
        .order_by(TicketEvent.position)
    )
    return [(r[0], r[1]) for r in rows]


def utc(dt: datetime | None) -> datetime | None:
    return dt.astimezone(UTC) if dt is not None else None
