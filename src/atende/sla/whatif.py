"""The SLA "what if": when would each target of a policy fall due for a ticket opened at a
given instant (optionally paused for a while), computed by the real engine
(:func:`atende.domain.sla.evaluate` on the policy's calendars, holidays included), without a
ticket. The admin page shows it beside the policies (docs/console.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.calendars import service as calendar_service
from atende.domain import conditions as cond
from atende.domain import sla as sla_domain
from atende.domain.errors import ValidationFailed
from atende.sla import clocks
from atende.sla.policies import ActivePolicy, active_policies

PAUSE_STATUS = "pending_customer"
"""The status a what-if pause puts the ticket in (else the policy's first pause status)."""


@dataclass(frozen=True)
class Due:
    kind: str
    """``first_response``, ``next_response`` or ``resolution``."""
    private: bool
    """One of the staff's stricter targets."""
    minutes: int
    round_the_clock: bool
    """Counted on a 24x7 clock rather than a calendar."""
    due_at: datetime
    warning_at: datetime | None


@dataclass(frozen=True)
class WhatIf:
    policy: ActivePolicy
    start: datetime
    paused: tuple[datetime, datetime] | None
    """The pause that counted (None: none asked, or the policy pauses on no status)."""
    targets: tuple[Due, ...]


def policy_for_priority(
    session: Session, *, actor: Actor, priority: str, channel: str = "email"
) -> ActivePolicy | None:
    """The first policy (in order) whose conditions hold for a ticket known only by its
    priority and channel (facts about an organization or a contact are unknown: conditions on
    them do not hold)."""
    ensure_admin(actor)
    facts = {"ticket.priority": priority, "ticket.channel": channel, "ticket.status": "new"}
    for policy in active_policies(session):
        if cond.evaluate(policy.conditions, facts).matched:
            return policy
    return None


def saved_policy(session: Session, *, actor: Actor, policy_id: int) -> ActivePolicy | None:
    ensure_admin(actor)
    return next((p for p in active_policies(session) if p.id == policy_id), None)


def what_if(
    session: Session,
    *,
    actor: Actor,
    policy: ActivePolicy,
    start: datetime,
    pause: tuple[datetime, datetime] | None = None,
) -> WhatIf:
    """Each target's due and warning instants for a ticket opened at ``start`` under
    ``policy``; with ``pause``, the ticket waits for the customer from its first to its second
    instant (the clocks stop if the policy pauses on that status). Next response is counted
    from a customer message at ``start``, right after an answer."""
    ensure_admin(actor)
    if start.tzinfo is None:
        raise ValidationFailed("the start needs a time zone", field="start")
    if pause is not None and not start <= pause[0] < pause[1]:
        raise ValidationFailed(
            "the pause must begin at or after the opening and end after it begins",
            field="pause_from",
        )
    cal = calendar_service.business_calendar_by_id(session, policy.calendar_id)
    if cal is None:
        raise ValidationFailed("the policy's calendar does not exist", field="policy")
    own = clocks.target_calendars(session, policy, cal)
    status = _pause_status(policy.clocks.pause_statuses)
    counted = pause if pause is not None and status is not None else None
    changes: Sequence[sla_domain.StatusChange] = ()
    if counted is not None and status is not None:
        changes = (
            sla_domain.StatusChange(counted[0], status),
            sla_domain.StatusChange(counted[1], "open"),
        )
    now = counted[1] if counted is not None else start
    opened = sla_domain.History(created_at=start, status_changes=changes)
    answered = sla_domain.History(
        created_at=start,
        status_changes=changes,
        messages=(
            sla_domain.MessageEvent(start, "agent"),
            sla_domain.MessageEvent(start, "contact"),
        ),
    )
    out: list[Due] = []
    for private, rules in ((False, policy.clocks), (True, policy.private_clocks)):
        if rules is None:
            continue
        first = sla_domain.evaluate(cal, rules, opened, now=now, calendars=own)
        later = sla_domain.evaluate(cal, rules, answered, now=now, calendars=own)
        for kind in sla_domain.TargetKind:
            minutes = rules.minutes(kind)
            evaluation = later if kind is sla_domain.TargetKind.NEXT_RESPONSE else first
            clock = evaluation.targets.get(kind)
            if minutes is None or clock is None or clock.due_at is None:
                continue
            out.append(
                Due(
                    kind=kind.value,
                    private=private,
                    minutes=minutes,
                    round_the_clock=_is_always_open(policy, kind),
                    due_at=clock.due_at,
                    warning_at=clock.warning_at,
                )
            )
    return WhatIf(policy=policy, start=start, paused=counted, targets=tuple(out))


def _pause_status(statuses: frozenset[str]) -> str | None:
    if PAUSE_STATUS in statuses:
        return PAUSE_STATUS
    return min(statuses) if statuses else None


def _is_always_open(policy: ActivePolicy, kind: sla_domain.TargetKind) -> bool:
    return any(k is kind and calendar_id is None for k, calendar_id in policy.target_calendars)
