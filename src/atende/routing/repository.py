"""Every query of routing: loads, capacities, availability, the queue line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.customers.models import Organization, Plan
from atende.queues.models import Queue, QueueMember
from atende.routing.models import Absence, AgentPresence, TicketFollower
from atende.tickets.models import Ticket

BACKLOG_STATUSES = ("new", "open", "pending_customer", "pending_internal")
WAITING_STATUSES = ("new", "open")


def open_counts(session: Session, user_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """``user_id -> (open assigned tickets, active chats)``."""
    out = {u: (0, 0) for u in user_ids}
    if not user_ids:
        return out
    is_chat = and_(
        Ticket.channel == "chat",
        Ticket.status.in_(WAITING_STATUSES),
        Ticket.chat_ended_at.is_(None),
    )
    rows = session.execute(
        select(
            Ticket.assignee_id,
            func.count(),
            func.sum(case((is_chat, 1), else_=0)),
        )
        .where(Ticket.assignee_id.in_(list(user_ids)), Ticket.status.in_(BACKLOG_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    for user_id, total, chats in rows:
        out[int(user_id)] = (int(total), int(chats or 0))
    return out


def users(session: Session, user_ids: Sequence[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = session.scalars(select(User).where(User.id.in_(list(user_ids))))
    return {u.id: u for u in rows}


def queue_defaults(
    session: Session, user_ids: Sequence[int]
) -> dict[int, tuple[int | None, int | None]]:
    """``user_id -> (smallest default max open tickets, smallest default max chats)`` over the
    queues the user belongs to."""
    out: dict[int, tuple[int | None, int | None]] = {u: (None, None) for u in user_ids}
    if not user_ids:
        return out
    rows = session.execute(
        select(
            QueueMember.user_id,
            func.min(Queue.default_max_open_tickets),
            func.min(Queue.default_max_chats),
        )
        .join(Queue, Queue.id == QueueMember.queue_id)
        .where(QueueMember.user_id.in_(list(user_ids)))
        .group_by(QueueMember.user_id)
    )
    for user_id, tickets, chats in rows:
        out[int(user_id)] = (tickets, chats)
    return out


def presence(session: Session, user_ids: Sequence[int]) -> dict[int, AgentPresence]:
    if not user_ids:
        return {}
    rows = session.scalars(select(AgentPresence).where(AgentPresence.user_id.in_(list(user_ids))))
    return {p.user_id: p for p in rows}


def absent_user_ids(session: Session, user_ids: Sequence[int], now: datetime) -> set[int]:
    """Users with an absence in force at ``now`` (scheduled or active, not cancelled/ended)."""
    if not user_ids:
        return set()
    rows = session.scalars(
        select(Absence.user_id).where(
            Absence.user_id.in_(list(user_ids)),
            Absence.state.in_(("scheduled", "active")),
            Absence.starts_at <= now,
            Absence.ends_at > now,
        )
    )
    return set(rows)


def queue(session: Session, queue_id: int) -> Queue | None:
    return session.get(Queue, queue_id)


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


def touch_member(session: Session, queue_id: int, user_id: int, now: datetime) -> None:
    session.execute(
        update(QueueMember)
        .where(QueueMember.queue_id == queue_id, QueueMember.user_id == user_id)
        .values(last_assigned_at=now)
        .execution_options(synchronize_session=False)
    )


def priority_class(session: Session, organization_id: int | None) -> int:
    if organization_id is None:
        return 0
    org = session.get(Organization, organization_id)  # usually in the session already
    if org is None:
        return 0
    from atende.routing.assignment import KEY_ACCOUNT_CLASS

    if org.key_account:
        return KEY_ACCOUNT_CLASS
    plan = session.get(Plan, org.plan_id) if org.plan_id is not None else None
    return int(plan.rank or 0) if plan is not None else 0


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


def followers(session: Session, ticket_id: int) -> list[int]:
    stmt = select(TicketFollower.user_id).where(TicketFollower.ticket_id == ticket_id)
    return list(session.scalars(stmt.order_by(TicketFollower.user_id)))


def follower(session: Session, ticket_id: int, user_id: int) -> TicketFollower | None:
    return session.get(TicketFollower, (ticket_id, user_id))


def lock_presence(session: Session, user_id: int) -> AgentPresence | None:
    """The agent's presence row, locked: one pull at a time per agent (capacity holds)."""
    stmt = select(AgentPresence).where(AgentPresence.user_id == user_id).with_for_update()
    return session.scalar(stmt)


def on_call_page(
    session: Session, *, start: datetime, end: datetime, after_id: int | None, limit: int
) -> Sequence[Ticket]:
    stmt = (
        select(Ticket)
        .where(Ticket.on_call.is_(True), Ticket.created_at >= start, Ticket.created_at < end)
        .order_by(Ticket.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(Ticket.id > after_id)
    return session.scalars(stmt).all()


def wait_stats(
    session: Session, *, queue_id: int, start: datetime, end: datetime
) -> tuple[int, float | None, int | None]:
    """(assignments, average wait in seconds, longest wait) of a queue in ``[start, end)``."""
    from atende.routing.models import QueueWait

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
