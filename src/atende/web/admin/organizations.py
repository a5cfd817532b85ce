"""``/admin/organizations``: the customer companies with their billing (plan, due day, payment
overdue since, key account, account manager) and the block date it gives (the system blocks 7
days after the unpaid due date: ``domain.billing``), searched by name and paged (there may be
thousands). Through ``customer_service`` and ``workflows.routing.update_organization`` (the
API's ``/api/v1/organizations``: a change of plan or delinquency re-evaluates the open
tickets' SLA), checked by the API's models, audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api.deps import DbSession, Now
from atende.customers import repository as customer_repository
from atende.customers import service as customer_service
from atende.customers.models import Organization
from atende.customers.schemas import OrganizationIn, OrganizationPatch
from atende.domain import billing
from atende.web import repository as web_repository
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    back,
    found,
)
from atende.web.admin.forms import (
    Errors,
    PostedForm,
    form_text,
    optional_int,
    optional_text,
    submit,
)
from atende.web.deps import WebUser
from atende.workflows import routing as routing_workflows

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "organizations"
BASE = "/admin/organizations"
PAGE_SIZE = 50
FIELDS = frozenset(
    {"name", "document", "plan_id", "key_account", "stores", "account_manager_id",
     "billing_due_day", "delinquent", "overdue_since", "notes"}
)  # fmt: skip


def billing_state(org: Organization, today: date) -> dict[str, Any]:
    """Up to date, overdue (and when it blocks) or blocked (since when)."""
    if not org.delinquent or org.overdue_since is None:
        return {"state": "ok", "blocked_from": None}
    blocked_from = billing.blocked_from(org.overdue_since)
    blocked = billing.system_blocked(
        delinquent=org.delinquent, overdue_since=org.overdue_since, today=today
    )
    return {"state": "blocked" if blocked else "overdue", "blocked_from": blocked_from}


@router.get(BASE)
def organizations_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    now: Now,
    q: Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")] = "",
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> Response:
    """A page of organizations (by number), searched by name."""
    q = q.strip()
    rows = customer_repository.organization_page(
        session, user.actor, after_id=after, limit=PAGE_SIZE + 1, q=q or None
    )
    plans = {p.id: p.name for p in customer_repository.plans(session)}
    today = now.date()
    items = [
        {"org": o, "plan": plans.get(o.plan_id or 0), **billing_state(o, today)}
        for o in rows[:PAGE_SIZE]
    ]
    following = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    context = {"user": user, "items": items, "q": q, "after": after, "following": following}
    return admin_render(request, "admin/organizations/list.html", context, section=SECTION)


def _values(org: Organization | None) -> dict[str, Any]:
    if org is None:
        return {key: "" for key in FIELDS} | {
            "key_account": False,
            "delinquent": False,
            "stores": "0",
        }
    return {
        "name": org.name,
        "document": org.document or "",
        "plan_id": str(org.plan_id or ""),
        "key_account": org.key_account,
        "stores": str(org.stores),
        "account_manager_id": str(org.account_manager_id or ""),
        "billing_due_day": str(org.billing_due_day or ""),
        "delinquent": org.delinquent,
        "overdue_since": org.overdue_since.isoformat() if org.overdue_since else "",
        "notes": org.notes,
    }


def _form_page(
    request: Request,
    session: Session,
    user: WebUser,
    today: date,
    *,
    org: Organization | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    focal: list[Any] = []
    if org is not None:
        contacts = customer_repository.contact_page(
            session, user.actor, after_id=None, limit=200, q=None, organization_id=org.id
        )
        focal = [c for c in contacts if c.role == "focal_point"]
    context = {
        "user": user,
        "org": org,
        "values": values,
        "errors": errors or {},
        "plans": [(p.id, p.name) for p in customer_repository.plans(session)],
        "people": web_repository.staff_choices(session),
        "focal": focal,
        "billing": billing_state(org, today) if org is not None else None,
    }
    return admin_render(
        request, "admin/organizations/form.html", context, section=SECTION, status_code=status_code
    )


def _org(session: Session, user: WebUser, org_id: int) -> Organization:
    return found(
        lambda: customer_service.get_organization(session, actor=user.actor, org_id=org_id)
    )


@router.get(f"{BASE}/new")
def new_organization_page(
    request: Request, session: DbSession, user: AdminUser, now: Now
) -> Response:
    return _form_page(request, session, user, now.date(), org=None, values=_values(None))


@router.get(BASE + "/{org_id}")
def organization_page(
    request: Request, session: DbSession, user: AdminUser, now: Now, org_id: int
) -> Response:
    org = _org(session, user, org_id)
    return _form_page(request, session, user, now.date(), org=org, values=_values(org))


LIMITS = {"notes": 20_000, "document": 24}


def _typed(data: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the form shows back, the body for the API's model)."""
    shown: dict[str, Any] = {k: form_text(data, k, LIMITS.get(k, 200)) for k in FIELDS}
    shown["key_account"] = shown["key_account"] == "true"
    shown["delinquent"] = shown["delinquent"] == "true"
    body: dict[str, Any] = {
        "name": shown["name"],
        "document": optional_text(shown["document"]),
        "plan_id": optional_int(shown["plan_id"]),
        "key_account": shown["key_account"],
        "stores": optional_int(shown["stores"]) or 0,
        "account_manager_id": optional_int(shown["account_manager_id"]),
        "billing_due_day": optional_int(shown["billing_due_day"]),
        "delinquent": shown["delinquent"],
        "overdue_since": optional_text(shown["overdue_since"]),
        "notes": shown["notes"],
    }
    return shown, body


@router.post(f"{BASE}/new")
def create_organization(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, data: PostedForm
) -> Response:
    shown, body = _typed(data)
    org, errors = submit(
        session,
        OrganizationIn,
        body,
        lambda values: customer_service.create_organization(
            session, actor=user.actor, data=values, today=now.date()
        ),
        fields=FIELDS,
    )
    if org is not None:
        return back(f"{BASE}/{org.id}?saved=1")
    return _form_page(
        request, session, user, now.date(), org=None, values=shown, errors=errors, status_code=422
    )


@router.post(BASE + "/{org_id}")
def update_organization(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, org_id: int,
    data: PostedForm,
) -> Response:  # fmt: skip
    org = _org(session, user, org_id)
    shown, body = _typed(data)
    done, errors = submit(
        session,
        OrganizationPatch,
        body,
        lambda changes: routing_workflows.update_organization(
            session, actor=user.actor, org_id=org.id, changes=changes, today=now.date(), now=now
        ),
        partial=True,
        fields=FIELDS,
    )
    if done is not None:
        return back(f"{BASE}/{org.id}?saved=1")
    session.refresh(org)
    return _form_page(
        request, session, user, now.date(), org=org, values=shown, errors=errors, status_code=422
    )
