"""The SLA engine reads the history the tickets API really writes (an import with messages and
status changes), so that imported tickets get the state their history implies.

``reevaluate`` is called here explicitly: it is idempotent, so this holds whether or not the
tickets service already calls it from its ``_after_change`` hook.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.sla import clocks as sla_clocks
from atende.sla import views as sla_views
from atende.tickets.models import Ticket
from tests.sla.helpers import events, make_calendar, make_policy, utc

SP = ZoneInfo("America/Sao_Paulo")


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def test_imported_ticket_through_the_api(admin: Any, db: Session) -> None:
    cal = make_calendar(admin)
    make_policy(
        admin,
        "Standard",
        cal,
        first_response_minutes=60,
        next_response_minutes=60,
        resolution_minutes=960,
    )
    r = admin.post(
        "/api/v1/tickets",
        json={
            "subject": "NF-e rejeitada",
            "body": "A nota foi rejeitada",
            "channel": "email",
            "requester": {"name": "Ana", "email": "ana@example.com"},
            "created_at": sp(2026, 3, 3, 11, 30).isoformat(),
            "status": "resolved",
            "resolved_at": sp(2026, 3, 4, 10, 0).isoformat(),
            "messages": [
                {
                    "author": "agent",
                    "body": "Olá",
                    "created_at": sp(2026, 3, 3, 13, 50).isoformat(),
                },
                {
                    "author": "contact",
                    "body": "Ainda",
                    "created_at": sp(2026, 3, 3, 17, 30).isoformat(),
                },
                {
                    "author": "agent",
                    "body": "Feito",
                    "created_at": sp(2026, 3, 4, 9, 30).isoformat(),
                },
            ],
        },
    )
    assert r.status_code == 201, r.text
    ticket = db.get(Ticket, r.json()["id"])
    assert ticket is not None
    sla_clocks.reevaluate(db, ticket=ticket, now=sp(2026, 3, 10, 12, 0))
    sla_clocks.reevaluate(db, ticket=ticket, now=sp(2026, 3, 10, 12, 0))  # idempotent
    view = sla_views.sla_view(db, ticket)
    assert view is not None
    targets = view["targets"]
    # First response: 11:30-12:00 and 13:30-13:50 = 50 min, due 14:00.
    assert targets["first_response"]["state"] == "met"
    assert targets["first_response"]["business_seconds_used"] == 50 * 60
    assert targets["first_response"]["due_at"] == utc(sp(2026, 3, 3, 14, 0))
    # Next response: from 17:30, 30 min that evening, due 09:00 next day; answered 09:30.
    assert targets["next_response"]["state"] == "breached"
    assert targets["next_response"]["breached_at"] == utc(sp(2026, 3, 4, 9, 0))
    # Resolution: 960 min from Tue 11:30; resolved Wed 10:00, well within.
    assert targets["resolution"]["state"] == "met"
    assert targets["resolution"]["met_at"] == utc(sp(2026, 3, 4, 10, 0))
    kinds = [k for k, _ in events(db, ticket)]
    assert kinds.count("sla_policy") == 1
    assert kinds.count("sla_breached") == 1
    assert kinds.count("sla_met") == 2
    assert ticket.next_sla_deadline is None

    # The SLA events show in the ticket's timeline, at the instants they happened.
    db.commit()
    timeline = admin.get(f"/api/v1/tickets/{ticket.id}/timeline")
    assert timeline.status_code == 200, timeline.text
    entries = [(e["kind"], e["detail"]) for e in timeline.json() if e["entry"] == "event"]
    assert ("sla_met", "first response met 10 min before due") in entries
