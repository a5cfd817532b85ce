"""Every query of presence, pause reasons and absences that ``routing/repository.py`` lacks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.agents.models import STAFF_ROLES, Absence, AgentPresence, PauseReason, PresenceLog, User
from atende.queues.repository import BACKLOG_STATUSES
from atende.tickets.models import Ticket

ABSENCE_IN_FORCE = ("scheduled", "active")

# --- users ----------------------------------------------------------------------------------


def active_staff(session: Session) -> Sequence[User]:
    """Every active staff member, by name."""
    stmt = (
        select(User)
        .where(User.active.is_(True), User.role.in_(STAFF_ROLES))
        .order_by(func.lower(User.name), User.id)
    )
    return session.scalars(stmt).all()


def active_staff_user(session: Session, user_id: int) -> User | None:
    stmt = select(User).where(User.id == user_id, User.active.is_(True), User.role.in_(STAFF_ROLES))
    return session.scalar(stmt)


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


# --- presence -------------------------------------------------------------------------------


def presence_of(session: Session, user_id: int) -> AgentPresence | None:
    return session.get(AgentPresence, user_id)


def open_period(session: Session, user_id: int) -> PresenceLog | None:
    """The agent's current presence period (not ended yet), if any."""
    stmt = (
        select(PresenceLog)
        .where(PresenceLog.user_id == user_id, PresenceLog.ended_at.is_(None))
        .order_by(PresenceLog.started_at.desc(), PresenceLog.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def log_page(
    session: Session,
    *,
    user_id: int | None,
    start: datetime | None,
    end: datetime | None,
    before_id: int | None,
    limit: int,
) -> Sequence[PresenceLog]:
    """Presence periods, newest first; ``start``/``end`` keep the periods that overlap them."""
    stmt = select(PresenceLog)
    if user_id is not None:
        stmt = stmt.where(PresenceLog.user_id == user_id)
    if start is not None:
        stmt = stmt.where(or_(PresenceLog.ended_at.is_(None), PresenceLog.ended_at > start))
    if end is not None:
        stmt = stmt.where(PresenceLog.started_at < end)
    if before_id is not None:
        stmt = stmt.where(PresenceLog.id < before_id)
    return session.scalars(stmt.order_by(PresenceLog.id.desc()).limit(limit)).all()


def idle_user_ids(session: Session, *, cutoff: datetime, limit: int) -> list[int]:
    """Online or paused agents not seen since before ``cutoff`` (``since`` when never seen)."""
    seen = func.coalesce(AgentPresence.last_seen_at, AgentPresence.since)
    stmt = (
        select(AgentPresence.user_id)
        .where(AgentPresence.status.in_(("online", "paused")), seen < cutoff)
        .order_by(AgentPresence.user_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def lock_idle(
    session: Session, user_id: int, *, cutoff: datetime, skip_locked: bool
) -> AgentPresence | None:
    """The agent's presence row, locked, if it is still online/paused and idle."""
    seen = func.coalesce(AgentPresence.last_seen_at, AgentPresence.since)
    stmt = (
        select(AgentPresence)
        .where(
            AgentPresence.user_id == user_id,
            AgentPresence.status.in_(("online", "paused")),
            seen < cutoff,
        )
        .with_for_update(skip_locked=skip_locked)
    )
    return session.scalar(stmt)


def queue_ids_of_tickets(session: Session, ticket_ids: Sequence[int]) -> list[int]:
    if not ticket_ids:
        return []
    stmt = (
        select(Ticket.queue_id)
        .where(Ticket.id.in_(list(ticket_ids)), Ticket.queue_id.is_not(None))
        .distinct()
    )
    return sorted(int(q) for q in session.scalars(stmt) if q is not None)


# --- pause reasons --------------------------------------------------------------------------


def reasons(session: Session, *, include_inactive: bool) -> Sequence[PauseReason]:
    stmt = select(PauseReason)
    if not include_inactive:
        stmt = stmt.where(PauseReason.active.is_(True))
    return session.scalars(stmt.order_by(func.lower(PauseReason.name), PauseReason.id)).all()


def reason_by_name(session: Session, name: str) -> PauseReason | None:
    """The reason called ``name``, ignoring case."""
    stmt = select(PauseReason).where(func.lower(PauseReason.name) == name.lower())
    return session.scalar(stmt)


def reason(session: Session, reason_id: int) -> PauseReason | None:
    return session.get(PauseReason, reason_id)


# --- absences -------------------------------------------------------------------------------


def absence(
    session: Session, absence_id: int, *, lock: bool = False, skip_locked: bool = False
) -> Absence | None:
    stmt = select(Absence).where(Absence.id == absence_id)
    if lock:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return session.scalar(stmt)


def absence_page(
    session: Session,
    *,
    involving: int | None,
    user_id: int | None,
    state: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Absence]:
    """Absences, newest first. ``involving``: only those where that user is the absent agent
    or the substitute."""
    stmt = select(Absence)
    if involving is not None:
        stmt = stmt.where(or_(Absence.user_id == involving, Absence.substitute_id == involving))
    if user_id is not None:
        stmt = stmt.where(Absence.user_id == user_id)
    if state is not None:
        stmt = stmt.where(Absence.state == state)
    if before_id is not None:
        stmt = stmt.where(Absence.id < before_id)
    return session.scalars(stmt.order_by(Absence.id.desc()).limit(limit)).all()


def overlapping(
    session: Session, *, user_id: int, starts_at: datetime, ends_at: datetime, as_substitute: bool
) -> Absence | None:
    """An absence in force (scheduled or active) of ``user_id`` (or, with ``as_substitute``,
    one they cover for) that overlaps ``[starts_at, ends_at)``."""
    who = Absence.substitute_id if as_substitute else Absence.user_id
    stmt = (
        select(Absence)
        .where(
            who == user_id,
            Absence.state.in_(ABSENCE_IN_FORCE),
            Absence.starts_at < ends_at,
            Absence.ends_at > starts_at,
        )
        .order_by(Absence.starts_at, Absence.id)
        .limit(1)
    )
    return session.scalar(stmt)


def due_to_start(session: Session, *, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(Absence.id)
        .where(Absence.state == "scheduled", Absence.starts_at <= now)
        .order_by(Absence.starts_at, Absence.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def due_to_end(session: Session, *, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(Absence.id)
        .where(Absence.state == "active", Absence.ends_at <= now)
        .order_by(Absence.ends_at, Absence.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def open_ticket_ids_of(session: Session, user_id: int) -> list[int]:
    """The agent's open tickets (new, open, pending_*), oldest first."""
    stmt = (
        select(Ticket.id)
        .where(Ticket.assignee_id == user_id, Ticket.status.in_(BACKLOG_STATUSES))
        .order_by(Ticket.id)
    )
    return list(session.scalars(stmt))


def returnable_ticket_ids(
    session: Session, ticket_ids: Sequence[int], *, substitute_id: int
) -> list[int]:
    """Of ``ticket_ids``, those still open and still assigned to the substitute."""
    if not ticket_ids:
        return []
    stmt = (
        select(Ticket.id)
        .where(
            Ticket.id.in_(list(ticket_ids)),
            Ticket.assignee_id == substitute_id,
            Ticket.status.in_(BACKLOG_STATUSES),
        )
        .order_by(Ticket.id)
    )
    return list(session.scalars(stmt))


def insert_presence(session: Session, user_id: int, *, now: datetime) -> None:
    """Create the agent's presence row (offline) unless a concurrent request just did."""
    try:
        with session.begin_nested():
            session.add(AgentPresence(user_id=user_id, status="offline", since=now))
    except IntegrityError:
        pass  # created meanwhile by another transaction: the caller locks it next
