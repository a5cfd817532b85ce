"""Every query of staff notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.notifications.models import Notification
from atende.queues.models import QueueMember


def exists(session: Session, user_id: int, key: str) -> bool:
    stmt = select(Notification.id).where(Notification.user_id == user_id, Notification.key == key)
    return session.scalar(stmt) is not None


def notified(session: Session, user_ids: Sequence[int], key: str) -> set[int]:
    """Which of ``user_ids`` already have the notification ``key`` (one statement)."""
    if not user_ids:
        return set()
    stmt = select(Notification.user_id).where(
        Notification.key == key, Notification.user_id.in_(list(user_ids))
    )
    return set(session.scalars(stmt))


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
