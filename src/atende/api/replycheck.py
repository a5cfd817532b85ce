"""/api/v1 routes of the reply check: check a draft; read and replace its lists.

See docs/reply-check.md.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.reports import EXPORTS, Format, table_response, wants
from atende.db.base import MAX_ID
from atende.replycheck import report as warned
from atende.replycheck import service as replycheck_service
from atende.replycheck.schemas import (
    FindingOut,
    ListChangeOut,
    ListIn,
    ListOut,
    ReplyCheckIn,
    ReplyCheckOut,
    WarnedReport,
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


@router.get("/reports/reply-check", response_model=WarnedReport, tags=["reports"],
            responses=EXPORTS)  # fmt: skip
def warned_replies(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    start: Annotated[AwareDatetime, Query(alias="from", description="ISO instant, included")],
    end: Annotated[AwareDatetime, Query(alias="to", description="ISO instant, excluded")],
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=warned.MAX_ITEMS)] = 100,
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """Public replies sent despite the reply check's warnings (seed 002), per agent — replies
    sent, warned, %, and by kind (gerund, promise, missing closing question) — and the warned
    replies themselves, newest first (``limit``). An agent reads their own; a supervisor the
    tickets of their queues; an admin everyone's. CSV/XLSX: the list of warned replies."""
    answer = warned.report(
        session, actor=actor, start=start.astimezone(UTC), end=end.astimezone(UTC),
        agent_id=agent_id, limit=limit,
    )  # fmt: skip
    fmt = wants(request, format)
    if fmt == "json":
        return WarnedReport.model_validate(answer).model_dump(mode="json")
    header = ["ticket_number", "subject", "agent_id", "at", "kinds", "phrases"]
    rows = [
        [i["ticket_number"], i["subject"], i["agent_id"], i["at"].isoformat(),
         ", ".join(sorted({str(f["kind"]) for f in i["findings"]})),
         " | ".join(str(f["phrase"]) for f in i["findings"])]
        for i in answer["items"]
    ]  # fmt: skip
    return table_response(fmt, header, rows, name="respostas-com-alertas", delimiter=delimiter)
