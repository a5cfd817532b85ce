"""SLA policies: their CRUD, their conditions, and which policy applies to a ticket.

A policy's conditions use the condition language (:mod:`atende.domain.conditions`) over
:data:`SLA_FIELDS`; the first policy (by position) whose conditions match a ticket's facts
applies. Re-evaluation reads the policies from a per-process copy (:func:`active_policies`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin, ensure_staff
from atende.auth.actor import Actor
from atende.calendars import service as calendar_service
from atende.db import cache as db_cache
from atende.domain import conditions as cond
from atende.domain import sla as sla_domain
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.domain.lifecycle import AUTO_CLOSE_HOURS
from atende.sla import repository, sweeper
from atende.sla.escalation import (
    DEFAULT_STEPS,
    Escalation,
    escalation_config,
    frozen_escalation,
)
from atende.sla.models import SlaPolicy
from atende.tickets import facts as ticket_facts
from atende.tickets.models import Ticket

SLA_FIELDS: Final = cond.FieldRegistry(f for f in cond.TICKET_FIELDS if f.name != "message.text")
"""The facts an SLA policy may test (ticket, organization, contact, ``custom_fields.*``)."""

_POLICY_FIELDS: Final = (
    "name",
    "position",
    "calendar_id",
    "conditions",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "warning_percent",
    "pause_statuses",
    "chat_resolution_starts_at_chat_end",
    "public",
    "escalation",
    "auto_close_business_hours",
    "target_clocks",
    "private_targets",
)
TARGET_KINDS: Final = tuple(k.value for k in sla_domain.TargetKind)
ALWAYS_OPEN: Final = "24x7"

# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------

_parsed: OrderedDict[str, cond.Condition] = OrderedDict()
_parsed_lock = threading.Lock()

log = logging.getLogger("atende.sla")


def parse_conditions(raw: dict[str, Any]) -> cond.Condition:
    """Validate condition JSON against the SLA fields (parsed trees are cached by content)."""
    key = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None:
            return found
    parsed = cond.validate(raw, SLA_FIELDS)
    with _parsed_lock:
        _parsed[key] = parsed
        while len(_parsed) > 512:
            _parsed.popitem(last=False)
    return parsed


def _private_policy(values: dict[str, Any]) -> sla_domain.Policy | None:
    """The policy's private targets as a clock policy of their own (same warning, pauses and
    chat rule), or None when it has none."""
    private = {k: v for k, v in (values.get("private_targets") or {}).items() if v is not None}
    if not private:
        return None
    return _domain_policy({**values, **{
        f"{kind}_minutes": private.get(f"{kind}_minutes") for kind in TARGET_KINDS
    }})  # fmt: skip


def _check_private_targets(values: dict[str, Any]) -> dict[str, int]:
    """``private_targets`` as stored (the minutes set); each must be stricter (shorter) than
    the public target of its kind, when the policy has one (422 naming
    ``private_targets.<kind>_minutes``)."""
    stored: dict[str, int] = {}
    for key, minutes in (values.get("private_targets") or {}).items():
        if minutes is None:
            continue
        field = f"private_targets.{key}"
        kind = key.removesuffix("_minutes")
        if kind not in TARGET_KINDS or not key.endswith("_minutes"):
            raise ValidationFailed("{key!r} is not an SLA target", field=field, key=key)
        public = values.get(key)
        if public is not None and minutes >= public:
            raise ValidationFailed(
                "a meta privada deve ser mais curta que a pública ({minutes} "
                "≥ {public} minutos): ela avisa a equipe antes da promessa "
                "ao cliente",
                field=field,
                minutes=minutes,
                public=public,
            )
        stored[key] = minutes
    return stored


def _domain_policy(values: dict[str, Any]) -> sla_domain.Policy:
    return sla_domain.Policy(
        name=values["name"],
        first_response_minutes=values.get("first_response_minutes"),
        next_response_minutes=values.get("next_response_minutes"),
        resolution_minutes=values.get("resolution_minutes"),
        warning_percent=values.get("warning_percent", 80),
        pause_statuses=frozenset(values.get("pause_statuses") or ()),
        chat_resolution_starts_at_chat_end=bool(values.get("chat_resolution_starts_at_chat_end")),
    )


def _check_target_clocks(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """``target_clocks`` as stored: ``{kind: {"clock", "calendar_id"}}`` for the targets that do
    not count on the policy's calendar (a default entry is dropped). Refuses a clock for a target
    the policy does not set, a 24x7 clock with a calendar, and a calendar that does not exist
    (422 naming ``target_clocks.<target>[.calendar_id]``)."""
    raw = values.get("target_clocks") or {}
    stored: dict[str, Any] = {}
    for kind, spec in raw.items():
        if spec is None:
            continue
        field = f"target_clocks.{kind}"
        if kind not in TARGET_KINDS:
            raise ValidationFailed("{kind!r} is not an SLA target", field=field, kind=kind)
        private = values.get("private_targets") or {}
        if values.get(f"{kind}_minutes") is None and private.get(f"{kind}_minutes") is None:
            raise ValidationFailed(
                "a política não tem meta de {kind}: defina {kind}_minutes ou retire o relógio",
                field=field,
                kind=kind,
            )
        clock = spec.get("clock") or "calendar"
        calendar_id = spec.get("calendar_id")
        if clock == ALWAYS_OPEN and calendar_id is not None:
            raise ValidationFailed(
                "um relógio 24x7 conta todas as horas: não tem calendário",
                field=f"{field}.calendar_id",
            )
        if calendar_id is not None and not calendar_service.calendar_exists(session, calendar_id):
            raise ValidationFailed(
                "calendar {calendar_id} does not exist",
                field=f"{field}.calendar_id",
                calendar_id=calendar_id,
            )
        if clock == "calendar" and calendar_id is None:
            continue  # the policy's calendar: the default
        stored[kind] = {"clock": clock, "calendar_id": calendar_id}
    return stored


def _check_policy(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    if not calendar_service.calendar_exists(session, values["calendar_id"]):
        raise ValidationFailed(
            "calendar {calendar_id} does not exist",
            field="calendar_id",
            calendar_id=values["calendar_id"],
        )
    parsed = parse_conditions(values.get("conditions") or {})
    _domain_policy(values)  # targets > 0, warning 1..100, pause statuses
    values["conditions"] = cond.to_json(parsed) if values.get("conditions") else {}
    values["pause_statuses"] = sorted(set(values.get("pause_statuses") or ()))
    values["escalation"] = escalation_config(values.get("escalation"))
    values["private_targets"] = _check_private_targets(values)
    _private_policy(values)  # the private minutes: > 0, at most ten years
    values["target_clocks"] = _check_target_clocks(session, values)
    return values


def target_clocks_view(policy: SlaPolicy) -> dict[str, dict[str, Any]]:
    """The clock of every target the policy sets (``calendar_id`` null with ``calendar``: the
    policy's own calendar)."""
    own = policy.target_clocks or {}
    private = policy.private_targets or {}
    return {
        kind: dict(own.get(kind) or {"clock": "calendar", "calendar_id": None})
        for kind in TARGET_KINDS
        if getattr(policy, f"{kind}_minutes") is not None
        or private.get(f"{kind}_minutes") is not None
    }


def _values(policy: SlaPolicy) -> dict[str, Any]:
    return {k: getattr(policy, k) for k in _POLICY_FIELDS}


def create_policy(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> SlaPolicy:
    ensure_admin(actor)
    if repository.policy_by_name(session, data["name"]):
        raise Conflict(
            "an SLA policy named {name!r} already exists", field="name", name=data["name"]
        )
    values = _check_policy(session, dict(data))
    if values.get("position") is None:
        last = repository.last_position(session)
        values["position"] = 0 if last is None else last + 1
    policy = SlaPolicy(**values, created_at=now, updated_at=now)
    session.add(policy)
    session.flush()
    audit.created(session, actor, policy, at=now)
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} created", now=now)
    return policy


def update_policy(
    session: Session, *, actor: Actor, policy_id: int, changes: dict[str, Any], now: datetime
) -> SlaPolicy:
    ensure_admin(actor)
    policy = get_policy(session, actor=actor, policy_id=policy_id)
    for key in ("name", "position", "calendar_id", "conditions", "warning_percent"):
        if key in changes and changes[key] is None:
            raise ValidationFailed("{key} may not be null", field=key, key=key)
    for key in (
        "pause_statuses", "chat_resolution_starts_at_chat_end", "public", "escalation",
        "target_clocks", "private_targets",
    ):  # fmt: skip
        if key in changes and changes[key] is None:
            raise ValidationFailed("{key} may not be null", field=key, key=key)
    if "target_clocks" not in changes:  # a target taken away takes its clock along
        private = changes.get("private_targets", policy.private_targets) or {}
        changes = {**changes, "target_clocks": {
            kind: spec for kind, spec in (policy.target_clocks or {}).items()
            if changes.get(f"{kind}_minutes", getattr(policy, f"{kind}_minutes")) is not None
            or private.get(f"{kind}_minutes") is not None
        }}  # fmt: skip
    if "name" in changes:
        other = repository.policy_by_name(session, changes["name"])
        if other is not None and other.id != policy.id:
            raise Conflict(
                "an SLA policy named {name!r} already exists", field="name", name=changes["name"]
            )
    values = _check_policy(session, {**_values(policy), **changes})
    before = audit.snapshot(policy)
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_at = now
    session.flush()
    audit.updated(session, actor, policy, before, at=now)
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} changed", now=now)
    return policy


def delete_policy(session: Session, *, actor: Actor, policy_id: int, now: datetime) -> None:
    """Delete a policy; tickets keep their stored clocks (with its name) until re-evaluated."""
    ensure_admin(actor)
    policy = get_policy(session, actor=actor, policy_id=policy_id)
    audit.deleted(session, actor, policy, audit.snapshot(policy), at=now)
    session.delete(policy)
    session.flush()
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} deleted", now=now)


def get_policy(session: Session, *, actor: Actor, policy_id: int) -> SlaPolicy:
    ensure_staff(actor)
    policy = repository.policy(session, policy_id)
    if policy is None:
        raise NotFound("SLA policy {policy_id} not found", policy_id=policy_id)
    return policy


def list_policies(session: Session, *, actor: Actor) -> list[SlaPolicy]:
    ensure_staff(actor)
    return list(repository.policies(session))


def policy_view(policy: SlaPolicy) -> dict[str, Any]:
    try:
        text = cond.describe(parse_conditions(policy.conditions or {}))
    except cond.InvalidCondition as exc:
        text = f"(not valid any more, matches no ticket: {exc.message})"
    return {
        "id": policy.id,
        **_values(policy),
        "conditions_text": text,
        "escalation": escalation_config(policy.escalation),
        "auto_close_business_hours": policy.auto_close_business_hours or AUTO_CLOSE_HOURS,
        "target_clocks": target_clocks_view(policy),
        "private_targets": {
            f"{kind}_minutes": (policy.private_targets or {}).get(f"{kind}_minutes")
            for kind in TARGET_KINDS
        },
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


# --------------------------------------------------------------------------------------------
# Which policy applies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivePolicy:
    """What re-evaluation needs of a policy: a plain copy, shared by the process's threads."""

    id: int
    name: str
    public: bool
    calendar_id: int
    conditions: cond.Condition
    clocks: sla_domain.Policy
    target_calendars: tuple[tuple[sla_domain.TargetKind, int | None], ...] = ()
    """The targets with a clock of their own: a calendar id, or None for 24x7."""
    private_clocks: sla_domain.Policy | None = None
    """The private (staff-only) targets, stricter than the public ones; None: none."""
    escalation: Escalation = DEFAULT_STEPS
    """What a warning and a breach set off (``escalation_config``'s shape, frozen)."""


def active_policies(session: Session) -> tuple[ActivePolicy, ...]:
    """Every policy in evaluation order (a per-process copy while no policy changes)."""

    def load() -> tuple[ActivePolicy, ...]:
        usable = []
        for p in repository.policies(session):
            try:
                conditions = parse_conditions(p.conditions or {})
            except cond.InvalidCondition as exc:  # saved under older rules (a Python-only
                # regular expression before RE2): it matches no ticket until it is fixed
                log.warning("SLA policy %s (%s) is skipped: %s", p.id, p.name, exc.message)
                continue
            usable.append(_active(p.id, _values(p), conditions))
        return tuple(usable)

    return db_cache.get(session, "sla_policies", load)


def _active(policy_id: int, values: dict[str, Any], conditions: cond.Condition) -> ActivePolicy:
    """What re-evaluation needs of a policy's stored values."""
    return ActivePolicy(
        id=policy_id,
        name=values["name"],
        public=bool(values.get("public")),
        calendar_id=values["calendar_id"],
        conditions=conditions,
        clocks=_domain_policy(values),
        private_clocks=_private_policy(values),
        escalation=frozen_escalation(values.get("escalation")),
        target_calendars=tuple(
            (
                sla_domain.TargetKind(kind),
                None if spec.get("clock") == ALWAYS_OPEN else spec.get("calendar_id"),
            )
            for kind, spec in sorted((values.get("target_clocks") or {}).items())
            if kind in TARGET_KINDS
        ),
    )


def unsaved_policy(
    session: Session, *, actor: Actor, data: dict[str, Any], policy_id: int | None = None
) -> ActivePolicy:
    """The policy ``data`` describes (``SlaPolicyIn``'s fields; with ``policy_id``, a change to
    that policy as ``SlaPolicyPatch``'s), checked as a save would check it, without saving:
    what the admin page's "what if" computes with before the policy is saved."""
    ensure_admin(actor)
    base = _values(get_policy(session, actor=actor, policy_id=policy_id)) if policy_id else {}
    values = _check_policy(session, {**base, **data})
    return _active(policy_id or 0, values, parse_conditions(values.get("conditions") or {}))


def escalation_of(session: Session, policy_id: int | None) -> Escalation:
    """The escalation settings of policy ``policy_id`` from the process's copy (the defaults
    for a policy deleted meanwhile or skipped as unusable)."""
    for policy in active_policies(session):
        if policy.id == policy_id:
            return policy.escalation
    return DEFAULT_STEPS


def match_policy(
    session: Session, ticket: Ticket, *, now: datetime, tags: Sequence[str] | None = None
) -> tuple[ActivePolicy | None, str]:
    """The first policy (by position) whose conditions match, and the explanation (``tags``:
    the ticket's tags when the caller knows them)."""
    facts = ticket_facts.ticket_facts(session, ticket, now=now, tags=tags)
    for policy in active_policies(session):
        result = cond.evaluate(policy.conditions, facts)
        if result.matched:
            return policy, result.explanation
    return None, ""
