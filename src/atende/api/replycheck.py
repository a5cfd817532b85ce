"""/api/v1 routes of the reply check: check a draft; read and replace its lists.

See docs/reply-check.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.replycheck import service as replycheck_service
from atende.replycheck.schemas import (
    FindingOut,
    ListChangeOut,
    ListIn,
    ListOut,
    ReplyCheckIn,
    ReplyCheckOut,
)

router = APIRouter(tags=["reply check"])

ListName = Annotated[
    str,
    Path(
        max_length=40,
        description="promises, deadlines, departments, closing_questions or auxiliaries",
    ),
]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/reply-check", response_model=ReplyCheckOut)
def check_reply(body: ReplyCheckIn, session: DbSession, actor: CurrentActor) -> ReplyCheckOut:
    """Warnings for a public reply before it is sent (staff): gerundismo, firm deadline
    promises (also on another department's behalf), no closing question. Nothing is written
    and nothing is blocked: the agent may send anyway."""
    findings = replycheck_service.check_draft(session, actor=actor, body=body.body)
    return ReplyCheckOut(findings=[FindingOut(**f.as_dict()) for f in findings])


@router.get("/reply-check/lists", response_model=list[ListOut])
def get_lists(session: DbSession, actor: CurrentActor) -> list[ListOut]:
    """Every list the check uses (staff may read them; admins replace them)."""
    return [ListOut(**v) for v in replycheck_service.list_views(session, actor=actor)]


@router.get("/reply-check/lists/{name}", response_model=ListOut)
def get_list(name: ListName, session: DbSession, actor: CurrentActor) -> ListOut:
    return ListOut(**replycheck_service.list_view(session, actor=actor, name=name))


@router.put("/reply-check/lists/{name}", response_model=ListOut)
def replace_list(
    name: ListName, body: ListIn, session: DbSession, actor: CurrentActor, now: Now
) -> ListOut:
    """Replace a list whole (admins). Each change is recorded: who, when, before and after
    (``/reply-check/lists/{name}/changes``); every process checks the next reply with it."""
    items = [i.model_dump() for i in body.items]
    view = replycheck_service.replace_list(session, actor=actor, name=name, items=items, now=now)
    return ListOut(**view)


@router.get("/reply-check/lists/{name}/changes", response_model=Page[ListChangeOut])
def list_changes(
    name: ListName,
    session: DbSession,
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ListChangeOut]:
    """The recorded changes of a list, newest first (admins)."""
    rows = replycheck_service.list_changes(
        session, actor=actor, name=name, before_id=decode_id_cursor(cursor), limit=limit + 1
    )
    items = [ListChangeOut.model_validate(r) for r in rows[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(rows) > limit and items else None
    return Page[ListChangeOut](items=items, next_cursor=nxt)
