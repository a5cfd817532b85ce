from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class Attachment(IdMixin, Base):
    """A file on a ticket, stored by content hash; the name is only metadata."""

    __tablename__ = "attachments"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    public: Mapped[bool] = mapped_column(default=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
