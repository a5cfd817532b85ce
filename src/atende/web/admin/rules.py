"""``/admin/rules``: the automation rules in their order, a form of selects and inputs to write
one (no JSON), switch it on and off, move it, delete it, and the dry-run on a ticket.

Every change goes through ``rules_service`` (the API's commands: checked the same way, audited);
the dry-run is ``rules_service.dry_run``, the engine's own evaluation, which writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api.deps import AppSettings, DbSession, Now
from atende.auth.actor import Actor
from atende.domain import rules as rules_domain
from atende.domain.errors import DomainError, NotFound
from atende.domain.lifecycle import STATUSES
from atende.rules import service as rules_service
from atende.rules.models import Rule
from atende.settings import Settings
from atende.web import repository as web_repository
from atende.web.admin import rule_form
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    Missing,
    admin_render,
    back,
    found,
    saved,
)
from atende.web.admin.forms import PostedForm
from atende.web.admin.rule_text import dry_run_view, summary
from atende.web.deps import WebUser
from atende.web.i18n import N_, _
from atende.web.templating import PRIORITY_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "rules"
TicketNumber = Annotated[int | None, Query(ge=1, le=rules_domain.MAX_ID)]


def _ordered(session: Session, actor: Actor) -> list[tuple[str, list[Rule]]]:
    """The rules grouped by event, each group in run order (position, id)."""
    rules = rules_service.list_rules(session, actor=actor)
    groups: list[tuple[str, list[Rule]]] = []
    for event in rules_domain.EVENTS:
        chosen = sorted((r for r in rules if r.event == event), key=lambda r: (r.position, r.id))
        if chosen:
            groups.append((event, chosen))
    return groups


@router.get("/admin/rules")
def rules_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    return _list_page(request, session, user)


def _list_page(
    request: Request, session: Session, user: WebUser, error: str = "", status_code: int = 200
) -> Response:
    choices = _choices(session, user.actor)
    groups = [
        (event, [(r, summary(rules_service.rule_view(r, actor=user.actor), choices))
                 for r in rules])
        for event, rules in _ordered(session, user.actor)
    ]  # fmt: skip
    context = {"user": user, "groups": groups, "events": rule_form.EVENT_LABELS, "error": error}
    return admin_render(
        request, "admin/rules/list.html", context, section=SECTION, status_code=status_code
    )


def _choices(session: Session, actor: Actor) -> dict[str, Any]:
    """What the form's selects offer, and the names the summaries show."""
    canned = rules_service.list_canned_replies(session, actor=actor)
    return {
        "queues": web_repository.queue_choices(session),
        "people": web_repository.staff_choices(session),
        "canned": [(c.id, c.name) for c in canned],
        "priorities": list(PRIORITY_LABELS.items()),
        "statuses": [(s, STATUS_LABELS[s]) for s in STATUSES],
        "time_statuses": [(s, STATUS_LABELS[s]) for s in STATUSES if s != "closed"],
    }


def _form_page(
    request: Request,
    session: Session,
    user: WebUser,
    form: rule_form.RuleForm,
    *,
    rule: Rule | None,
    errors: dict[str, str] | None = None,
    trial: dict[str, Any] | None = None,
    ticket: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "rule": rule,
        "form": form,
        "errors": errors or {},
        "trial": trial,
        "ticket": ticket,
        "choices": _choices(session, user.actor),
        "events": rule_form.EVENT_LABELS,
        "fields": rule_form.FIELD_LABELS,
        "ops": rule_form.OP_LABELS,
        "action_labels": rule_form.ACTION_LABELS,
        "action_inputs": rule_form.ACTION_INPUTS,
        "groups": rule_form.GROUPS,
    }
    return admin_render(
        request, "admin/rules/form.html", context, section=SECTION, status_code=status_code
    )


@router.get("/admin/rules/new")
def new_rule_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    form = rule_form.RuleForm().padded()
    return _form_page(request, session, user, form, rule=None)


def _rule(session: Session, user: WebUser, rule_id: int) -> Rule:
    """The rule a page is about, or the 404 page."""
    return found(lambda: rules_service.get_rule(session, actor=user.actor, rule_id=rule_id))


@router.get("/admin/rules/dry-run")
def dry_run_page(
    request: Request,
    session: DbSession,
    user: AdminUser,
    now: Now,
    settings: AppSettings,
    ticket: TicketNumber = None,
    event: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """What the active rules would do to a ticket now (every event that has rules, or one)."""
    trial: dict[str, Any] | None = None
    error = ""
    if event and event not in rule_form.EVENT_LABELS:
        error = _("Choose an event from the list.")
    elif ticket is not None:
        trial, error = _try(session, user.actor, now, settings, ticket, event or None, None)
    context = {
        "user": user,
        "trial": trial,
        "error": error,
        "ticket": ticket or "",
        "event": event,
        "events": rule_form.EVENT_LABELS,
    }
    status = 422 if error else 200
    return admin_render(
        request, "admin/rules/dry_run.html", context, section=SECTION, status_code=status
    )


def _try(
    session: Session,
    actor: Actor,
    now: Any,
    settings: Settings,
    ticket: int,
    event: str | None,
    draft: dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, str]:
    """(the dry-run shown as the page shows it, or an error sentence)."""
    try:
        result = rules_service.dry_run(
            session,
            actor=actor,
            ticket_id=ticket,
            now=now,
            event=event,
            draft=draft,
            settings=settings,
        )
    except NotFound:
        return None, _("Ticket #%(number)s does not exist.") % {"number": ticket}
    except DomainError as exc:
        return None, exc.text(_)
    stored = {
        r.id: rules_service.rule_view(r, actor=actor)
        for r in rules_service.list_rules(session, actor=actor)
    }
    return dry_run_view(result, stored, draft, _choices(session, actor)), ""


@router.get("/admin/rules/{rule_id}")
def edit_rule_page(request: Request, session: DbSession, user: AdminUser, rule_id: int) -> Response:
    rule = _rule(session, user, rule_id)
    form = rule_form.form_of_rule(rules_service.rule_view(rule, actor=user.actor)).padded()
    return _form_page(request, session, user, form, rule=rule)


@router.post("/admin/rules/new")
def create_rule(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    settings: AppSettings,
    data: PostedForm,
) -> Response:
    return _save(request, session, user, now, settings, data, rule=None)


@router.post("/admin/rules/{rule_id}")
def update_rule(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    settings: AppSettings,
    data: PostedForm,
    rule_id: int,
) -> Response:
    rule = _rule(session, user, rule_id)
    return _save(request, session, user, now, settings, data, rule=rule)


def _save(
    request: Request,
    session: Session,
    user: WebUser,
    now: Any,
    settings: Settings,
    data: FormData,
    *,
    rule: Rule | None,
) -> Response:
    """Save the form (``intent=save``), add blank rows (``more``) or try it on a ticket
    (``try``: the dry-run with the form as a draft rule; nothing is saved)."""
    stored = rules_service.rule_view(rule, actor=user.actor) if rule is not None else None
    kept = None
    if stored is not None and data.get("keep_conditions") == "true":
        kept = rule_form.form_of_rule(stored).kept_conditions
    form = rule_form.form_of_post(data, kept_conditions=kept)
    intent = data.get("intent")
    ticket = str(data.get("ticket") or "").strip()[:20]
    if intent == "more":
        return _form_page(request, session, user, form.padded(3), rule=rule, ticket=ticket)
    previous = stored["actions"] if stored is not None else []
    paths: dict[str, str] = {}
    try:
        built = rule_form.rule_data(form, previous=previous)
        paths = built.paths
        if intent == "try":
            if not ticket.isdigit() or not 1 <= int(ticket) <= rules_domain.MAX_ID:
                raise rule_form.FormRefused(N_("write the ticket's number"), field="ticket")
            trial, error = _try(
                session, user.actor, now, settings, int(ticket), form.event, built.data
            )
            if error:
                raise rule_form.FormRefused(error, field="ticket")
            return _form_page(
                request, session, user, form.padded(), rule=rule, trial=trial, ticket=ticket
            )
        with session.begin_nested():
            if rule is None:
                rules_service.create_rule(
                    session, actor=user.actor, data=built.data, now=now, settings=settings
                )
            else:
                changes = {k: v for k, v in built.data.items() if k != "position"}
                rules_service.update_rule(
                    session,
                    actor=user.actor,
                    rule_id=rule.id,
                    changes=changes,
                    now=now,
                    settings=settings,
                )
    except DomainError as exc:
        where = "ticket" if exc.field == "ticket" else rule_form.place(exc.field, paths)
        errors = {where: exc.text(_)}
        return _form_page(
            request,
            session,
            user,
            form.padded(),
            rule=rule,
            errors=errors,
            ticket=ticket,
            status_code=422,
        )
    return saved("/admin/rules")


@router.post("/admin/rules/{rule_id}/active")
def switch_rule(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    rule_id: int,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Switch a rule on or off (it keeps its place)."""
    changes = {"active": active == "true"}
    return _change(request, session, user, now, rule_id, changes)


def _change(
    request: Request,
    session: Session,
    user: WebUser,
    now: Any,
    rule_id: int,
    *changes: dict[str, Any],
    ids: tuple[int, ...] = (),
) -> Response:
    """Apply changes to rules through the rules service (one change per rule id)."""
    targets = ids or (rule_id,)
    try:
        with session.begin_nested():
            for target, change in zip(targets, changes, strict=True):
                rules_service.update_rule(
                    session, actor=user.actor, rule_id=target, changes=change, now=now
                )
    except NotFound:
        raise Missing from None
    except DomainError as exc:
        return _list_page(request, session, user, exc.text(_), status_code=422)
    return back("/admin/rules")


@router.post("/admin/rules/{rule_id}/move")
def move_rule(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    rule_id: int,
    direction: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Move a rule one place up or down among the rules of its event (the order is the
    precedence: a later rule sees what the earlier ones did)."""
    rule = _rule(session, user, rule_id)
    group = dict(_ordered(session, user.actor))[rule.event]
    at = group.index(rule)
    other = at - 1 if direction == "up" else at + 1
    if direction not in ("up", "down") or not 0 <= other < len(group):
        return back("/admin/rules")
    order = list(group)
    order[at], order[other] = order[other], order[at]
    positions = [r.position for r in group]
    if len(set(positions)) != len(positions):  # equal places: number them from the first
        positions = list(range(positions[0], positions[0] + len(group)))
    moved = [
        (r.id, {"position": p}) for r, p in zip(order, positions, strict=True) if r.position != p
    ]
    if not moved:
        return back("/admin/rules")
    ids = tuple(i for i, _change_ in moved)
    return _change(request, session, user, now, rule_id, *(c for _i, c in moved), ids=ids)


@router.post("/admin/rules/{rule_id}/delete")
def delete_rule(
    request: Request, session: DbSession, user: CsrfAdminUser, rule_id: int
) -> Response:
    try:
        with session.begin_nested():
            rules_service.delete_rule(session, actor=user.actor, rule_id=rule_id)
    except NotFound:
        raise Missing from None
    return back("/admin/rules")
