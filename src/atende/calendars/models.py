"""Business calendars as stored: the JSON shapes of the API, checked by the domain on save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, IdMixin, UTCDateTime, utcnow


class Calendar(IdMixin, Base):
    """Opening hours, holidays and exceptions in one IANA timezone.

    ``weekly_hours``: ``{"monday": [["08:30", "12:00"], ...], ...}``; ``holidays``:
    ``{"country", "subdivision", "categories"}`` or null; ``extra_closed``: ISO dates;
    ``partial_days``: ``{"2026-12-24": [["08:30", "12:00"]]}``.
    """

    __tablename__ = "calendars"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    holidays: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    extra_closed: Mapped[list[str]] = mapped_column(JSON, default=list)
    partial_days: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    open_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
