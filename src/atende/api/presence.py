"""/api/v1 routes of presence, pause reasons and absences (vacation handover)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import PathId
from atende.db.base import MAX_ID
from atende.routing import absences, presence
from atende.routing.presence_schemas import (
    AbsenceIn,
    AbsenceOut,
    AbsenceState,
    PauseReasonIn,
    PauseReasonOut,
    PauseReasonPatch,
    PresenceBoardRow,
    PresenceIn,
    PresenceOut,
    PresencePeriodOut,
)
from atende.tickets.schemas import Instant
from atende.workflows import routing as routing_workflows

router = APIRouter(tags=["presence"])

QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]


# --- presence -------------------------------------------------------------------------------


@router.put("/agents/me/presence", response_model=PresenceOut)
def set_my_presence(
    body: PresenceIn, session: DbSession, actor: CurrentActor, now: Now
) -> PresenceOut:
    """Go online, pause (with a reason from GET /pause-reasons) or go offline."""
    row = routing_workflows.set_presence(
        session, actor=actor, status=body.status, reason=body.reason, now=now
    )
    return PresenceOut(**presence.presence_view(row, row.user_id))


@router.get("/agents/me/presence", response_model=PresenceOut)
def get_my_presence(session: DbSession, actor: CurrentActor) -> PresenceOut:
    return PresenceOut(**presence.my_presence(session, actor=actor))


@router.get("/agents/presence", response_model=list[PresenceBoardRow])
def presence_board(session: DbSession, actor: CurrentActor, now: Now) -> list[PresenceBoardRow]:
    """Supervisors: who is online, who is paused since when and why, and each one's load."""
    return [PresenceBoardRow(**r) for r in presence.presence_board(session, actor=actor, now=now)]


@router.get("/agents/presence/log", response_model=Page[PresencePeriodOut])
def presence_log(
    session: DbSession,
    actor: CurrentActor,
    user_id: QueryId | None = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PresencePeriodOut]:
    """Presence periods, newest first (pause and occupancy reports): supervisors see everyone,
    an agent their own. ``from``/``to`` keep the periods that overlap that span."""
    rows = presence.presence_log(
        session,
        actor=actor,
        user_id=user_id,
        start=start,
        end=end,
        before_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )
    items = [PresencePeriodOut.model_validate(r) for r in rows[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(rows) > limit and items else None
    return Page[PresencePeriodOut](items=items, next_cursor=nxt)


# --- pause reasons --------------------------------------------------------------------------


@router.get("/pause-reasons", response_model=list[PauseReasonOut])
def list_pause_reasons(
    session: DbSession, actor: CurrentActor, include_inactive: bool = False
) -> list[PauseReasonOut]:
    return [
        PauseReasonOut.model_validate(r)
        for r in presence.list_reasons(session, actor=actor, include_inactive=include_inactive)
    ]


@router.post("/pause-reasons", response_model=PauseReasonOut, status_code=201)
def create_pause_reason(
    body: PauseReasonIn, session: DbSession, actor: CurrentActor, now: Now
) -> PauseReasonOut:
    row = presence.create_reason(session, actor=actor, name=body.name, now=now)
    return PauseReasonOut.model_validate(row)


@router.patch("/pause-reasons/{reason_id}", response_model=PauseReasonOut)
def update_pause_reason(
    reason_id: PathId, body: PauseReasonPatch, session: DbSession, actor: CurrentActor
) -> PauseReasonOut:
    row = presence.update_reason(
        session, actor=actor, reason_id=reason_id, changes=body.model_dump(exclude_unset=True)
    )
    return PauseReasonOut.model_validate(row)


# --- absences -------------------------------------------------------------------------------


@router.get("/absences", response_model=Page[AbsenceOut])
def list_absences(
    session: DbSession,
    actor: CurrentActor,
    user_id: QueryId | None = None,
    state: AbsenceState | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AbsenceOut]:
    rows = absences.list_absences(
        session,
        actor=actor,
        user_id=user_id,
        state=state,
        before_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )
    items = [AbsenceOut(**absences.absence_view(a)) for a in rows[:limit]]
    nxt = encode_cursor([items[-1].id]) if len(rows) > limit and items else None
    return Page[AbsenceOut](items=items, next_cursor=nxt)


@router.post("/absences", response_model=AbsenceOut, status_code=201)
def create_absence(
    body: AbsenceIn, session: DbSession, actor: CurrentActor, now: Now
) -> AbsenceOut:
    """Schedule an absence: at its start the agent's open tickets go to the substitute."""
    absence = absences.create_absence(session, actor=actor, now=now, **body.model_dump())
    return AbsenceOut(**absences.absence_view(absence))


@router.get("/absences/{absence_id}", response_model=AbsenceOut)
def get_absence(absence_id: PathId, session: DbSession, actor: CurrentActor) -> AbsenceOut:
    absence = absences.get_absence(session, actor=actor, absence_id=absence_id)
    return AbsenceOut(**absences.absence_view(absence))


@router.post("/absences/{absence_id}/cancel", response_model=AbsenceOut)
def cancel_absence(
    absence_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> AbsenceOut:
    """A scheduled absence is dropped; an active one ends now."""
    absence = routing_workflows.cancel_absence(session, actor=actor, absence_id=absence_id, now=now)
    return AbsenceOut(**absences.absence_view(absence))
