"""Every query of routing: loads, capacities, availability, the queue line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.queues.models import Queue, QueueMember, QueueWait
from atende.queues.repository import WAITING_STATUSES
from atende.tickets.models import Ticket


def auto_queues(session: Session, queue_ids: Sequence[int] | None) -> Sequence[Queue]:
    if queue_ids is not None:  # a few queues, usually already in the session: no query then
        found = (session.get(Queue, queue_id) for queue_id in sorted(set(queue_ids)))
        return [q for q in found if q is not None and q.assignment_mode != "manual"]
    stmt = select(Queue).where(Queue.assignment_mode != "manual").order_by(Queue.id)
    return session.scalars(stmt).all()


def members(session: Session, queue_id: int) -> Sequence[QueueMember]:
    stmt = select(QueueMember).where(QueueMember.queue_id == queue_id).order_by(QueueMember.user_id)
    return session.scalars(stmt).all()


def queue_ids_of(session: Session, user_id: int) -> list[int]:
    stmt = select(QueueMember.queue_id).where(QueueMember.user_id == user_id)
    return list(session.scalars(stmt))


def line(
    session: Session, queue_id: int, *, limit: int, lock: bool, skip_locked: bool
) -> Sequence[Ticket]:
    """The waiting tickets of a queue in routing order: sent back to the front first, then the
    priority class (key accounts, higher plans), the earliest SLA due instant, arrival."""
    stmt = (
        select(Ticket)
        .where(
            Ticket.queue_id == queue_id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(WAITING_STATUSES),
        )
        .order_by(
            Ticket.queue_front.desc(),
            Ticket.priority_class.desc(),
            Ticket.sla_due_at.is_(None),
            Ticket.sla_due_at,
            Ticket.queue_entered_at,
            Ticket.id,
        )
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return session.scalars(stmt).all()


def unanswered_chats(session: Session, user_id: int) -> Sequence[Ticket]:
    stmt = (
        select(Ticket)
        .where(
            Ticket.assignee_id == user_id,
            Ticket.channel == "chat",
            Ticket.status == "new",
            Ticket.first_response_at.is_(None),
        )
        .order_by(Ticket.id)
        .with_for_update()
    )
    return session.scalars(stmt).all()


def on_call_page(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    after_id: int | None,
    limit: int,
    reviewed: bool | None = None,
) -> Sequence[Ticket]:
    stmt = (
        select(Ticket)
        .where(Ticket.on_call.is_(True), Ticket.created_at >= start, Ticket.created_at < end)
        .order_by(Ticket.id)
        .limit(limit)
    )
    if reviewed is not None:
        reviewed_at = Ticket.on_call_reviewed_at
        stmt = stmt.where(reviewed_at.is_not(None) if reviewed else reviewed_at.is_(None))
    if after_id is not None:
        stmt = stmt.where(Ticket.id > after_id)
    return session.scalars(stmt).all()


def wait_stats(
    session: Session, *, queue_id: int, start: datetime, end: datetime
) -> tuple[int, float | None, int | None]:
    """(assignments, average wait in seconds, longest wait) of a queue in ``[start, end)``."""
    row = session.execute(
        select(func.count(), func.avg(QueueWait.wait_seconds), func.max(QueueWait.wait_seconds))
        .where(QueueWait.queue_id == queue_id)
        .where(QueueWait.assigned_at >= start, QueueWait.assigned_at < end)
    ).one()
    count, avg, longest = row
    return int(count), (float(avg) if avg is not None else None), longest


def claim_waiting(session: Session, ticket_id: int, *, skip_locked: bool) -> Ticket | None:
    """Lock one ticket of a line if it is still waiting (unassigned); None when another
    transaction holds it (PostgreSQL: skipped, not waited for) or took it meanwhile."""
    stmt = (
        select(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.assignee_id.is_(None),
            Ticket.status.in_(WAITING_STATUSES),
        )
        .with_for_update(skip_locked=skip_locked)
    )
    found = session.scalar(stmt)
    if found is not None:
        session.refresh(found)  # the identity map may hold a row read before the lock
        if found.assignee_id is not None or found.status not in WAITING_STATUSES:
            return None
    return found
