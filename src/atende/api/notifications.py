"""``/api/v1/notifications``: the caller's own notifications (SLA warnings, breaches, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.notifications import service as notification_service
from atende.notifications.schemas import MarkedRead, MarkRead, NotificationOut

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=Page[NotificationOut])
def my_notifications(
    session: DbSession,
    actor: CurrentActor,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[NotificationOut]:
    rows = notification_service.list_mine(
        session, actor=actor, unread_only=unread, before_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )  # fmt: skip
    items = [NotificationOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(rows) > limit and items else None
    return Page[NotificationOut](items=items, next_cursor=nxt)


@router.post("/notifications/read", response_model=MarkedRead)
def mark_read(body: MarkRead, session: DbSession, actor: CurrentActor, now: Now) -> MarkedRead:
    marked = notification_service.mark_read(session, actor=actor, ids=body.ids, now=now)
    return MarkedRead(marked=marked)
