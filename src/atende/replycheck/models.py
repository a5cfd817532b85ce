"""The reply check's lists and the record of every change to them (docs/reply-check.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class ReplyCheckList(Base):
    """One list (``promises``, ``deadlines``, ``departments``, ``closing_questions``,
    ``auxiliaries``): its items as ``[{"phrase", "suggestion"}]``, seeded by migration 0014."""

    __tablename__ = "reply_check_lists"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )


class ReplyCheckListChange(IdMixin, Base):
    """A replacement of a list: who, when, the items before and after."""

    __tablename__ = "reply_check_list_changes"
    __table_args__ = (Index("ix_reply_check_list_changes_list", "list_name", "id"),)

    list_name: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    after: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
