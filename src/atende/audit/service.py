"""Reading the audit trail (admins)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from atende.audit import repository
from atende.audit.models import AuditEntry
from atende.audit.record import ENTITY_TYPES
from atende.audit.repository import AuditFilters
from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.domain.errors import ValidationFailed

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 12, 31, tzinfo=UTC)


def _in_range(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if not _EARLIEST <= value <= _LATEST:
        raise ValidationFailed("must lie between 1970 and 2100", field=field)
    return value.astimezone(UTC)


def entries(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters,
    before_id: int | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """The entries matching ``filters``, newest first. 422 naming the field: an ``entity_id``
    without its ``entity_type``, a date outside 1970-2100, ``to`` not after ``from``."""
    ensure_admin(actor)
    if filters.entity_type is not None and filters.entity_type not in ENTITY_TYPES.values():
        known = ", ".join(sorted(ENTITY_TYPES.values()))
        raise ValidationFailed(
            "unknown entity type {entity_type!r}; known: {known}",
            field="entity_type",
            entity_type=filters.entity_type,
            known=known,
        )
    if filters.entity_id is not None and filters.entity_type is None:
        raise ValidationFailed("give the entity_type of this entity_id", field="entity_id")
    start = _in_range(filters.start, "from")
    end = _in_range(filters.end, "to")
    if start is not None and end is not None and end <= start:
        raise ValidationFailed("'to' must be after 'from'", field="to")
    checked = AuditFilters(
        entity_type=filters.entity_type,
        entity_id=filters.entity_id,
        actor_id=filters.actor_id,
        action=filters.action,
        start=start,
        end=end,
    )
    return repository.page(session, checked, before_id=before_id, limit=limit)
