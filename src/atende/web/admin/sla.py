"""``/admin/sla``: SLA policies in their order of evaluation, created and edited without JSON
(``web/admin/sla_form.py`` turns the form into the API's body) through the same service as
``/api/v1/sla-policies``; and the "what if" calculator: pick a policy (or the one being
edited, as typed) or let a priority pick it, an opening instant and optionally a pause, and
read each target's due instant computed by the real SLA engine (``sla/whatif.py``) in the
admin's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.calendars import repository as calendar_repository
from atende.domain.errors import DomainError, ValidationFailed
from atende.sla import policies as sla_policies
from atende.sla import whatif
from atende.sla.models import SlaPolicy
from atende.sla.schemas import SlaPolicyIn, SlaPolicyPatch
from atende.web.admin import forms, sla_form
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    back,
    found,
    saved,
    valid_id,
)
from atende.web.deps import WebUser
from atende.web.i18n import N_, _, zone
from atende.web.templating import PRIORITY_LABELS, SLA_KIND_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

URL = "/admin/sla"
Text = Annotated[str, Form(max_length=200)]
Instant = Annotated[str, Query(max_length=40)]
PLACED = frozenset({
    "name", "position", "calendar_id", "conditions", "first_response_minutes",
    "next_response_minutes", "resolution_minutes", "private_targets", "target_clocks",
    "warning_percent", "pause_statuses", "escalation", "auto_close_business_hours", "public",
    "chat_resolution_starts_at_chat_end", "start", "pause_from", "policy", "delete",
})  # fmt: skip
NOTIFY_LABELS = {"assignee": N_("the assignee"), "supervisors": N_("the supervisors")}
Typed = Annotated[dict[str, Any], Depends(sla_form.typed_policy)]


def _typed_whatif(
    wi_start: Text = "", wi_pause_from: Text = "", wi_pause_until: Text = "", action: Text = ""
) -> dict[str, str]:
    return {"start": wi_start, "pause_from": wi_pause_from, "pause_until": wi_pause_until,
            "action": action}  # fmt: skip


Asked = Annotated[dict[str, str], Depends(_typed_whatif)]


@router.get(URL)
def policies_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    saved_id: Annotated[str, Query(alias="saved", max_length=20)] = "",
    deleted: Annotated[str, Query(max_length=20)] = "",
    policy: Annotated[str, Query(max_length=20)] = "",
    priority: Annotated[str, Query(max_length=20)] = "",
    start: Instant = "",
    pause_from: Instant = "",
    pause_until: Instant = "",
) -> Response:
    """The policies in order, and the "what if" for a saved policy or the one a priority
    picks (``policy=auto``); a supervisor reads the policies only (the "what if" is the
    admin's: ``sla/whatif.py`` guards it)."""
    policies = sla_policies.list_policies(session, actor=user.actor)
    calendars = {c.id: c.name for c in calendar_repository.calendars(session)}
    asked = {"policy": policy, "priority": priority, "start": start,
             "pause_from": pause_from, "pause_until": pause_until}  # fmt: skip
    result: dict[str, Any] | None = None
    errors: forms.Errors = {}
    if start and user.actor.is_admin:
        result, errors = _answer(session, user, asked)
    context = {
        "user": user,
        "rows": [
            {
                "view": view,
                "calendar": calendars.get(view["calendar_id"], "—"),
                "conditions": sla_form.described(view),
            }
            for view in map(sla_policies.policy_view, policies)
        ],
        "asked": asked,
        "result": result,
        "errors": errors,
        "priorities": [(k, _(v)) for k, v in PRIORITY_LABELS.items()],
        "notice": _("The SLA policy was saved.")
        if saved_id
        else _("The SLA policy was deleted.")
        if deleted
        else None,
        **_labels(),
    }
    return admin_render(
        request, "admin/sla/list.html", context, section="sla", status_code=422 if errors else 200
    )


def _answer(
    session: Session, user: WebUser, asked: dict[str, str]
) -> tuple[dict[str, Any] | None, forms.Errors]:
    """The list page's "what if": the chosen policy, or the first that holds for a ticket of
    the chosen priority."""
    if asked["policy"] == "auto":
        if asked["priority"] not in PRIORITY_LABELS:
            return None, {"priority": _("Choose a priority to let it pick the policy.")}
        picked = whatif.policy_for_priority(session, actor=user.actor, priority=asked["priority"])
        if picked is None:
            return None, {"policy": _("No policy applies to a ticket with this priority alone.")}
        return _compute(session, user, picked, asked)
    policy_id = int(asked["policy"]) if asked["policy"].isdigit() else 0
    chosen = whatif.saved_policy(session, actor=user.actor, policy_id=policy_id)
    if chosen is None:
        return None, {"policy": _("Choose a policy.")}
    return _compute(session, user, chosen, asked)


def _compute(
    session: Session, user: WebUser, policy: sla_policies.ActivePolicy, asked: dict[str, str]
) -> tuple[dict[str, Any] | None, forms.Errors]:
    tz = zone(user.actor.timezone)
    try:
        start = _local(asked["start"], tz, "start")
        pause = None
        if asked["pause_from"] or asked["pause_until"]:
            pause = (
                _local(asked["pause_from"], tz, "pause_from"),
                _local(asked["pause_until"], tz, "pause_from"),
            )
        answer = whatif.what_if(session, actor=user.actor, policy=policy, start=start, pause=pause)
    except DomainError as exc:
        return None, forms.refusal(exc)
    return {"answer": answer, "asked_pause": pause is not None}, {}


def _local(text: str, tz: Any, field: str) -> datetime:
    """A ``datetime-local`` field's value (``2026-12-18T17:50``) in the admin's zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("give a date and a time", field=field) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


@router.get(URL + "/new")
def new_policy_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    values = sla_form.shown(
        {"warning_percent": 80, "pause_statuses": ["pending_customer"],
         "escalation": {"warning": {"raise_priority": True, "notify": ["assignee", "supervisors"]},
                        "breach": {"notify": ["assignee", "supervisors"]}}}
    )  # fmt: skip
    return _form(request, session, user, None, values, {})


@router.post(URL + "/new")
def create_policy(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, typed: Typed, asked: Asked
) -> Response:
    """Save a new policy; "+ condição" or "Simular" only shows the form again."""
    if asked["action"] in ("more", "whatif"):
        return _again(request, session, user, None, typed, asked)
    made, errors = forms.submit(
        session,
        SlaPolicyIn,
        sla_form.body(typed),
        lambda data: sla_policies.create_policy(session, actor=user.actor, data=data, now=now),
    )
    if made is not None:
        return saved(URL, made.id)
    return _form(request, session, user, None, typed, sla_form.placed(errors), status_code=422)


@router.get(URL + "/{policy_id}")
def edit_policy_page(
    request: Request, session: DbSession, user: AdminUser, policy_id: int
) -> Response:
    target = _target(session, policy_id)
    values = sla_form.shown(sla_policies.policy_view(target))
    return _form(request, session, user, target, values, {})


@router.post(URL + "/{policy_id}")
def update_policy(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, policy_id: int,
    typed: Typed, asked: Asked,
) -> Response:  # fmt: skip
    """Save every field the form shows (open tickets' clocks are re-evaluated)."""
    target = _target(session, policy_id)
    if asked["action"] in ("more", "whatif"):
        return _again(request, session, user, target, typed, asked)
    done, errors = forms.submit(
        session,
        SlaPolicyPatch,
        sla_form.body(typed),
        lambda changes: sla_policies.update_policy(
            session, actor=user.actor, policy_id=target.id, changes=changes, now=now
        ),
        partial=True,
    )
    if done is not None:
        return saved(URL, target.id)
    session.refresh(target)
    return _form(request, session, user, target, typed, sla_form.placed(errors), status_code=422)


@router.post(URL + "/{policy_id}/delete")
def delete_policy(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    policy_id: int,
    confirm: Text = "",
) -> Response:
    """Delete a policy once the box is ticked; its tickets keep their clocks until
    re-evaluated (queued by the service), as with ``DELETE /api/v1/sla-policies/{id}``."""
    target = _target(session, policy_id)
    errors: forms.Errors = {"delete": _("Tick the box to confirm the deletion.")}
    if confirm == "true":
        done, errors = forms.attempt(session, lambda: _delete(session, user, target, now))
        if done:
            return back(f"{URL}?deleted=1")
    values = sla_form.shown(sla_policies.policy_view(target))
    return _form(request, session, user, target, values, errors, status_code=422)


def _delete(session: Session, user: WebUser, target: SlaPolicy, now: datetime) -> bool:
    sla_policies.delete_policy(session, actor=user.actor, policy_id=target.id, now=now)
    return True


def _again(
    request: Request,
    session: Session,
    user: WebUser,
    target: SlaPolicy | None,
    typed: dict[str, Any],
    asked: dict[str, str],
) -> Response:
    """The form again: with one more condition row, or with the "what if" of the policy as
    typed (checked as a save would check it; nothing is saved)."""
    if asked["action"] == "more":
        typed["rows"].append(["", "", ""])
        return _form(request, session, user, target, typed, {}, asked=asked)
    schema = SlaPolicyPatch if target is not None else SlaPolicyIn
    data = sla_form.body(typed)
    policy, errors = forms.submit(
        session,
        schema,
        data,
        lambda values: sla_policies.unsaved_policy(
            session,
            actor=user.actor,
            data=values,
            policy_id=target.id if target is not None else None,
        ),
        partial=target is not None,
    )
    if policy is None:
        return _form(
            request, session, user, target, typed, sla_form.placed(errors), asked=asked,
            status_code=422,
        )  # fmt: skip
    result, errors = _compute(session, user, policy, {**asked, "policy": ""})
    return _form(
        request, session, user, target, typed, errors, asked=asked, result=result,
        status_code=422 if errors else 200,
    )  # fmt: skip


def _target(session: Session, policy_id: int) -> SlaPolicy:
    return found(
        lambda: session.get(SlaPolicy, policy_id) if valid_id(policy_id) else None,
        N_("This SLA policy does not exist."),
    )


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": {k: _(v) for k, v in SLA_KIND_LABELS.items()},
        "notify_labels": {k: _(v) for k, v in NOTIFY_LABELS.items()},
    }


def _form(
    request: Request,
    session: Session,
    user: WebUser,
    target: SlaPolicy | None,
    values: dict[str, Any],
    errors: forms.Errors,
    *,
    asked: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    calendars = [(c.id, c.name) for c in calendar_repository.calendars(session)]
    context = {
        "user": user,
        "target": target,
        "values": values,
        "rows": [*values["rows"], ["", "", ""]],
        "errors": errors,
        "general": [t for k, t in errors.items() if k.split(".")[0] not in PLACED],
        "calendars": calendars,
        "fields": [
            (f.name, _(sla_form.FIELD_LABELS.get(f.name, f.name))) for f in sla_policies.SLA_FIELDS
        ],
        "ops": [(k, _(v)) for k, v in sla_form.OP_LABELS.items()],
        "choices": sla_form.choices(),
        "pausable": [(s, _(STATUS_LABELS[s])) for s in sla_form.PAUSABLE],
        "kinds": sla_policies.TARGET_KINDS,
        "asked": asked or {},
        "result": result,
        **_labels(),
    }
    return admin_render(
        request, "admin/sla/form.html", context, section="sla", status_code=status_code
    )
