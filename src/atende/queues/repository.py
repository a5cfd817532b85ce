from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from atende.queues.models import Queue, QueueMember


def queues(session: Session) -> Sequence[Queue]:
    return session.scalars(select(Queue).order_by(Queue.name)).all()


def queue_by_name(session: Session, name: str) -> Queue | None:
    return session.scalar(select(Queue).where(func.lower(Queue.name) == name.lower()))


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
