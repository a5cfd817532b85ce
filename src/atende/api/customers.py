from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import Id, PathId
from atende.auth import access
from atende.customers import repository
from atende.customers import service as customer_service
from atende.customers.schemas import (
    ContactIn,
    ContactOut,
    ContactPatch,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PlanIn,
    PlanOut,
    PlanPatch,
)
from atende.workflows import routing as routing_workflows

router = APIRouter(tags=["customers"])
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]
Search = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


@router.get("/plans", response_model=list[PlanOut])
def list_plans(session: DbSession, actor: CurrentActor) -> list[PlanOut]:
    access.ensure_staff(actor)
    return [PlanOut.model_validate(p) for p in repository.plans(session)]


@router.post("/plans", response_model=PlanOut, status_code=201)
def create_plan(body: PlanIn, session: DbSession, actor: CurrentActor) -> PlanOut:
    plan = customer_service.create_plan(session, actor=actor, data=body.model_dump())
    return PlanOut.model_validate(plan)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: PathId, session: DbSession, actor: CurrentActor) -> PlanOut:
    access.ensure_staff(actor)
    return PlanOut.model_validate(customer_service.get_plan(session, actor=actor, plan_id=plan_id))


@router.patch("/plans/{plan_id}", response_model=PlanOut)
def update_plan(
    plan_id: PathId, body: PlanPatch, session: DbSession, actor: CurrentActor
) -> PlanOut:
    plan = customer_service.update_plan(
        session, actor=actor, plan_id=plan_id, changes=body.model_dump(exclude_unset=True)
    )
    return PlanOut.model_validate(plan)


@router.get("/organizations", response_model=Page[OrganizationOut])
def list_organizations(
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    limit: Limit = 50,
    cursor: Cursor = None,
    q: Search = None,
) -> Page[OrganizationOut]:
    after = decode_id_cursor(cursor)
    rows = repository.organization_page(session, actor, after_id=after, limit=limit + 1, q=q)
    items = [
        OrganizationOut(**customer_service.organization_view(session, o, now.date()))
        for o in rows[:limit]
    ]
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[OrganizationOut](items=items, next_cursor=nxt)


@router.post("/organizations", response_model=OrganizationOut, status_code=201)
def create_organization(
    body: OrganizationIn, session: DbSession, actor: CurrentActor, now: Now
) -> OrganizationOut:
    org = customer_service.create_organization(
        session, actor=actor, data=body.model_dump(), today=now.date()
    )
    return OrganizationOut(**customer_service.organization_view(session, org, now.date()))


@router.get("/organizations/{org_id}", response_model=OrganizationOut)
def get_organization(
    org_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> OrganizationOut:
    org = customer_service.get_organization(session, actor=actor, org_id=org_id)
    return OrganizationOut(**customer_service.organization_view(session, org, now.date()))


@router.patch("/organizations/{org_id}", response_model=OrganizationOut)
def update_organization(
    org_id: PathId, body: OrganizationPatch, session: DbSession, actor: CurrentActor, now: Now
) -> OrganizationOut:
    org = routing_workflows.update_organization(
        session,
        actor=actor,
        org_id=org_id,
        changes=body.model_dump(exclude_unset=True),
        today=now.date(),
        now=now,
    )
    return OrganizationOut(**customer_service.organization_view(session, org, now.date()))


@router.get("/contacts", response_model=Page[ContactOut])
def list_contacts(
    session: DbSession,
    actor: CurrentActor,
    limit: Limit = 50,
    cursor: Cursor = None,
    q: Search = None,
    organization_id: Annotated[Id | None, Query()] = None,
) -> Page[ContactOut]:
    after = decode_id_cursor(cursor)
    rows = repository.contact_page(
        session, actor, after_id=after, limit=limit + 1, q=q, organization_id=organization_id
    )
    items = [ContactOut.model_validate(c) for c in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[ContactOut](items=items, next_cursor=nxt)


@router.post("/contacts", response_model=ContactOut, status_code=201)
def create_contact(body: ContactIn, session: DbSession, actor: CurrentActor) -> ContactOut:
    contact = customer_service.create_contact(session, actor=actor, data=body.model_dump())
    return ContactOut.model_validate(contact)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: PathId, session: DbSession, actor: CurrentActor) -> ContactOut:
    return ContactOut.model_validate(
        customer_service.get_contact(session, actor=actor, contact_id=contact_id)
    )


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: PathId, body: ContactPatch, session: DbSession, actor: CurrentActor
) -> ContactOut:
    contact = customer_service.update_contact(
        session, actor=actor, contact_id=contact_id, changes=body.model_dump(exclude_unset=True)
    )
    return ContactOut.model_validate(contact)
