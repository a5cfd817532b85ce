"""Runs the automation rules for a ticket event (docs/rules.md).

Called by the settle loop (``workflows/settle.py``) for a change's event, after the SLA
re-evaluation, and for the ``sla_warning`` / ``sla_breach`` signals; :func:`sweep_one_time_based`
is called by the worker's sweep (``workflows/sweeps.py``) for the ``time_based`` rules.

A rule acts as a system actor named after it (``rule: <name>``) through the tickets commands, so
every change it makes is an ordinary timeline event, and each rule run writes one ``rule`` event
saying which conditions matched and what it did. A rule's actions run in a savepoint: when one is
refused (a queue gone, a status that cannot be reached) none of them stays, and the timeline says
why (``rule_failed``); the use case that triggered the rule goes on.

Cascades: a rule's ticket update raises ``ticket_updated``, which the settle loop (``settle``,
passed in) feeds back to :func:`run`. The chain is kept in a :class:`Cascade` the settle loop
owns and passes in; at :data:`MAX_CASCADE_DEPTH` levels it stops (with a timeline entry), and a
rule never runs twice for one ticket within one chain.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.domain import rules as rules_domain
from atende.domain.errors import DomainError
from atende.domain.rules.judge import Verdict
from atende.domain.rules.vocabulary import MAX_CASCADE_DEPTH, Event
from atende.rules import models, repository
from atende.rules.actions import carry_out, rule_actor
from atende.rules.facts import (
    active_rules,
    event_message,
    field_facts,
    message_facts,
    names_for,
    ticket_facts,
)
from atende.tickets.events import Settle
from atende.tickets.models import Message, Ticket
from atende.tickets.timeline import record_event

log = logging.getLogger("atende.rules")

EVENTS = rules_domain.EVENTS
SWEEP_SCAN_FACTOR: Final = 10
"""A sweep looks at most ``limit * SWEEP_SCAN_FACTOR`` candidates (over all rules)."""


# --------------------------------------------------------------------------------------------
# The cascade
# --------------------------------------------------------------------------------------------


@dataclass
class Cascade:
    """A chain of rule runs, from the first event of a settle to the rules it set off: how
    deep it is, which rules fired on which ticket, their names (for the timeline). Emptied when
    the chain ends (the top run returns)."""

    depth: int = 0
    fired: set[tuple[int | str, int]] = field(default_factory=set)
    chain: list[str] = field(default_factory=list)
    stopped: set[int] = field(default_factory=set)

    def reset(self) -> None:
        self.depth, self.fired, self.chain, self.stopped = 0, set(), [], set()


def run(
    session: Session,
    *,
    ticket: Ticket,
    event: str,
    now: datetime,
    cascade: Cascade,
    settle: Settle,
    message: Message | None = None,
    tags: Sequence[str] | None = None,
) -> None:
    """Run the active rules of ``event`` against ``ticket`` in position order; what a rule
    changes is handed to ``settle`` at once (the next rule sees the ticket as it is). ``tags``:
    the ticket's tags when the caller knows them (read otherwise)."""
    if event not in EVENTS:
        raise ValueError(f"unknown rules event {event!r}")
    rules = active_rules(session, event)
    if not rules:
        return
    if ticket.id is None:
        session.flush()
    state = cascade
    if state.depth >= MAX_CASCADE_DEPTH:
        if ticket.id not in state.stopped:
            state.stopped.add(ticket.id)
            record_event(
                session,
                ticket,
                actor=rule_actor(state.chain[-1] if state.chain else "automation"),
                kind="rules_stopped",
                at=now,
                detail=rules_domain.depth_stop_text(state.chain, event),
                after={"chain": list(state.chain), "event": event},
            )
        return
    top = state.depth == 0
    state.depth += 1
    try:
        if event == Event.TIME_BASED:
            _run_time_based(session, ticket, rules, now=now, state=state, settle=settle)
        else:
            _run_event(
                session, ticket, rules, event=event, now=now, message=message, state=state,
                settle=settle, tags=tags,
            )  # fmt: skip
    finally:
        state.depth -= 1
        if top:
            state.reset()


def _run_event(
    session: Session,
    ticket: Ticket,
    rules: Sequence[rules_domain.Rule],
    *,
    event: str,
    now: datetime,
    message: Message | None,
    state: Cascade,
    settle: Settle,
    tags: Sequence[str] | None,
) -> None:
    needs: set[str] = set()
    for rule in rules:
        needs |= rules_domain.fields_used(rule.condition)
    message = event_message(session, ticket, event, message)
    extra = message_facts(ticket, message)
    instance = _instance(session, ticket, event, message, now)
    facts: dict[str, Any] | None = None
    for rule in rules:
        if facts is None:
            facts = {**ticket_facts(session, ticket, now=now, needs=needs, tags=tags), **extra}
        verdict = rules_domain.judge(rule, facts)
        if not verdict.matched:
            continue
        if _fire(
            session,
            rule,
            ticket,
            event=event,
            now=now,
            verdict=verdict,
            state=state,
            instance=instance,
            settle=settle,
            tags=tags,
        ):
            facts = tags = None  # the ticket changed: the next rules see it as it is now


def _instance(
    session: Session, ticket: Ticket, event: str, message: Message | None, now: datetime
) -> str:
    """What identifies this occurrence of the event (part of the notification jobs' keys)."""
    if event in (Event.MESSAGE_RECEIVED, Event.MESSAGE_SENT) and message is not None:
        return f"m{message.id}"
    if event == Event.TICKET_CREATED:
        return "created"
    if event in (Event.SLA_WARNING, Event.SLA_BREACH):
        return repository.latest_sla_signal(session, ticket.id, event, now) or now.isoformat()
    if event == Event.TIME_BASED:
        at = ticket.status_changed_at or ticket.created_at
        return f"s{at.astimezone(UTC).isoformat()}"
    return "updated"  # refined per rule at fire time (see _fire)


def _fire(
    session: Session,
    rule: rules_domain.Rule,
    ticket: Ticket,
    *,
    event: str,
    now: datetime,
    verdict: Verdict,
    state: Cascade,
    instance: str,
    settle: Settle,
    tags: Sequence[str] | None = None,
) -> bool:
    """Carry out a matching rule; True when it did something (the ticket may have changed).
    ``tags``: the ticket's tags when known."""
    key = (rule.key, ticket.id)
    current = field_facts(session, ticket, tags=tags)
    acts = rules_domain.would_act(rule.actions, current)
    actor = rule_actor(rule.name)
    if key in state.fired:
        if acts:
            record_event(
                session,
                ticket,
                actor=actor,
                kind="rule_skipped",
                at=now,
                detail=f'Rule "{rule.name}" ({event}) matched again: {verdict.explanation}; '
                f"not run: {rules_domain.LOOP_GUARD_TEXT}",
                after={
                    "rule_id": rule.id,
                    "rule": rule.name,
                    "event": event,
                    "chain": list(state.chain),
                },
            )
        return False
    state.fired.add(key)
    if not acts:
        return False  # it would change nothing: no timeline entry
    if instance == "updated":
        last = repository.last_change_position(session, ticket.id, not_by=actor.label)
        instance = f"p{last or 0}"
    names = names_for(session, rule.actions)
    summary = record_event(
        session,
        ticket,
        actor=actor,
        kind="rule",
        at=now,
        detail=f'Rule "{rule.name}" ({event}): {verdict.explanation}',
        after={
            "rule_id": rule.id,
            "rule": rule.name,
            "event": event,
            "matched": verdict.explanation,
            "actions": [],
        },
    )
    done: list[str] = []
    state.chain.append(rule.name)
    try:
        with session.begin_nested():
            carry_out(
                session,
                rule,
                ticket,
                event=event,
                now=now,
                verdict=verdict,
                instance=instance,
                names=names,
                done=done,
                settle=settle,
                tags=tags,
            )
    except DomainError as exc:
        summary.kind = "rule_failed"
        summary.detail = (
            f'Rule "{rule.name}" ({event}): {verdict.explanation} → failed, nothing of it '
            f"was applied: {exc.message}"
        )
        summary.after = {**summary.after, "error": exc.message}
        session.flush()
        return False
    finally:
        state.chain.pop()
    summary.detail = f"{summary.detail} → {'; '.join(done)}"
    summary.after = {**summary.after, "actions": done}
    session.flush()
    return True


# --------------------------------------------------------------------------------------------
# time_based rules
# --------------------------------------------------------------------------------------------


def _run_time_based(
    session: Session,
    ticket: Ticket,
    rules: Sequence[rules_domain.Rule],
    *,
    now: datetime,
    state: Cascade,
    settle: Settle,
) -> None:
    """The time_based rules due for this ticket and not yet decided in its status period."""
    period = ticket.status_changed_at or ticket.created_at
    due = [r for r in rules if r.time is not None and r.time.status == ticket.status]
    if not due or period is None:
        return
    decided = repository.fired_rule_ids(session, ticket.id, period)
    for rule in due:
        if rule.id is None or rule.id in decided:
            continue
        _decide_time_rule(session, rule, ticket, now=now, state=state, settle=settle)


def _decide_time_rule(
    session: Session,
    rule: rules_domain.Rule,
    ticket: Ticket,
    *,
    now: datetime,
    state: Cascade,
    settle: Settle,
) -> bool | None:
    """None when the rule's threshold is not reached yet; else record the decision for this
    status period (once: the unique key refuses a second) and run the rule if it matches."""
    assert rule.time is not None and rule.id is not None
    needs = rules_domain.fields_used(rule.condition) | rules_domain.BUSINESS_FACTS
    facts = ticket_facts(session, ticket, now=now, needs=needs)
    hours = facts.get("ticket.business_hours_in_status")
    if ticket.status != rule.time.status or hours is None or hours < rule.time.business_hours:
        return None
    verdict = rules_domain.judge(rule, facts)
    period = ticket.status_changed_at or ticket.created_at
    try:
        with session.begin_nested():
            session.add(
                models.RuleFiring(
                    rule_id=rule.id,
                    ticket_id=ticket.id,
                    status_changed_at=period,
                    matched=verdict.matched,
                    fired_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return False  # decided meanwhile by another worker
    if not verdict.matched:
        return False
    instance = _instance(session, ticket, Event.TIME_BASED, None, now)
    return _fire(
        session,
        rule,
        ticket,
        event=Event.TIME_BASED,
        now=now,
        verdict=verdict,
        state=state,
        instance=instance,
        settle=settle,
    )


def sweep_time_based(
    session: Session, *, now: datetime, cascade: Cascade, settle: Settle, limit: int = 500
) -> int:
    """Fire the time_based rules whose threshold has come; returns how many rule runs acted.

    For each active time_based rule, the candidates come from the ``(status, status_changed_at,
    id)`` index: business time elapsed is never more than wall time, so a ticket in the rule's
    status since ``now - N hours`` or earlier is a candidate; the exact business time is then
    checked on its calendar. Each decision is recorded (``rule_firings``, unique per rule,
    ticket and status period), so a rule fires at most once per period, even with several
    workers. Each ticket is handled in a savepoint: one failure is logged and the sweep goes on.
    At most ``limit`` rule runs and ``limit * 10`` candidates per sweep. Flushes; the caller
    commits.
    """
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    now = now.astimezone(UTC)
    rules = [r for r in active_rules(session, Event.TIME_BASED) if r.time is not None]
    skip_locked = session.get_bind().dialect.name == "postgresql"
    acted = 0
    budget = limit * SWEEP_SCAN_FACTOR
    for rule in rules:
        assert rule.time is not None and rule.id is not None
        cutoff = now - timedelta(hours=rule.time.business_hours)
        after: tuple[datetime, int] | None = None
        while acted < limit and budget > 0:
            rows = repository.time_candidates(
                session,
                rule_id=rule.id,
                status=rule.time.status,
                changed_before=cutoff,
                after=after,
                limit=min(budget, 200),
            )
            if not rows:
                break
            for ticket_id, changed_at in rows:
                budget -= 1
                after = (changed_at, ticket_id)
                if _sweep_one(
                    session, rule, ticket_id, changed_at, now=now, skip_locked=skip_locked,
                    cascade=cascade, settle=settle,
                ):  # fmt: skip
                    acted += 1
                if acted >= limit:
                    break
    return acted


def _sweep_one(
    session: Session,
    rule: rules_domain.Rule,
    ticket_id: int,
    changed_at: datetime,
    *,
    now: datetime,
    skip_locked: bool,
    cascade: Cascade,
    settle: Settle,
) -> bool:
    assert rule.time is not None
    try:
        with session.begin_nested():
            ticket = repository.lock_ticket(session, ticket_id, skip_locked=skip_locked)
            if (
                ticket is None
                or ticket.status != rule.time.status
                or ticket.status_changed_at != changed_at
            ):
                return False  # changed meanwhile, or another worker holds it
            top = cascade.depth == 0
            cascade.depth += 1
            try:
                return bool(
                    _decide_time_rule(session, rule, ticket, now=now, state=cascade, settle=settle)
                )
            finally:
                cascade.depth -= 1
                if top:
                    cascade.reset()
    except Exception:
        log.exception(
            "time_based rule %s on ticket %s failed; retried next sweep", rule.id, ticket_id
        )
        return False
