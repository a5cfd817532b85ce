"""Breach reasons: after a target is breached, a supervisor records why (for the reports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import Conflict, PermissionDenied, ValidationFailed
from atende.sla import repository
from atende.sla.models import BREACH_REASONS, SlaBreachReason
from atende.tickets import service as ticket_service
from atende.tickets.timeline import record_event

CATEGORY_LABELS = {
    "waiting_other_department": "waiting on another department",
    "many_exchanges": "many exchanges",
    "wrong_first_solution": "wrong first solution",
    "customer_unreachable": "customer unreachable",
    "other": "other",
}


def record_reason(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    kind: str,
    category: str,
    note: str,
    now: datetime,
) -> SlaBreachReason:
    if actor.role not in ("admin", "supervisor"):
        raise PermissionDenied("only supervisors and admins record breach reasons")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    ticket = ticket_service.lock(session, ticket)  # the timeline position is counted on it
    if category not in BREACH_REASONS:
        raise ValidationFailed(
            "unknown category {category!r}: one of {breach_reasons}",
            field="category",
            category=category,
            breach_reasons=", ".join(BREACH_REASONS),
        )
    if category == "other" and not note.strip():
        raise ValidationFailed("say what the reason was when the category is 'other'", field="note")
    target = repository.targets_of(session, ticket.id).get(kind)
    if target is None or target.state != "breached":
        raise Conflict(
            "the ticket's {value} target is not breached",
            field="kind",
            value=kind.replace("_", " "),
        )
    reason = SlaBreachReason(
        ticket_id=ticket.id, kind=kind, cycle=target.cycle, category=category,
        note=note.strip(), user_id=actor.user_id, created_at=now,
    )  # fmt: skip
    session.add(reason)
    detail = f"{kind.replace('_', ' ')} breach reason: {CATEGORY_LABELS[category]}"
    if note.strip():
        detail += f" ({note.strip()})"
    record_event(
        session, ticket, actor=actor, kind="sla_breach_reason", at=now, after=category,
        detail=detail, public=False,
    )  # fmt: skip
    session.flush()
    return reason


def reasons_of(session: Session, *, actor: Actor, ticket_id: int) -> Sequence[SlaBreachReason]:
    if not actor.is_staff:
        raise PermissionDenied("only staff see breach reasons")
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    stmt = (
        select(SlaBreachReason)
        .where(SlaBreachReason.ticket_id == ticket.id)
        .order_by(SlaBreachReason.id)
    )
    return session.scalars(stmt).all()
