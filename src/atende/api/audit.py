"""/api/v1 routes of the configuration audit trail (admins): who changed which configuration
record, when, from what to what (docs/audit.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import PathId
from atende.audit import service as audit_service
from atende.audit.repository import AuditFilters
from atende.audit.schemas import Action, AuditEntryOut, EntityType
from atende.db.base import MAX_ID

router = APIRouter(tags=["audit"])
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]


def _page(
    session: DbSession, actor: CurrentActor, filters: AuditFilters, cursor: str | None, limit: int
) -> Page[AuditEntryOut]:
    rows = audit_service.entries(
        session, actor=actor, filters=filters, before_id=decode_id_cursor(cursor), limit=limit + 1
    )
    items = [AuditEntryOut.model_validate(r) for r in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[AuditEntryOut](items=items, next_cursor=nxt)


@router.get("/audit", response_model=Page[AuditEntryOut])
def list_audit(
    session: DbSession,
    actor: CurrentActor,
    entity_type: EntityType | None = None,
    entity_id: Annotated[QueryId | None, Query(description="needs entity_type")] = None,
    actor_id: QueryId | None = None,
    action: Action | None = None,
    start: Annotated[
        AwareDatetime | None, Query(alias="from", description="changes at or after")
    ] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to", description="changes before")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """Changes to configuration records, newest first, in keyset pages (``next_cursor``).
    Filters: ``entity_type`` (with ``entity_id``), ``actor_id``, ``action``, ``from``/``to``
    (ISO 8601 with an offset)."""
    filters = AuditFilters(
        entity_type=entity_type, entity_id=entity_id, actor_id=actor_id, action=action,
        start=start, end=end,
    )  # fmt: skip
    return _page(session, actor, filters, cursor, limit)


@router.get("/audit/{entity_type}/{entity_id}", response_model=Page[AuditEntryOut])
def entity_audit(
    entity_type: Annotated[str, Path(max_length=40, description="as in GET /audit")],
    entity_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """The changes of one record (also after it was deleted), newest first."""
    filters = AuditFilters(entity_type=entity_type, entity_id=entity_id)
    return _page(session, actor, filters, cursor, limit)
