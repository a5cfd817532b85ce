"""/api/v1 routes of this area."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.sla import service as sla_service
from atende.sla.schemas import SlaPolicyIn, SlaPolicyOut, SlaPolicyPatch

router = APIRouter(tags=["sla"])


@router.get("/sla-policies", response_model=list[SlaPolicyOut])
def list_policies(session: DbSession, actor: CurrentActor) -> list[SlaPolicyOut]:
    return [
        SlaPolicyOut(**sla_service.policy_view(p))
        for p in sla_service.list_policies(session, actor=actor)
    ]


@router.post("/sla-policies", response_model=SlaPolicyOut, status_code=201)
def create_policy(
    body: SlaPolicyIn, session: DbSession, actor: CurrentActor, now: Now
) -> SlaPolicyOut:
    policy = sla_service.create_policy(session, actor=actor, data=body.model_dump(), now=now)
    return SlaPolicyOut(**sla_service.policy_view(policy))


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
def get_policy(policy_id: PathId, session: DbSession, actor: CurrentActor) -> SlaPolicyOut:
    policy = sla_service.get_policy(session, actor=actor, policy_id=policy_id)
    return SlaPolicyOut(**sla_service.policy_view(policy))


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyOut)
def update_policy(
    policy_id: PathId, body: SlaPolicyPatch, session: DbSession, actor: CurrentActor, now: Now
) -> SlaPolicyOut:
    policy = sla_service.update_policy(
        session,
        actor=actor,
        policy_id=policy_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return SlaPolicyOut(**sla_service.policy_view(policy))


@router.delete("/sla-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    sla_service.delete_policy(session, actor=actor, policy_id=policy_id)
    return Response(status_code=204)
