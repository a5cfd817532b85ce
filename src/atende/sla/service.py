"""SLA policies (CRUD) and the per-ticket SLA clocks: pick the policy, compute, persist, explain.

``reevaluate`` is called after every change to a ticket (the tickets service's ``_after_change``)
and by the sweeper when ``tickets.next_sla_deadline`` has come. It recomputes every clock from the
ticket's stored history (messages and status events) with :mod:`atende.domain.sla`, so imported
tickets get the state their history implies, and writes a timeline event for each change: policy
applied / changed / none matches, target met, warning reached, breached, paused, resumed.

When the applicable policy changes, the clocks are recomputed from the history under the new
policy (the business time already consumed is kept: it is the history's). A target that had
already ended (met or breached) under the old policy keeps its stored result, so a promise kept
stays kept and a breach stays a breach.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.auth.access import ensure_admin, ensure_staff
from atende.auth.actor import SYSTEM, Actor
from atende.calendars import service as calendar_service
from atende.db import cache as db_cache
from atende.db.base import utcnow
from atende.domain import conditions as cond
from atende.domain import sla as sla_domain
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.domain.lifecycle import AUTO_CLOSE_HOURS
from atende.sla import repository, sweeper
from atende.sla.escalation import escalation_config
from atende.sla.models import SlaPolicy, TicketSla, TicketSlaTarget
from atende.sla.signals import SlaSignal
from atende.tickets import facts as ticket_facts
from atende.tickets import repository as ticket_repository
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event

log = logging.getLogger("atende.sla")

SLA_FIELDS: Final = cond.FieldRegistry(f for f in cond.TICKET_FIELDS if f.name != "message.text")
"""The facts an SLA policy may test (ticket, organization, contact, ``custom_fields.*``)."""

KIND_LABELS: Final = {
    sla_domain.TargetKind.FIRST_RESPONSE: "first response",
    sla_domain.TargetKind.NEXT_RESPONSE: "next response",
    sla_domain.TargetKind.RESOLUTION: "resolution",
}
_FINAL: Final = frozenset({sla_domain.State.MET.value, sla_domain.State.BREACHED.value})


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
)

# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------

_parsed: OrderedDict[str, cond.Condition] = OrderedDict()
_parsed_lock = threading.Lock()


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


def _check_policy(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    if not calendar_service.calendar_exists(session, values["calendar_id"]):
        raise ValidationFailed(
            f"calendar {values['calendar_id']} does not exist", field="calendar_id"
        )
    parsed = parse_conditions(values.get("conditions") or {})
    _domain_policy(values)  # targets > 0, warning 1..100, pause statuses
    values["conditions"] = cond.to_json(parsed) if values.get("conditions") else {}
    values["pause_statuses"] = sorted(set(values.get("pause_statuses") or ()))
    values["escalation"] = escalation_config(values.get("escalation"))
    return values


def _values(policy: SlaPolicy) -> dict[str, Any]:
    return {k: getattr(policy, k) for k in _POLICY_FIELDS}


def create_policy(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> SlaPolicy:
    ensure_admin(actor)
    if repository.policy_by_name(session, data["name"]):
        raise Conflict(f"an SLA policy named {data['name']!r} already exists", field="name")
    values = _check_policy(session, dict(data))
    if values.get("position") is None:
        last = repository.last_position(session)
        values["position"] = 0 if last is None else last + 1
    policy = SlaPolicy(**values, created_at=now, updated_at=now)
    session.add(policy)
    session.flush()
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} created", now=now)
    return policy


def update_policy(
    session: Session, *, actor: Actor, policy_id: int, changes: dict[str, Any], now: datetime
) -> SlaPolicy:
    ensure_admin(actor)
    policy = get_policy(session, actor=actor, policy_id=policy_id)
    for key in ("name", "position", "calendar_id", "conditions", "warning_percent"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"{key} may not be null", field=key)
    for key in ("pause_statuses", "chat_resolution_starts_at_chat_end", "public", "escalation"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"{key} may not be null", field=key)
    if "name" in changes:
        other = repository.policy_by_name(session, changes["name"])
        if other is not None and other.id != policy.id:
            raise Conflict(f"an SLA policy named {changes['name']!r} already exists", field="name")
    values = _check_policy(session, {**_values(policy), **changes})
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_at = now
    session.flush()
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} changed", now=now)
    return policy


def delete_policy(session: Session, *, actor: Actor, policy_id: int) -> None:
    """Delete a policy; tickets keep their stored clocks (with its name) until re-evaluated."""
    ensure_admin(actor)
    policy = get_policy(session, actor=actor, policy_id=policy_id)
    session.delete(policy)
    session.flush()
    sweeper.request_reevaluation(session, reason=f"SLA policy {policy.name} deleted", now=utcnow())


def get_policy(session: Session, *, actor: Actor, policy_id: int) -> SlaPolicy:
    ensure_staff(actor)
    policy = repository.policy(session, policy_id)
    if policy is None:
        raise NotFound(f"SLA policy {policy_id} not found")
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
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


# --------------------------------------------------------------------------------------------
# Facts and history of a ticket
# --------------------------------------------------------------------------------------------


def ticket_history(
    session: Session, ticket: Ticket, fresh: ticket_repository.Fresh | None = None
) -> sla_domain.History:
    """The plain history the SLA clocks are computed from.

    Status changes come from the ``status`` events; the first event's ``before`` is the status
    at creation. Without status events (or a resolved ticket whose resolution has no event),
    ``resolved_at`` stands in for the change to ``resolved``. The opening message written by an
    agent (at creation, first in the timeline) is not a reply; internal notes are ignored.
    """
    if fresh is not None:  # created in this transaction: no status change, one opening message
        opening = (
            [sla_domain.MessageEvent(fresh.contact_message_at, "contact")]
            if fresh.contact_message_at is not None
            else []
        )
        return sla_domain.History(
            created_at=ticket.created_at,
            channel=ticket.channel,
            initial_status=ticket.status,
            status_changes=[],
            messages=opening,
            resolved_at=ticket.resolved_at,
            chat_ended_at=ticket.chat_ended_at,
        )
    events = repository.status_events(session, ticket.id)
    changes = [
        sla_domain.StatusChange(at, str(after)) for at, _, after in events if isinstance(after, str)
    ]
    initial = "new"
    if events and isinstance(events[0][1], str):
        initial = events[0][1]
    done = sla_domain.DONE_STATUSES
    if (
        ticket.status in done
        and ticket.resolved_at is not None
        and not any(c.status in done for c in changes)
    ):
        changes.append(sla_domain.StatusChange(ticket.resolved_at, "resolved"))
        changes.sort(key=lambda c: c.at)
    messages: list[sla_domain.MessageEvent] = []
    rows = repository.message_events(session, ticket.id)
    opening_position = min((r[3] for r in rows), default=None)
    for at, author, public, position in rows:
        if author == "contact":
            messages.append(sla_domain.MessageEvent(at, "contact"))
        elif author == "agent" and public:
            if position == opening_position and at == ticket.created_at:
                continue  # the agent's opening message is not a response
            messages.append(sla_domain.MessageEvent(at, "agent"))
    return sla_domain.History(
        created_at=ticket.created_at,
        channel=ticket.channel,
        initial_status=initial,
        status_changes=changes,
        messages=messages,
        resolved_at=ticket.resolved_at,
        chat_ended_at=ticket.chat_ended_at,
    )


# --------------------------------------------------------------------------------------------
# Re-evaluation
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
            usable.append(
                ActivePolicy(
                    id=p.id,
                    name=p.name,
                    public=p.public,
                    calendar_id=p.calendar_id,
                    conditions=conditions,
                    clocks=_domain_policy(_values(p)),
                )
            )
        return tuple(usable)

    return db_cache.get(session, "sla_policies", load)


def match_policy(
    session: Session, ticket: Ticket, *, now: datetime
) -> tuple[ActivePolicy | None, str]:
    """The first policy (by position) whose conditions match, and the explanation."""
    facts = ticket_facts.ticket_facts(session, ticket, now=now)
    for policy in active_policies(session):
        result = cond.evaluate(policy.conditions, facts)
        if result.matched:
            return policy, result.explanation
    return None, ""


def reevaluate(session: Session, *, ticket: Ticket, now: datetime) -> list[SlaSignal]:
    """Recompute the ticket's SLA clocks at ``now``; persist them, set
    ``ticket.next_sla_deadline`` and write timeline events for what changed. Flushes.

    Returns the warnings and breaches announced now for the first time (the caller escalates
    them and runs the ``sla_warning`` / ``sla_breach`` rules)."""
    signals: list[SlaSignal] = []
    now = now.astimezone(UTC).replace(microsecond=0)
    policy, why = match_policy(session, ticket, now=now)
    fresh = ticket_repository.take_fresh(session, ticket.id)
    if fresh is None:
        row = repository.ticket_sla(session, ticket.id)
        stored = repository.targets_of(session, ticket.id)
    else:  # created in this transaction: nothing stored yet
        row, stored = None, {}
    first_time = row is None
    if row is None:
        row = TicketSla(ticket_id=ticket.id, paused=False, explanation="", public=False)
        session.add(row)

    if policy is None:
        if first_time or row.policy_id is not None or row.policy_name is not None:
            before = row.policy_name
            detail = "no SLA policy matches"
            if before:
                detail = f"no SLA policy matches any more (was {before})"
            _event(
                session,
                ticket,
                "sla_policy",
                detail,
                at=_at(ticket, now, first_time),
                before=before,
                after=None,
            )
        for target in stored.values():
            session.delete(target)
        _remember(session, ticket.id, row, {})
        _set_outcome(row, (None, None, False, "", False), now=now)
        ticket.next_sla_deadline = None
        ticket.sla_due_at = None
        session.flush()
        return signals

    cal = calendar_service.business_calendar_by_id(session, policy.calendar_id)
    assert cal is not None  # calendar_id is a RESTRICT foreign key
    evaluation = sla_domain.evaluate(
        cal, policy.clocks, ticket_history(session, ticket, fresh), now=now
    )

    changed_policy = row.policy_id != policy.id
    if first_time or changed_policy:
        old = row.policy_name
        if old and not first_time:
            detail = f"SLA policy changed from {old} to {policy.name}: {why}"
        else:
            detail = f"SLA policy {policy.name} applied: {why}"
        _event(
            session,
            ticket,
            "sla_policy",
            detail,
            at=_at(ticket, now, first_time),
            before=old,
            after=policy.name,
        )
    elif evaluation.paused != row.paused:
        if evaluation.paused:
            _event(
                session,
                ticket,
                "sla_paused",
                f"SLA clocks paused while the ticket is {evaluation.status}",
                at=now,
            )
        else:
            _event(session, ticket, "sla_resumed", "SLA clocks resumed", at=now)

    _set_outcome(row, (policy.id, policy.name, policy.public, why, evaluation.paused), now=now)

    kinds_now = {k.value for k in evaluation.targets}
    current = dict(stored)
    for kind, target in stored.items():
        if kind not in kinds_now:
            session.delete(target)
            del current[kind]

    for kind, clock in evaluation.targets.items():
        old_row = stored.get(kind.value)
        if (
            old_row is not None
            and old_row.policy_id != policy.id
            and old_row.state in _FINAL
            and clock.state.value in _FINAL
            and old_row.cycle == clock.cycle
            and old_row.started_at == clock.started_at
        ):
            continue  # an ended target keeps its result under the policy it ended under
        cycles = (
            evaluation.next_response_cycles
            if kind is sla_domain.TargetKind.NEXT_RESPONSE
            else (clock,)
        )
        signals.extend(
            _announce(session, ticket, old_row, cycles, now=now, tz=cal.timezone, policy=policy)
        )
        if old_row is None:
            old_row = TicketSlaTarget(ticket_id=ticket.id, kind=kind.value, warned=False)
            session.add(old_row)
            current[kind.value] = old_row
        _store(old_row, clock, policy, now=now)
    _remember(session, ticket.id, row, current)

    ticket.next_sla_deadline = evaluation.next_deadline
    running = [
        c.due_at
        for c in evaluation.targets.values()
        if c.due_at is not None and c.state.value in ("running", "paused")
    ]
    ticket.sla_due_at = min(running) if running else None  # the queue line's SLA order
    session.flush()
    return signals


# The targets re-evaluation left in this session, by ticket (every write to a ticket's targets
# goes through reevaluate): sla_view answers from them without reading them back.
_TARGETS = "atende.sla_targets"


def _remember(
    session: Session, ticket_id: int, row: TicketSla, targets: dict[str, TicketSlaTarget]
) -> None:
    """Strong references too: the session's identity map would let clean rows go."""
    db_cache.memo(session, _TARGETS)[ticket_id] = (row, targets)


def _set_outcome(
    row: TicketSla, outcome: tuple[int | None, str | None, bool, str, bool], *, now: datetime
) -> None:
    """Store the policy outcome; ``evaluated_at`` moves only when the outcome changes, so a
    re-evaluation that changes nothing writes nothing (and costs no UPDATE)."""
    current = (row.policy_id, row.policy_name, row.public, row.explanation, row.paused)
    if current == outcome and row.evaluated_at is not None:
        return
    row.policy_id, row.policy_name, row.public, row.explanation, row.paused = outcome
    row.evaluated_at = now


def _at(ticket: Ticket, now: datetime, first_time: bool) -> datetime:
    """When a policy decision is shown: at creation for a ticket's first evaluation."""
    return min(ticket.created_at, now) if first_time else now


def _store(
    row: TicketSlaTarget, clock: sla_domain.TargetClock, policy: ActivePolicy, *, now: datetime
) -> None:
    new_cycle = row.cycle != clock.cycle or row.started_at != clock.started_at
    row.policy_id, row.policy_name = policy.id, policy.name
    row.state = clock.state.value
    row.cycle = clock.cycle
    row.started_at = clock.started_at
    row.due_at = clock.due_at
    row.warning_at = clock.warning_at
    row.met_at = clock.met_at
    row.breached_at = clock.breached_at
    row.business_seconds_used = clock.business_seconds_used
    row.target_seconds = clock.target_seconds
    reached = clock.warning_at is not None and clock.warning_at <= now
    row.warned = reached if new_cycle else bool(row.warned) or reached


def _announce(
    session: Session,
    ticket: Ticket,
    old: TicketSlaTarget | None,
    cycles: tuple[sla_domain.TargetClock, ...],
    *,
    now: datetime,
    tz: tzinfo,
    policy: ActivePolicy,
) -> list[SlaSignal]:
    """Timeline events for a target (or its next-response cycles) whose state changed; the
    warnings and breaches among them come back as signals."""
    signals: list[SlaSignal] = []

    def signal(event: str, clock: sla_domain.TargetClock, label: str, at: datetime) -> None:
        signals.append(
            SlaSignal(event, clock.kind.value, label, clock.cycle, policy.id, clock.due_at, at)
        )

    def warn(clock: sla_domain.TargetClock, label: str, warning_at: datetime) -> None:
        at = min(warning_at, now)
        text = f"{label} nearing its target: due {_due_text(clock, tz)}"
        _event(session, ticket, "sla_warning", text, at=at, after=_clock_json(clock))
        signal("sla_warning", clock, label, at)

    for clock in cycles:
        same = old is not None and old.cycle == clock.cycle and old.started_at == clock.started_at
        if old is not None and not same and clock.cycle < old.cycle:
            continue  # an earlier cycle, already announced
        old_state = old.state if same and old is not None else None
        warned = bool(old.warned) if same and old is not None else False
        label = KIND_LABELS[clock.kind]
        if clock.kind is sla_domain.TargetKind.NEXT_RESPONSE and clock.cycle > 1:
            label = f"{label} #{clock.cycle}"
        state = clock.state.value
        if state in _FINAL:
            if state == old_state:
                continue
            if state == "met" and clock.met_at is not None and clock.due_at is not None:
                _event(
                    session,
                    ticket,
                    "sla_met",
                    f"{label} met {_ahead(clock.due_at - clock.met_at)} before due",
                    at=clock.met_at,
                    after=_clock_json(clock),
                )
            elif clock.breached_at is not None:
                if (
                    not warned
                    and clock.warning_at is not None
                    and clock.met_at is None
                    and old_state != "breached"
                ):
                    # still owed and breached before its warning was ever announced (an
                    # import, a stopped server): the warning's escalation still applies
                    warn(clock, label, clock.warning_at)
                late = ""
                if clock.met_at is not None:
                    late = f"; done {_ahead(clock.met_at - clock.breached_at)} late"
                _event(
                    session,
                    ticket,
                    "sla_breached",
                    f"{label} breached at {_local(clock.breached_at, tz)}{late}",
                    at=min(clock.breached_at, now),
                    after=_clock_json(clock),
                )
                if clock.met_at is None:  # still owed: escalate (a late reply is history)
                    signal("sla_breach", clock, label, min(clock.breached_at, now))
            continue
        if old_state == "met":
            _event(
                session,
                ticket,
                "sla_reopened",
                f"{label} clock running again (reopened); due {_due_text(clock, tz)}",
                at=now,
                after=_clock_json(clock),
            )
        if not warned and clock.warning_at is not None and clock.warning_at <= now:
            warn(clock, label, clock.warning_at)
    return signals


def _due_text(clock: sla_domain.TargetClock, tz: tzinfo) -> str:
    return _local(clock.due_at, tz) if clock.due_at is not None else "when the clock starts"


def _ahead(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0 min"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _local(at: datetime, tz: tzinfo) -> str:
    """``2026-03-03 10:00:00-03:00``: an instant as the desk's calendar reads it."""
    return at.astimezone(tz).isoformat(sep=" ")


def _clock_json(clock: sla_domain.TargetClock) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "kind": clock.kind.value,
        "cycle": clock.cycle,
        "state": clock.state.value,
        "due_at": iso(clock.due_at),
        "met_at": iso(clock.met_at),
        "breached_at": iso(clock.breached_at),
        "business_seconds_used": clock.business_seconds_used,
    }


def _event(
    session: Session,
    ticket: Ticket,
    kind: str,
    detail: str,
    *,
    at: datetime,
    before: Any = None,
    after: Any = None,
) -> None:
    record_event(
        session,
        ticket,
        actor=SYSTEM,
        kind=kind,
        at=at,
        before=before,
        after=after,
        detail=detail,
        actor_label="SLA",
    )


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def open_tickets_of_organization(session: Session, organization_id: int) -> list[Ticket]:
    """The open tickets of an organization (re-evaluated when its plan or account facts
    change: the policy may change; business time already used is kept)."""
    ids = repository.open_ticket_ids_of_organization(session, organization_id)
    found = (session.get(Ticket, ticket_id) for ticket_id in ids)
    return [t for t in found if t is not None]


def sla_view(session: Session, ticket: Ticket) -> dict[str, Any] | None:
    """``{"policy_id", "policy_name", "public", "targets": {kind: {...}}}`` or None when no
    policy applies (or the ticket was never evaluated). Datetimes are aware UTC values."""
    known = db_cache.memo(session, _TARGETS)
    if ticket.id in known:
        row, stored = known[ticket.id]
    else:
        found = repository.ticket_sla(session, ticket.id)
        if found is None or found.policy_name is None:
            return None
        row, stored = found, repository.targets_of(session, ticket.id)
    return view_of(row, stored)


def view_of(row: TicketSla, stored: Mapping[str, TicketSlaTarget]) -> dict[str, Any] | None:
    """`sla_view` of a policy row and its clocks (None when no policy applies)."""
    if row.policy_name is None:
        return None
    order = [k.value for k in sla_domain.TargetKind]
    targets = {
        kind: {
            "state": t.state,
            "due_at": t.due_at,
            "warning_at": t.warning_at,
            "met_at": t.met_at,
            "breached_at": t.breached_at,
            "business_seconds_used": t.business_seconds_used,
        }
        for kind in order
        if (t := stored.get(kind)) is not None
    }
    return {
        "policy_id": row.policy_id,
        "policy_name": row.policy_name,
        "public": row.public,
        "targets": targets,
    }
