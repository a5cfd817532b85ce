"""How a rule's actions are carried out: the operations they become, the changes an update really
makes to a ticket, and whether actions would do anything.

How a rule's actions run (the engine and the dry-run both follow :func:`operations`): the field
changes of a rule (queue, priority, status, type, assignee, tags) are applied together as one
ticket update, at the place of the first of them; each ``transfer`` is a ticket update of its
own; notes, canned replies and notifications follow in their order. Every ticket update raises
``ticket_updated``, which runs the rules again one level deeper: :data:`MAX_CASCADE_DEPTH`
levels at most, and a rule never runs twice for one ticket in one cascade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from atende.domain.lifecycle import transition_error
from atende.domain.rules.schema import Action, Transfer
from atende.domain.rules.vocabulary import FIELD_ACTIONS, ActionType

__all__ = [
    "Operation",
    "Single",
    "Update",
    "apply_changes",
    "apply_tag_ops",
    "effective_changes",
    "operations",
    "would_act",
]


@dataclass(frozen=True)
class Update:
    """The field changes of one rule, applied together (one ``ticket_updated``)."""

    queue_id: int | None = None
    priority: str | None = None
    status: str | None = None
    type: str | None = None
    assignee: tuple[int | None] | None = None
    """``(user_id,)`` or ``(None,)`` to unassign; None: unchanged."""
    tag_ops: tuple[tuple[ActionType, tuple[str, ...]], ...] = ()
    indices: tuple[int, ...] = ()


@dataclass(frozen=True)
class Single:
    index: int
    action: Action


Operation: TypeAlias = Update | Single


def operations(actions: Sequence[Action]) -> list[Operation]:
    """The order in which a rule's actions are carried out (see the module's docstring)."""
    ops: list[Operation] = []
    update: Update | None = None
    slot: int | None = None
    for index, action in enumerate(actions):
        if action.type not in FIELD_ACTIONS:
            ops.append(Single(index, action))
            continue
        if update is None:
            update = Update()
            slot = len(ops)
            ops.append(update)
        v = action.value
        if action.type is ActionType.SET_QUEUE:
            assert isinstance(v, int)
            update = replace(update, queue_id=v)
        elif action.type is ActionType.SET_PRIORITY:
            assert isinstance(v, str)
            update = replace(update, priority=v)
        elif action.type is ActionType.SET_STATUS:
            assert isinstance(v, str)
            update = replace(update, status=v)
        elif action.type is ActionType.SET_TYPE:
            assert isinstance(v, str)
            update = replace(update, type=v)
        elif action.type is ActionType.SET_ASSIGNEE:
            assert v is None or isinstance(v, int)
            update = replace(update, assignee=(v,))
        else:
            assert isinstance(v, tuple)
            update = replace(update, tag_ops=(*update.tag_ops, (action.type, v)))
        update = replace(update, indices=(*update.indices, index))
        assert slot is not None
        ops[slot] = update
    return ops


def apply_tag_ops(
    current: Iterable[str], ops: Iterable[tuple[ActionType, tuple[str, ...]]]
) -> list[str]:
    tags = {t.lower() for t in current}
    for kind, values in ops:
        if kind is ActionType.SET_TAGS:
            tags = set(values)
        elif kind is ActionType.ADD_TAGS:
            tags |= set(values)
        else:
            tags -= set(values)
    return sorted(tags)


def effective_changes(update: Update, facts: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The ``changes`` an update really makes to the ticket described by ``facts`` (for
    ``update_ticket``), and notes on what it leaves alone and why."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if facts.get("ticket.status") == "closed":
        return {}, ["the ticket is closed: its fields stay as they are"]
    if update.queue_id is not None and update.queue_id != facts.get("ticket.queue_id"):
        changes["queue_id"] = update.queue_id
    if update.priority is not None and update.priority != facts.get("ticket.priority"):
        changes["priority"] = update.priority
    if update.type is not None and update.type != facts.get("ticket.type"):
        changes["type"] = update.type
    if update.assignee is not None and update.assignee[0] != facts.get("ticket.assignee_id"):
        changes["assignee_id"] = update.assignee[0]
    if update.tag_ops:
        current = sorted(facts.get("ticket.tags") or ())
        wanted = apply_tag_ops(current, update.tag_ops)
        if wanted != current:
            changes["tags"] = wanted
    if update.status is not None:
        current_status = str(facts.get("ticket.status") or "new")
        if update.status != current_status:
            why = transition_error(current_status, update.status)
            if why is None:
                changes["status"] = update.status
            else:
                notes.append(f"status stays {current_status}: {why}")
    if not changes and not notes:
        notes.append("nothing to change")
    return changes, notes


def apply_changes(
    facts: Mapping[str, Any], changes: Mapping[str, Any], queue_names: Mapping[int, str]
) -> dict[str, Any]:
    """The facts after ``changes`` (as from :func:`effective_changes`) are made."""
    out = dict(facts)
    if "queue_id" in changes:
        out["ticket.queue_id"] = changes["queue_id"]
        out["ticket.queue"] = queue_names.get(changes["queue_id"])
    for key, fact in (
        ("priority", "ticket.priority"),
        ("type", "ticket.type"),
        ("assignee_id", "ticket.assignee_id"),
        ("tags", "ticket.tags"),
    ):
        if key in changes:
            out[fact] = changes[key]
    if "status" in changes:
        out["ticket.status"] = changes["status"]
        out["ticket.business_hours_in_status"] = 0
    return out


def would_act(actions: Sequence[Action], facts: Mapping[str, Any]) -> bool:
    """Would these actions do anything to the ticket described by ``facts``? (A rule that
    would change nothing runs silently: no timeline entry.)"""
    closed = facts.get("ticket.status") == "closed"
    for op in operations(actions):
        if isinstance(op, Update):
            if effective_changes(op, facts)[0]:
                return True
        elif isinstance(op.action.value, Transfer):
            if not closed and op.action.value.queue_id != facts.get("ticket.queue_id"):
                return True
        elif op.action.type in (ActionType.ADD_NOTE, ActionType.SEND_CANNED_REPLY):
            if not closed:
                return True
        else:
            return True  # notifications
    return False
