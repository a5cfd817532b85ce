"""Rules and canned replies (CRUD, checked when saved) and the dry-run.

Admins write rules and canned replies; supervisors read rules and run dry-runs; all staff read
canned replies (and render one for a ticket they can see). A rule is checked as a whole when
saved: its shape by :mod:`atende.domain.rules`, then that every queue, user, ticket type and
canned reply it names exists, each refusal naming its path (``actions[1].value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin, ensure_staff, ensure_supervisor
from atende.auth.actor import Actor
from atende.domain import conditions as cond
from atende.domain import rules as rules_domain
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.domain.rules.schema import Transfer, Webhook
from atende.domain.rules.vocabulary import ActionType, InvalidRule
from atende.notify import webhook
from atende.rules import facts as rule_facts
from atende.rules import repository
from atende.rules.models import CannedReply, Rule
from atende.settings import Settings
from atende.tickets import service as ticket_service

SECRET_MASK = "********"  # noqa: S105 - shown instead of a webhook secret

# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def check_rule(
    session: Session,
    data: Mapping[str, Any],
    *,
    rule_id: int | None = None,
    settings: Settings | None = None,
) -> rules_domain.Rule:
    """The domain rule for ``data`` if it is sound and everything it names exists. With
    ``settings``, a webhook's URL must also be a destination the server may call
    (``atende.notify.webhook.check_destination``: no internal addresses unless allowed)."""
    parsed = rules_domain.parse_rule(data, rule_id=rule_id)
    for i, action in enumerate(parsed.actions):
        path = f"actions[{i}].value"
        v = action.value
        if action.type is ActionType.SET_QUEUE:
            assert isinstance(v, int)
            ticket_service.check_queue(session, v, field=path)
        elif isinstance(v, Transfer):
            ticket_service.check_queue(session, v.queue_id, field=f"{path}.queue_id")
        elif isinstance(v, Webhook) and settings is not None:
            try:
                webhook.check_destination(v.url, settings)
            except ValueError as exc:  # DestinationRefused
                raise InvalidRule(str(exc), field=f"{path}.url") from None
        elif action.type is ActionType.SET_ASSIGNEE:
            assert v is None or isinstance(v, int)
            ticket_service.check_assignee(session, v, field=path)
        elif action.type is ActionType.SET_TYPE:
            assert isinstance(v, str)
            try:
                ticket_service.check_type(session, v)
            except ValidationFailed as exc:
                raise InvalidRule(exc.template, field=path, **exc.params) from None
        elif action.type is ActionType.SEND_CANNED_REPLY:
            assert isinstance(v, int)
            if repository.canned_reply(session, v) is None:
                raise InvalidRule("canned reply {v} does not exist", field=path, v=v)
    return parsed


def create_rule(
    session: Session,
    *,
    actor: Actor,
    data: dict[str, Any],
    now: datetime,
    settings: Settings | None = None,
) -> Rule:
    ensure_admin(actor)
    values = dict(data)
    if values.get("position") is None:
        last = repository.last_position(session)
        values["position"] = 0 if last is None else last + 1
    parsed = check_rule(session, values, settings=settings)
    if repository.rule_by_name(session, parsed.name) is not None:
        raise Conflict("a rule named {name!r} already exists", field="name", name=parsed.name)
    row = Rule(**rules_domain.rule_to_json(parsed), created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit.created(session, actor, row, at=now)
    return row


def update_rule(
    session: Session,
    *,
    actor: Actor,
    rule_id: int,
    changes: dict[str, Any],
    now: datetime,
    settings: Settings | None = None,
) -> Rule:
    """Change some of a rule's parts; ``actions`` and ``conditions`` are replaced whole."""
    ensure_admin(actor)
    row = get_rule(session, actor=actor, rule_id=rule_id)
    for key in ("name", "active", "position", "event", "conditions", "actions"):
        if key in changes and changes[key] is None:
            raise ValidationFailed("{key} may not be null", field=key, key=key)
    values = {**rule_facts.stored_json(row), **changes}
    if "event" in changes and changes["event"] != "time_based" and "time" not in changes:
        values["time"] = None  # leaving time_based drops its trigger
    parsed = check_rule(session, values, rule_id=row.id, settings=settings)
    other = repository.rule_by_name(session, parsed.name)
    if other is not None and other.id != row.id:
        raise Conflict("a rule named {name!r} already exists", field="name", name=parsed.name)
    before = audit.snapshot(row)
    for key, value in rules_domain.rule_to_json(parsed).items():
        setattr(row, key, value)
    row.updated_at = now
    session.flush()
    audit.updated(session, actor, row, before, at=now)
    return row


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    ensure_admin(actor)
    row = get_rule(session, actor=actor, rule_id=rule_id)
    audit.deleted(session, actor, row, audit.snapshot(row))
    session.delete(row)
    session.flush()


def get_rule(session: Session, *, actor: Actor, rule_id: int) -> Rule:
    ensure_supervisor(actor)
    row = repository.rule(session, rule_id)
    if row is None:
        raise NotFound("rule {rule_id} not found", rule_id=rule_id)
    return row


def list_rules(session: Session, *, actor: Actor) -> list[Rule]:
    ensure_supervisor(actor)
    return list(repository.rules(session))


def rule_view(row: Rule, *, actor: Actor) -> dict[str, Any]:
    """The rule as the API shows it; webhook secrets only to admins."""
    actions = [dict(a) for a in row.actions or []]
    if not actor.is_admin:
        for action in actions:
            value = action.get("value")
            is_webhook = action.get("type") == "notify_webhook"
            if is_webhook and isinstance(value, dict) and value.get("secret"):
                action["value"] = {**value, "secret": SECRET_MASK}
    try:
        text = cond.describe(cond.validate(row.conditions or {}, rules_domain.RULE_FIELDS))
    except cond.InvalidCondition as exc:
        text = f"(not valid any more: {exc.message})"
    return {
        "id": row.id,
        "name": row.name,
        "active": row.active,
        "position": row.position,
        "event": row.event,
        "conditions": row.conditions or {},
        "conditions_text": text,
        "actions": actions,
        "time": row.time,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


# --------------------------------------------------------------------------------------------
# Canned replies
# --------------------------------------------------------------------------------------------


def _check_body(body: object) -> rules_domain.Template:
    return rules_domain.parse_template(body, field="body")


def create_canned_reply(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> CannedReply:
    ensure_admin(actor)
    _check_body(data.get("body"))
    if repository.canned_reply_by_name(session, data["name"]) is not None:
        raise Conflict(
            "a canned reply named {name!r} already exists", field="name", name=data["name"]
        )
    row = CannedReply(name=data["name"], body=data["body"], created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit.created(session, actor, row, at=now)
    return row


def update_canned_reply(
    session: Session, *, actor: Actor, reply_id: int, changes: dict[str, Any], now: datetime
) -> CannedReply:
    ensure_admin(actor)
    row = get_canned_reply(session, actor=actor, reply_id=reply_id)
    for key in ("name", "body"):
        if key in changes and changes[key] is None:
            raise ValidationFailed("{key} may not be null", field=key, key=key)
    before = audit.snapshot(row)
    if "body" in changes:
        _check_body(changes["body"])
        row.body = changes["body"]
    if "name" in changes:
        other = repository.canned_reply_by_name(session, changes["name"])
        if other is not None and other.id != row.id:
            raise Conflict(
                "a canned reply named {name!r} already exists", field="name", name=changes["name"]
            )
        row.name = changes["name"]
    row.updated_at = now
    session.flush()
    audit.updated(session, actor, row, before, at=now)
    return row


def delete_canned_reply(session: Session, *, actor: Actor, reply_id: int) -> None:
    """Delete a canned reply no rule sends (409 naming the rules that do)."""
    ensure_admin(actor)
    row = get_canned_reply(session, actor=actor, reply_id=reply_id)
    users = [
        r.name
        for r in repository.rules(session)
        if any(
            a.get("type") == "send_canned_reply" and a.get("value") == row.id
            for a in r.actions or []
        )
    ]
    if users:
        raise Conflict(
            "canned reply {name!r} is sent by rule(s) {value}; change those rules first",
            name=row.name,
            value=", ".join(repr(u) for u in users),
        )
    audit.deleted(session, actor, row, audit.snapshot(row))
    session.delete(row)
    session.flush()


def get_canned_reply(session: Session, *, actor: Actor, reply_id: int) -> CannedReply:
    ensure_staff(actor)
    row = repository.canned_reply(session, reply_id)
    if row is None:
        raise NotFound("canned reply {reply_id} not found", reply_id=reply_id)
    return row


def list_canned_replies(session: Session, *, actor: Actor) -> list[CannedReply]:
    ensure_staff(actor)
    return list(repository.canned_replies(session))


def canned_reply_view(row: CannedReply) -> dict[str, Any]:
    try:
        variables = list(_check_body(row.body).variables)
    except ValidationFailed:
        variables = []
    return {
        "id": row.id,
        "name": row.name,
        "body": row.body,
        "variables": variables,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def render_canned_reply(
    session: Session, *, actor: Actor, reply_id: int, ticket_id: int
) -> dict[str, Any]:
    """The canned reply filled in for a ticket the actor can see (nothing is sent)."""
    row = get_canned_reply(session, actor=actor, reply_id=reply_id)
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    template = _check_body(row.body)
    return {
        "canned_reply_id": row.id,
        "ticket_id": ticket.id,
        "body": rule_facts.render_preview(template, rule_facts.template_values(session, ticket)),
    }


def canned_replies_for(session: Session, *, actor: Actor, ticket_id: int) -> list[dict[str, Any]]:
    """Every canned reply filled in for a ticket the actor can see, for the composer's "/"
    search (one read of the ticket's values for all of them; a reply whose body no longer
    parses is left out)."""
    ensure_staff(actor)
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    values = rule_facts.template_values(session, ticket)
    out: list[dict[str, Any]] = []
    for row in repository.canned_replies(session):
        try:
            template = _check_body(row.body)
        except ValidationFailed:
            continue
        out.append(
            {"id": row.id, "name": row.name, "body": rule_facts.render_preview(template, values)}
        )
    return out


# --------------------------------------------------------------------------------------------
# Dry-run
# --------------------------------------------------------------------------------------------


def dry_run(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    now: datetime,
    event: str | None = None,
    message_id: int | None = None,
    draft: dict[str, Any] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """What the active rules (with ``draft`` added, or replacing the rule of its name) would do
    to the ticket now, for ``event`` or for every event that has rules. Writes nothing."""
    ensure_supervisor(actor)
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    rules = rule_facts.active_rules(session)
    if draft is not None:
        values = dict(draft)
        if values.get("position") is None:
            last = repository.last_position(session)
            values["position"] = 0 if last is None else last + 1
        candidate = check_rule(session, values, settings=settings)
        rules = [r for r in rules if r.name.casefold() != candidate.name.casefold()]
        rules.append(candidate)
    message = None
    if message_id is not None:
        message = repository.message_of_ticket(session, ticket.id, message_id)
        if message is None:
            raise ValidationFailed(
                "message {message_id} is not a message of ticket {id}",
                field="message_id",
                message_id=message_id,
                id=ticket.id,
            )
    events = (
        [event]
        if event is not None
        else [e for e in rules_domain.EVENTS if any(r.event.value == e and r.active for r in rules)]
    )
    facts = rule_facts.ticket_facts(session, ticket, now=now, needs=rules_domain.BUSINESS_FACTS)
    names = rule_facts.names_for(session, [a for r in rules for a in r.actions])
    period = ticket.status_changed_at or ticket.created_at
    fired = repository.fired_rule_ids(session, ticket.id, period) if period is not None else set()
    runs = []
    for ev in events:
        used = (
            message if message is not None else rule_facts.event_message(session, ticket, ev, None)
        )
        if ev not in rules_domain.MESSAGE_EVENTS:
            used = None
        steps = rules_domain.simulate(
            rules,
            facts,
            ev,
            message_facts=rule_facts.message_facts(ticket, used),
            names=names,
            already_fired=fired,
        )
        runs.append(
            {
                "event": ev,
                "message_id": used.id if used is not None else None,
                "steps": [_step_view(s) for s in steps],
            }
        )
    return {"ticket_id": ticket.id, "at": now, "facts": _jsonable(facts), "runs": runs}


def _step_view(step: rules_domain.Step) -> dict[str, Any]:
    return {
        "depth": step.depth,
        "event": str(step.event),
        "rule_id": step.rule_id,
        "rule_name": step.rule_name or None,
        "matched": step.matched,
        "explanation": step.explanation,
        "planned": list(step.planned),
        "skipped": step.skipped,
        "checks": [
            {
                "field": c.leaf.field,
                "op": c.leaf.op.value,
                "value": list(c.leaf.value) if isinstance(c.leaf.value, tuple) else c.leaf.value,
                "fact": list(c.fact) if isinstance(c.fact, tuple) else c.fact,
                "holds": c.holds,
                "depth": c.depth,
                "group": c.group,
            }
            for c in step.checks
        ],
        "effects": [
            {
                "kind": e.kind,
                "field": e.field or None,
                "value": _jsonable_value(e.value),
                "index": e.index if e.index >= 0 else None,
                "why": e.why or None,
            }
            for e in step.effects
        ],
    }


def _jsonable_value(value: object) -> object:
    return list(value) if isinstance(value, list | tuple) else value


def _jsonable(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(facts.items()):
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, float):
            out[key] = round(value, 2)
        elif isinstance(value, list | tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out
