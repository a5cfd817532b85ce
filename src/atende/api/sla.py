"""/api/v1 routes of this area."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.sla import breaches
from atende.sla import policies as sla_policies
from atende.sla.schemas import (
    BreachReasonIn,
    BreachReasonOut,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyPatch,
)

router = APIRouter(tags=["sla"])


@router.get("/sla-policies", response_model=list[SlaPolicyOut])
def list_policies(session: DbSession, actor: CurrentActor) -> list[SlaPolicyOut]:
    return [
        SlaPolicyOut(**sla_policies.policy_view(p))
        for p in sla_policies.list_policies(session, actor=actor)
    ]


@router.post("/sla-policies", response_model=SlaPolicyOut, status_code=201)
def create_policy(
    body: SlaPolicyIn, session: DbSession, actor: CurrentActor, now: Now
) -> SlaPolicyOut:
    policy = sla_policies.create_policy(session, actor=actor, data=body.model_dump(), now=now)
    return SlaPolicyOut(**sla_policies.policy_view(policy))


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
def get_policy(policy_id: PathId, session: DbSession, actor: CurrentActor) -> SlaPolicyOut:
    policy = sla_policies.get_policy(session, actor=actor, policy_id=policy_id)
    return SlaPolicyOut(**sla_policies.policy_view(policy))


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
def update_policy(
    policy_id: PathId, body: SlaPolicyPatch, session: DbSession, actor: CurrentActor, now: Now
) -> SlaPolicyOut:
    policy = sla_policies.update_policy(
        session,
        actor=actor,
        policy_id=policy_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return SlaPolicyOut(**sla_policies.policy_view(policy))


@router.delete("/sla-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    sla_policies.delete_policy(session, actor=actor, policy_id=policy_id, now=now)
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/sla/breach-reasons", response_model=list[BreachReasonOut])
def list_breach_reasons(
    ticket_id: PathId, session: DbSession, actor: CurrentActor
) -> list[BreachReasonOut]:
    return [
        BreachReasonOut.model_validate(r, from_attributes=True)
        for r in breaches.reasons_of(session, actor=actor, ticket_id=ticket_id)
    ]


@router.post(
    "/tickets/{ticket_id}/sla/breach-reasons", response_model=BreachReasonOut, status_code=201
)
def record_breach_reason(
    ticket_id: PathId, body: BreachReasonIn, session: DbSession, actor: CurrentActor, now: Now
) -> BreachReasonOut:
    """A supervisor records why a breached target was breached (categories from the seeds)."""
    reason = breaches.record_reason(
        session, actor=actor, ticket_id=ticket_id, kind=body.kind, category=body.category,
        note=body.note, now=now,
    )  # fmt: skip
    return BreachReasonOut.model_validate(reason, from_attributes=True)
