from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class Queue(IdMixin, Base):
    """A queue of work and the team that serves it ("Suporte N1", "Financeiro", ...)."""

    __tablename__ = "queues"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueMember(Base):
    __tablename__ = "queue_members"

    queue_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
