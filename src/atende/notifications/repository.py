"""Every query of staff notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from atende.agents.models import User
from atende.notifications.models import Notification
from atende.queues.models import QueueMember


def exists(session: Session, user_id: int, key: str) -> bool:
    stmt = select(Notification.id).where(Notification.user_id == user_id, Notification.key == key)
    return session.scalar(stmt) is not None


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Insert the notifications ``rows`` a user does not have yet (per ``key``) in one
    statement; ``(id, user_id)`` of those written."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Notification.id, Notification.user_id)
    )
    # one row at a time would be executemany; VALUES of every row is one statement
    return [(int(i), int(u)) for i, u in session.execute(stmt.values(list(rows)))]


def active_staff(session: Session, user_ids: Sequence[int]) -> Sequence[User]:
    if not user_ids:
        return []
    stmt = (
        select(User)
        .where(User.id.in_(list(user_ids)), User.active.is_(True))
        .where(User.role.in_(("admin", "supervisor", "agent")))
        .order_by(User.id)
    )
    return session.scalars(stmt).all()


def escalation_recipients(
    session: Session, *, assignee_id: int | None, queue_id: int | None, supervisors: bool
) -> Sequence[User]:
    """In one statement: the assignee ``assignee_id`` if active staff, and with
    ``supervisors`` the queue's active supervisor members (with none, or no queue, every active
    supervisor), as `active_staff` and `queue_supervisors` would answer them together."""
    wanted: list[ColumnElement[bool]] = []
    if assignee_id is not None:
        wanted.append(and_(User.id == assignee_id, User.role.in_(("admin", "supervisor", "agent"))))
    if supervisors:
        if queue_id is None:
            wanted.append(User.role == "supervisor")
        else:
            member = aliased(User)
            queue_supervisor = (
                select(QueueMember.user_id)
                .join(member, member.id == QueueMember.user_id)
                .where(QueueMember.queue_id == queue_id)
                .where(member.role == "supervisor", member.active.is_(True))
            )
            wanted.append(
                and_(
                    User.role == "supervisor",
                    or_(User.id.in_(queue_supervisor), ~queue_supervisor.exists()),
                )
            )
    if not wanted:
        return []
    stmt = select(User).where(User.active.is_(True), or_(*wanted)).order_by(User.id)
    return session.scalars(stmt).all()


def queue_supervisors(session: Session, queue_id: int | None) -> Sequence[User]:
    """The queue's supervisor members; with none (or no queue), every active supervisor."""
    if queue_id is not None:
        stmt = (
            select(User)
            .join(QueueMember, QueueMember.user_id == User.id)
            .where(QueueMember.queue_id == queue_id)
            .where(User.role == "supervisor", User.active.is_(True))
            .order_by(User.id)
        )
        found = session.scalars(stmt).all()
        if found:
            return found
    stmt = select(User).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)
    return session.scalars(stmt).all()


def page(
    session: Session, *, user_id: int, unread_only: bool, before_id: int | None, limit: int
) -> Sequence[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)).all()


def mark_read(session: Session, *, user_id: int, ids: Sequence[int] | None, now: datetime) -> int:
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result = session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def get(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
