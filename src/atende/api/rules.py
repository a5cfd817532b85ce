"""/api/v1 routes of this area: rules, canned replies, dry-run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from atende.api.deps import AppSettings, CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.db.base import MAX_ID
from atende.rules import service as rules_service
from atende.rules.schemas import (
    CannedReplyIn,
    CannedReplyOut,
    CannedReplyPatch,
    CannedReplyRendered,
    DryRunIn,
    DryRunOut,
    RuleIn,
    RuleOut,
    RulePatch,
)

router = APIRouter(tags=["rules"])

TicketIdQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="the ticket to fill it in for")]


@router.get("/rules", response_model=list[RuleOut])
def list_rules(session: DbSession, actor: CurrentActor) -> list[RuleOut]:
    return [
        RuleOut(**rules_service.rule_view(r, actor=actor))
        for r in rules_service.list_rules(session, actor=actor)
    ]


@router.post("/rules", response_model=RuleOut, status_code=201)
def create_rule(
    body: RuleIn, session: DbSession, actor: CurrentActor, now: Now, settings: AppSettings
) -> RuleOut:
    row = rules_service.create_rule(
        session, actor=actor, data=body.model_dump(), now=now, settings=settings
    )
    return RuleOut(**rules_service.rule_view(row, actor=actor))


@router.post("/rules/dry-run", response_model=DryRunOut)
def dry_run(
    body: DryRunIn, session: DbSession, actor: CurrentActor, now: Now, settings: AppSettings
) -> DryRunOut:
    """What the rules would do to a ticket now, changing nothing: each rule considered, whether
    its conditions match and why, and what it would do (with the cascade it would set off)."""
    result = rules_service.dry_run(
        session,
        actor=actor,
        ticket_id=body.ticket_id,
        now=now,
        event=body.event,
        message_id=body.message_id,
        draft=body.rule.model_dump() if body.rule is not None else None,
        settings=settings,
    )
    return DryRunOut(**result)


@router.get("/rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: PathId, session: DbSession, actor: CurrentActor) -> RuleOut:
    row = rules_service.get_rule(session, actor=actor, rule_id=rule_id)
    return RuleOut(**rules_service.rule_view(row, actor=actor))


@router.patch("/rules/{rule_id}", response_model=RuleOut)
def update_rule(
    rule_id: PathId,
    body: RulePatch,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    settings: AppSettings,
) -> RuleOut:
    row = rules_service.update_rule(
        session,
        actor=actor,
        rule_id=rule_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
        settings=settings,
    )
    return RuleOut(**rules_service.rule_view(row, actor=actor))


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    rules_service.delete_rule(session, actor=actor, rule_id=rule_id)
    return Response(status_code=204)


@router.get("/canned-replies", response_model=list[CannedReplyOut])
def list_canned_replies(session: DbSession, actor: CurrentActor) -> list[CannedReplyOut]:
    return [
        CannedReplyOut(**rules_service.canned_reply_view(r))
        for r in rules_service.list_canned_replies(session, actor=actor)
    ]


@router.post("/canned-replies", response_model=CannedReplyOut, status_code=201)
def create_canned_reply(
    body: CannedReplyIn, session: DbSession, actor: CurrentActor, now: Now
) -> CannedReplyOut:
    row = rules_service.create_canned_reply(session, actor=actor, data=body.model_dump(), now=now)
    return CannedReplyOut(**rules_service.canned_reply_view(row))


@router.get("/canned-replies/{reply_id}", response_model=CannedReplyOut)
def get_canned_reply(reply_id: PathId, session: DbSession, actor: CurrentActor) -> CannedReplyOut:
    row = rules_service.get_canned_reply(session, actor=actor, reply_id=reply_id)
    return CannedReplyOut(**rules_service.canned_reply_view(row))


@router.patch("/canned-replies/{reply_id}", response_model=CannedReplyOut)
def update_canned_reply(
    reply_id: PathId, body: CannedReplyPatch, session: DbSession, actor: CurrentActor, now: Now
) -> CannedReplyOut:
    row = rules_service.update_canned_reply(
        session,
        actor=actor,
        reply_id=reply_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return CannedReplyOut(**rules_service.canned_reply_view(row))


@router.delete("/canned-replies/{reply_id}", status_code=204)
def delete_canned_reply(reply_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    rules_service.delete_canned_reply(session, actor=actor, reply_id=reply_id)
    return Response(status_code=204)


@router.get("/canned-replies/{reply_id}/render", response_model=CannedReplyRendered)
def render_canned_reply(
    reply_id: PathId, ticket_id: TicketIdQuery, session: DbSession, actor: CurrentActor
) -> CannedReplyRendered:
    """The canned reply filled in for a ticket (to paste into a reply); nothing is sent."""
    return CannedReplyRendered(
        **rules_service.render_canned_reply(
            session, actor=actor, reply_id=reply_id, ticket_id=ticket_id
        )
    )
