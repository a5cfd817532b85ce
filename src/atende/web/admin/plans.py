"""``/admin/plans``: the commercial plans (Prime, Plus...) and what they include: Field Desk
on-site visits, or the discount on a paid one; their rank orders them. Through
``customer_service`` (the API's ``/api/v1/plans``), checked by the API's models, audited.
Plans are never deleted (organizations refer to them); the API has no delete either."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api.deps import DbSession
from atende.customers import repository as customer_repository
from atende.customers import service as customer_service
from atende.customers.models import Plan
from atende.customers.schemas import PlanIn, PlanPatch
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    found,
    saved,
)
from atende.web.admin.forms import Errors, PostedForm, form_text, optional_int, submit
from atende.web.deps import WebUser

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "plans"
BASE = "/admin/plans"
FIELDS = frozenset(
    {"name", "description", "rank", "includes_field_desk", "field_desk_discount_percent"}
)


def _values(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"name": "", "description": "", "rank": "0", "includes_field_desk": False,
                "field_desk_discount_percent": "0"}  # fmt: skip
    return {
        "name": plan.name,
        "description": plan.description,
        "rank": str(plan.rank),
        "includes_field_desk": plan.includes_field_desk,
        "field_desk_discount_percent": str(plan.field_desk_discount_percent),
    }


def _page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    plan: Plan | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "plans": customer_repository.plans(session),
        "plan": plan,
        "values": values,
        "errors": errors or {},
    }
    template = "admin/plans/form.html" if plan is not None else "admin/plans/list.html"
    return admin_render(request, template, context, section=SECTION, status_code=status_code)


def _plan(session: Session, user: WebUser, plan_id: int) -> Plan:
    return found(lambda: customer_service.get_plan(session, actor=user.actor, plan_id=plan_id))


@router.get(BASE)
def plans_page(request: Request, session: DbSession, user: ReaderUser) -> Response:
    """The plans, and (for an admin) the form of a new one."""
    return _page(request, session, user, plan=None, values=_values(None))


@router.get(BASE + "/{plan_id}")
def plan_page(request: Request, session: DbSession, user: AdminUser, plan_id: int) -> Response:
    plan = _plan(session, user, plan_id)
    return _page(request, session, user, plan=plan, values=_values(plan))


def _typed(data: FormData) -> dict[str, Any]:
    rank = form_text(data, "rank", 20)
    discount = form_text(data, "field_desk_discount_percent", 20)
    return {
        "name": form_text(data, "name", 200),
        "description": form_text(data, "description", 6000),
        "rank": optional_int(rank) if rank else 0,
        "includes_field_desk": form_text(data, "includes_field_desk") == "true",
        "field_desk_discount_percent": optional_int(discount) if discount else 0,
    }


@router.post(BASE)
def create_plan(
    request: Request, session: DbSession, user: CsrfAdminUser, data: PostedForm
) -> Response:
    typed = _typed(data)
    made, errors = submit(
        session,
        PlanIn,
        typed,
        lambda body: customer_service.create_plan(session, actor=user.actor, data=body),
        fields=FIELDS,
    )
    if made is not None:
        return saved(BASE)
    return _page(request, session, user, plan=None, values=typed, errors=errors, status_code=422)


@router.post(BASE + "/{plan_id}")
def update_plan(
    request: Request, session: DbSession, user: CsrfAdminUser, plan_id: int, data: PostedForm
) -> Response:
    plan = _plan(session, user, plan_id)
    typed = _typed(data)
    done, errors = submit(
        session,
        PlanPatch,
        typed,
        lambda changes: customer_service.update_plan(
            session, actor=user.actor, plan_id=plan.id, changes=changes
        ),
        partial=True,
        fields=FIELDS,
    )
    if done is not None:
        return saved(BASE)
    return _page(request, session, user, plan=plan, values=typed, errors=errors, status_code=422)
