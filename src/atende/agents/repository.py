from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.queues.models import QueueMember


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def user_page(
    session: Session, *, after_id: int | None, limit: int, role: str | None, q: str | None
) -> Sequence[User]:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if q:  # the text as typed: % and _ are letters here, not wildcards
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(User.name.ilike(like, escape="\\") | User.email.ilike(like, escape="\\"))
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return session.scalars(stmt.order_by(User.id).limit(limit)).all()


def active_admin_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.active.is_(True))
        )
        or 0
    )


def queue_ids_by_user(session: Session, user_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = session.execute(
        select(QueueMember.user_id, QueueMember.queue_id)
        .where(QueueMember.user_id.in_(user_ids))
        .order_by(QueueMember.queue_id)
    )
    for user_id, queue_id in rows:
        out[user_id].append(queue_id)
    return out


def set_user_queues(session: Session, user_id: int, queue_ids: list[int]) -> None:
    session.execute(delete(QueueMember).where(QueueMember.user_id == user_id))
    session.add_all(QueueMember(user_id=user_id, queue_id=q) for q in sorted(set(queue_ids)))
