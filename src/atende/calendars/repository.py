"""Every query of the calendars area."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.calendars.models import Calendar


def calendars(session: Session) -> Sequence[Calendar]:
    return session.scalars(select(Calendar).order_by(Calendar.name, Calendar.id)).all()


def calendar(session: Session, calendar_id: int) -> Calendar | None:
    return session.get(Calendar, calendar_id)


def calendar_by_name(session: Session, name: str) -> Calendar | None:
    return session.scalar(select(Calendar).where(func.lower(Calendar.name) == name.lower()))


def default_calendar_id(session: Session) -> int | None:
    """The default calendar: the first one created."""
    return session.scalar(select(Calendar.id).order_by(Calendar.id).limit(1))
