"""Every query of the SLA area: policies, a ticket's facts and history, its stored clocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from atende.sla.models import SlaPolicy, TicketSla, TicketSlaTarget
from atende.tickets.models import Message, Ticket, TicketEvent

# -- policies --------------------------------------------------------------------------------


def policies(session: Session) -> Sequence[SlaPolicy]:
    """Every policy in evaluation order."""
    return session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)).all()


def policy(session: Session, policy_id: int) -> SlaPolicy | None:
    return session.get(SlaPolicy, policy_id)


def policy_by_name(session: Session, name: str) -> SlaPolicy | None:
    return session.scalar(select(SlaPolicy).where(func.lower(SlaPolicy.name) == name.lower()))


def last_position(session: Session) -> int | None:
    return session.scalar(select(func.max(SlaPolicy.position)))


# -- a ticket's facts and history ------------------------------------------------------------


def message_events(session: Session, ticket_id: int) -> Sequence[tuple[datetime, str, bool, int]]:
    """``(created_at, author_kind, public, position)`` of every message, in timeline order."""
    rows = session.execute(
        select(Message.created_at, Message.author_kind, Message.public, Message.position)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.created_at, Message.position)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def status_events(session: Session, ticket_id: int) -> Sequence[tuple[datetime, Any, Any]]:
    """``(created_at, before, after)`` of every status change, in timeline order."""
    rows = session.execute(
        select(TicketEvent.created_at, TicketEvent.before, TicketEvent.after)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "status")
        .order_by(TicketEvent.created_at, TicketEvent.position)
    )
    return [(r[0], r[1], r[2]) for r in rows]


# -- stored clocks ---------------------------------------------------------------------------


def ticket_sla(session: Session, ticket_id: int) -> TicketSla | None:
    return session.get(TicketSla, ticket_id)


def targets_of(session: Session, ticket_id: int) -> dict[str, TicketSlaTarget]:
    rows = session.scalars(select(TicketSlaTarget).where(TicketSlaTarget.ticket_id == ticket_id))
    return {row.kind: row for row in rows}


def delete_targets(session: Session, ticket_id: int, kinds: Sequence[str]) -> None:
    if kinds:
        session.execute(
            delete(TicketSlaTarget).where(
                TicketSlaTarget.ticket_id == ticket_id, TicketSlaTarget.kind.in_(list(kinds))
            )
        )


def due_ticket_ids(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Tickets whose next SLA deadline (warning or due) has come: for the sweeper."""
    return list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.next_sla_deadline.is_not(None), Ticket.next_sla_deadline <= now)
            .order_by(Ticket.next_sla_deadline, Ticket.id)
            .limit(limit)
        )
    )


def open_ticket_ids_of_organization(session: Session, organization_id: int) -> list[int]:
    """Tickets of an organization whose clocks can still move (not resolved or closed)."""
    stmt = (
        select(Ticket.id)
        .where(Ticket.organization_id == organization_id)
        .where(
            Ticket.status.in_(("new", "open", "pending_customer", "pending_internal", "scheduled"))
        )
        .order_by(Ticket.id)
    )
    return list(session.scalars(stmt))


def lock_due_ticket(
    session: Session, ticket_id: int, *, now: datetime, skip_locked: bool
) -> Ticket | None:
    """The ticket, row-locked, if its deadline is still due (another worker may have swept it
    already; on PostgreSQL a ticket locked by another transaction is skipped, not waited for)."""
    stmt = select(Ticket).where(
        Ticket.id == ticket_id,
        Ticket.next_sla_deadline.is_not(None),
        Ticket.next_sla_deadline <= now,
    )
    stmt = stmt.with_for_update(skip_locked=skip_locked)
    return session.scalar(stmt)


def open_ticket_ids_after(session: Session, *, after_id: int, limit: int) -> list[int]:
    """Open tickets (clocks can still move) in id order after ``after_id``: bulk re-evaluation."""
    stmt = (
        select(Ticket.id)
        .where(Ticket.id > after_id)
        .where(
            Ticket.status.in_(("new", "open", "pending_customer", "pending_internal", "scheduled"))
        )
        .order_by(Ticket.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
