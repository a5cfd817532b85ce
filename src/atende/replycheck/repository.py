"""Every query of the reply check's lists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.replycheck.models import ReplyCheckList, ReplyCheckListChange


def all_lists(session: Session) -> Sequence[ReplyCheckList]:
    return session.scalars(select(ReplyCheckList).order_by(ReplyCheckList.name)).all()


def list_for_update(session: Session, name: str) -> ReplyCheckList | None:
    """The row of list ``name``, locked until the transaction ends (edits are serialised)."""
    return session.scalars(
        select(ReplyCheckList).where(ReplyCheckList.name == name).with_for_update()
    ).one_or_none()


def changes(
    session: Session, *, name: str, before_id: int | None, limit: int
) -> Sequence[ReplyCheckListChange]:
    """The changes of list ``name``, newest first, older than ``before_id`` when given."""
    stmt = select(ReplyCheckListChange).where(ReplyCheckListChange.list_name == name)
    if before_id is not None:
        stmt = stmt.where(ReplyCheckListChange.id < before_id)
    return session.scalars(stmt.order_by(ReplyCheckListChange.id.desc()).limit(limit)).all()
