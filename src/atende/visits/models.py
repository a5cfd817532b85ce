"""A visit or an appointment booked on a ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

KINDS = ("field_desk", "appointment")
STATUSES = ("scheduled", "on_the_way", "done", "cancelled")
FINAL = frozenset({"done", "cancelled"})
BILLING = ("included", "paid", "none")
REMINDERS = ("email", "none")


class Visit(IdMixin, Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_assignee_starts", "assignee_id", "starts_at"),
        Index("ix_visits_starts", "starts_at"),
        CheckConstraint("kind IN ('field_desk', 'appointment')", name="ck_visits_kind"),
        CheckConstraint(
            "status IN ('scheduled', 'on_the_way', 'done', 'cancelled')", name="ck_visits_status"
        ),
        CheckConstraint("ends_at > starts_at", name="ck_visits_window"),
    )

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="RESTRICT"))
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    billing: Mapped[str] = mapped_column(String(20), default="none")
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    accepted_by: Mapped[str] = mapped_column(String(200), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder: Mapped[str] = mapped_column(String(20), default="email")
    remind_minutes_before: Mapped[int] = mapped_column(Integer, default=1440)
    notes: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
