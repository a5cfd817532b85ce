from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from atende.agents.models import Absence, AgentPresence, User
from atende.customers.models import Organization, Plan
from atende.queues.models import Queue, QueueMember
from atende.tickets.models import Ticket, TicketFollower

KEY_ACCOUNT_CLASS = 1001
"""Priority class of a key account: above every plan rank (0-1000)."""
BACKLOG_STATUSES = ("new", "open", "pending_customer", "pending_internal", "scheduled")
WAITING_STATUSES = ("new", "open")


def queues(session: Session) -> Sequence[Queue]:
    return session.scalars(select(Queue).order_by(Queue.name)).all()


def queue_by_name(session: Session, name: str) -> Queue | None:
    return session.scalar(select(Queue).where(func.lower(Queue.name) == name.lower()))


def triage_queue(session: Session) -> Queue | None:
    return session.scalar(select(Queue).where(Queue.triage.is_(True)))


def members_by_queue(session: Session, queue_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {q: [] for q in queue_ids}
    if not queue_ids:
        return out
    rows = session.execute(
        select(QueueMember.queue_id, QueueMember.user_id)
        .where(QueueMember.queue_id.in_(queue_ids))
        .order_by(QueueMember.user_id)
    )
    for queue_id, user_id in rows:
        out[queue_id].append(user_id)
    return out


def set_members(session: Session, queue_id: int, user_ids: list[int]) -> None:
    """Make the members exactly ``user_ids`` (those who stay keep their round-robin turn)."""
    wanted = set(user_ids)
    current = set(
        session.scalars(select(QueueMember.user_id).where(QueueMember.queue_id == queue_id))
    )
    gone = current - wanted
    if gone:
        session.execute(
            delete(QueueMember).where(
                QueueMember.queue_id == queue_id, QueueMember.user_id.in_(sorted(gone))
            )
        )
    session.add_all(QueueMember(queue_id=queue_id, user_id=u) for u in sorted(wanted - current))


# --- the line and capacity (queues/line.py) ---------------------------------------------


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
    if org.key_account:
        return KEY_ACCOUNT_CLASS
    plan = session.get(Plan, org.plan_id) if org.plan_id is not None else None
    return int(plan.rank or 0) if plan is not None else 0


def followers(session: Session, ticket_id: int) -> list[int]:
    stmt = select(TicketFollower.user_id).where(TicketFollower.ticket_id == ticket_id)
    return list(session.scalars(stmt.order_by(TicketFollower.user_id)))


def lock_presence(session: Session, user_id: int) -> AgentPresence | None:
    """The agent's presence row, locked: one pull at a time per agent (capacity holds)."""
    stmt = select(AgentPresence).where(AgentPresence.user_id == user_id).with_for_update()
    return session.scalar(stmt)


def follower(session: Session, ticket_id: int, user_id: int) -> TicketFollower | None:
    return session.get(TicketFollower, (ticket_id, user_id))
