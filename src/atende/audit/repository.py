"""Every query of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


def page(
    session: Session, filters: AuditFilters, *, before_id: int | None, limit: int
) -> Sequence[AuditEntry]:
    """Entries newest first (by id: the order they were written in), after the cursor."""
    stmt = select(AuditEntry)
    if filters.entity_type is not None:
        stmt = stmt.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == filters.entity_id)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.start is not None:
        stmt = stmt.where(AuditEntry.at >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(AuditEntry.at < filters.end)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)).all()
