"""The dry-run: what an ordered list of rules would do for an event, changing nothing, with the
engine's cascade bounds and loop guard."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from atende.domain import conditions as cond
from atende.domain.rules.describe import Names, _named, describe_action, describe_changes
from atende.domain.rules.judge import applicable, judge
from atende.domain.rules.plan import (
    Update,
    apply_changes,
    effective_changes,
    operations,
    would_act,
)
from atende.domain.rules.schema import Rule, Transfer
from atende.domain.rules.vocabulary import MAX_CASCADE_DEPTH, ActionType, Event

__all__ = [
    "IDLE_TEXT",
    "LOOP_GUARD_TEXT",
    "Effect",
    "Step",
    "depth_stop_text",
    "simulate",
]


@dataclass(frozen=True)
class Effect:
    """One thing a rule would do, as data (``Step.planned`` says the same in English): a page
    says it in its reader's language.

    ``change``: the ticket's ``field`` would become ``value`` (``queue_id``, ``priority``,
    ``status``, ``type``, ``assignee_id``, ``tags``); ``note``: ``why`` a field change is left
    out (the lifecycle's refusal, a closed ticket, nothing to change); ``action``: the rule's
    action number ``index`` would be carried out; ``skipped``: it would not, ``why`` being
    ``closed`` or ``same_queue``."""

    kind: str
    field: str = ""
    value: Any = None
    index: int = -1
    why: str = ""


@dataclass(frozen=True)
class Step:
    """One rule considered by a (simulated) run."""

    depth: int
    event: str
    rule_id: int | None
    rule_name: str
    matched: bool
    explanation: str
    planned: tuple[str, ...] = ()
    """What it would do, one line each (effective changes, replies, notifications)."""
    skipped: str | None = None
    """Why a matching rule would not run (loop guard, already fired, depth bound)."""
    checks: tuple[cond.LeafCheck, ...] = ()
    """Each of the rule's conditions judged on its own against the facts at that point."""
    effects: tuple[Effect, ...] = ()
    """What it would do, as data (the same as ``planned``)."""


def simulate(
    rules: Sequence[Rule],
    facts: Mapping[str, Any],
    event: str,
    *,
    message_facts: Mapping[str, Any] | None = None,
    names: Names = Names(),
    already_fired: Collection[int | str] = (),
    max_depth: int = MAX_CASCADE_DEPTH,
) -> list[Step]:
    """What the rules would do for ``event``, changing nothing: each matching rule in order,
    its actions applied to the facts, and the ``ticket_updated`` cascade its ticket updates
    would raise (with the engine's bounds). ``already_fired`` holds the time_based rules that
    already fired in the ticket's current status period.

    The ticket service's own reactions (SLA escalation, a contact reply reopening a ticket) are
    not simulated; only the rules' changes are.
    """
    steps: list[Step] = []
    fired: set[int | str] = set()
    chain: list[str] = []
    stopped: list[bool] = []

    def level(ev: str, current: dict[str, Any], depth: int) -> dict[str, Any]:
        todo = applicable(rules, ev)
        if not todo:
            return current
        if depth > max_depth:
            if not stopped:  # said once per chain, as the engine does
                stopped.append(True)
                text = _depth_text(chain, ev, max_depth)
                steps.append(Step(depth, ev, None, "", False, "", skipped=text))
            return current
        for rule in todo:
            verdict = judge(rule, current)
            considered = Step(
                depth,
                ev,
                rule.id,
                rule.name,
                verdict.matched,
                verdict.explanation,
                checks=cond.leaf_checks(rule.condition, current),
            )
            skipped: str | None = None
            if not verdict.matched:
                pass
            elif rule.key in fired:
                skipped = LOOP_GUARD_TEXT if would_act(rule.actions, current) else IDLE_TEXT
            elif ev == Event.TIME_BASED and rule.key in already_fired:
                skipped = "already fired in this status period"
            if not verdict.matched or skipped is not None:
                steps.append(replace(considered, skipped=skipped))
                continue
            fired.add(rule.key)
            slot = len(steps)
            steps.append(considered)
            planned: list[str] = []
            effects: list[Effect] = []
            chain.append(rule.name)
            for op in operations(rule.actions):
                if isinstance(op, Update):
                    changes, notes = effective_changes(op, current)
                    planned.extend(describe_changes(changes, names) + notes)
                    effects.extend(Effect("change", field=k, value=v) for k, v in changes.items())
                    effects.extend(Effect("note", why=note) for note in notes)
                    if changes:
                        current = apply_changes(current, changes, names.queues)
                        current = level(Event.TICKET_UPDATED, _no_message(current), depth + 1)
                    continue
                action = op.action
                if isinstance(action.value, Transfer):
                    target = action.value.queue_id
                    if current.get("ticket.status") == "closed":
                        planned.append("no transfer: the ticket is closed")
                        effects.append(Effect("skipped", index=op.index, why="closed"))
                    elif target == current.get("ticket.queue_id"):
                        planned.append(
                            f"no transfer: already in {_named(names.queues, target, 'queue')}"
                        )
                        effects.append(Effect("skipped", index=op.index, why="same_queue"))
                    else:
                        planned.append(describe_action(action, names))
                        effects.append(Effect("action", index=op.index))
                        changes = {"queue_id": target}
                        if current.get("ticket.assignee_id") is not None:
                            changes["assignee_id"] = None
                        current = apply_changes(current, changes, names.queues)
                        current = level(Event.TICKET_UPDATED, _no_message(current), depth + 1)
                    continue
                if action.type in (ActionType.ADD_NOTE, ActionType.SEND_CANNED_REPLY) and (
                    current.get("ticket.status") == "closed"
                ):
                    planned.append(f"no {action.type.value}: the ticket is closed")
                    effects.append(Effect("skipped", index=op.index, why="closed"))
                    continue
                planned.append(describe_action(action, names))
                effects.append(Effect("action", index=op.index))
            chain.pop()
            steps[slot] = replace(steps[slot], planned=tuple(planned), effects=tuple(effects))
        return current

    start = dict(facts)
    if message_facts:
        start.update(message_facts)
    level(event, start, 1)
    return steps


LOOP_GUARD_TEXT: Final = "already ran for this ticket in this chain of changes (loop guard)"
IDLE_TEXT: Final = "already ran in this chain of changes; would change nothing now"


def _depth_text(chain: Sequence[str], event: str, max_depth: int) -> str:
    via = " → ".join(chain) if chain else "rules"
    return (
        f"automation stopped: {max_depth} levels of rule-triggered changes ({via}); "
        f"the {event} rules were not run again"
    )


def depth_stop_text(chain: Sequence[str], event: str, max_depth: int = MAX_CASCADE_DEPTH) -> str:
    return _depth_text(chain, event, max_depth)


def _no_message(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if not k.startswith("message.")}
