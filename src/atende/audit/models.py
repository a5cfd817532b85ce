"""The audit trail's table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime


class AuditEntry(IdMixin, Base):
    """One change to a configuration record: who (``actor_*``, copied: the trail outlives a
    deleted user), when, which record (``entity_type`` + ``entity_id``, its name then in
    ``entity_label``) and ``changes``: ``{field: {"before": x, "after": y}}``, changed fields
    only; a secret's values are never stored (its ``after`` reads "alterado")."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_entries_actor", "actor_id", "id"),
        Index("ix_audit_entries_at", "at", "id"),
    )

    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(BigId)  # no foreign key: kept after deletion
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))  # created | updated | deleted | revoked
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigId)
    entity_label: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
