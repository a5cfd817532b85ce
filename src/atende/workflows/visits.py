"""Visits and appointments as the edges call them: the visits area's command, then the settle
loop (the booking is on the ticket's timeline and stream)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.visits import service
from atende.visits.models import Visit
from atende.workflows.settle import settle


def book(
    session: Session, *, actor: Actor, ticket_id: int, data: dict[str, Any], now: datetime
) -> Visit:
    visit, changes = service.book(session, actor=actor, ticket_id=ticket_id, data=data, now=now)
    settle(session, changes, now=now)
    return visit


def update(
    session: Session, *, actor: Actor, visit_id: int, changes: dict[str, Any], now: datetime
) -> Visit:
    visit, changed = service.update(
        session, actor=actor, visit_id=visit_id, changes=changes, now=now
    )
    if changed:
        settle(session, changed, now=now)
    return visit
