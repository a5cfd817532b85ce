"""Ticket status rules: which transitions are allowed and why the others are refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from atende.domain.errors import Conflict, fill

STATUSES: tuple[str, ...] = (
    "new",
    "open",
    "pending_customer",
    "pending_internal",
    "scheduled",
    "resolved",
    "closed",
)
ACTIVE_STATUSES = frozenset({"new", "open", "pending_customer", "pending_internal", "scheduled"})

# "scheduled": the work is booked for later (an appointment, seed 002 items 39-41); a policy may
# pause its clocks meanwhile (pause_statuses)
_WAITING = frozenset({"pending_customer", "pending_internal", "scheduled"})
_ALLOWED: dict[str, frozenset[str]] = {
    "new": _WAITING | {"open", "resolved", "closed"},
    "open": _WAITING | {"resolved", "closed"},
    "pending_customer": (_WAITING - {"pending_customer"}) | {"open", "resolved", "closed"},
    "pending_internal": (_WAITING - {"pending_internal"}) | {"open", "resolved", "closed"},
    "scheduled": (_WAITING - {"scheduled"}) | {"open", "resolved", "closed"},
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def transition_problem(current: str, target: str) -> tuple[str, dict[str, str]] | None:
    """Why ``current -> target`` is refused, as a message template and its parameters, or
    None when it is allowed (or a no-op)."""
    if target not in _ALLOWED:
        return "unknown status {target!r}", {"target": target}
    if current == target:
        return None
    if current == "closed":
        return "a closed ticket is final; open a follow-up ticket instead", {}
    if target == "new":
        return "a ticket cannot go back to 'new' once it has been worked on", {}
    if target == "pending_customer" and current == "resolved":
        return "reopen the ticket ('open') before waiting on the customer", {}
    if target == "pending_internal" and current == "resolved":
        return "reopen the ticket ('open') before sending it to another department", {}
    if target == "scheduled" and current == "resolved":
        return "reopen the ticket ('open') before scheduling work on it", {}
    if target not in _ALLOWED[current]:
        return "cannot change status from {current!r} to {target!r}", {
            "current": current,
            "target": target,
        }
    return None


def transition_error(current: str, target: str) -> str | None:
    """Why ``current -> target`` is refused, in English, or None when it is allowed."""
    problem = transition_problem(current, target)
    return None if problem is None else fill(*problem)


def ensure_transition(current: str, target: str) -> None:
    problem = transition_problem(current, target)
    if problem is not None:
        template, params = problem
        raise InvalidTransition(template, field="status", **params)


def status_after_contact_message(current: str) -> str:
    """A contact's message wakes a ticket that waits on them or was resolved."""
    if current in ("pending_customer", "resolved"):
        return "open"
    return current


def status_after_agent_reply(current: str) -> str:
    """The first public answer takes a new ticket into work."""
    return "open" if current == "new" else current


def timestamps_for_status(
    current: str,
    target: str,
    *,
    now: datetime,
    resolved_at: datetime | None,
    closed_at: datetime | None,
) -> tuple[datetime | None, datetime | None]:
    """(resolved_at, closed_at) after ``current -> target`` at ``now``.

    Resolving stamps ``resolved_at``; closing stamps ``closed_at`` and, when the ticket was never
    resolved, ``resolved_at`` too (a closed ticket is a resolved one). Going back to work (reopen)
    clears ``resolved_at``: the ticket is no longer resolved.
    """
    if current == target:
        return resolved_at, closed_at
    if target == "resolved":
        return now, None
    if target == "closed":
        return resolved_at or now, now
    return None, None


@dataclass(frozen=True)
class HistoryMessage:
    author: str  # agent | contact
    public: bool
    created_at: datetime


@dataclass(frozen=True)
class HistoryProblem:
    field: str
    message: str


def history_problems(
    *,
    created_at: datetime,
    status: str,
    resolved_at: datetime | None,
    closed_at: datetime | None,
    chat_ended_at: datetime | None,
    messages: Sequence[HistoryMessage],
    now: datetime,
    earliest: datetime,
) -> list[HistoryProblem]:
    """Everything wrong with an imported history, each naming its field (empty when it is sound).

    The rules: every instant lies between ``earliest`` and ``now``; messages come in
    chronological order and none before the ticket was created; ``resolved_at`` only on a
    resolved or closed ticket, ``closed_at`` only on a closed one, neither before creation, and
    closing not before resolving.
    """
    problems: list[HistoryProblem] = []

    def in_range(field: str, value: datetime | None) -> bool:
        if value is None:
            return True
        if value.tzinfo is None:
            problems.append(HistoryProblem(field, "a time zone is required"))
            return False
        if value < earliest:
            problems.append(HistoryProblem(field, f"is before {earliest.date().isoformat()}"))
            return False
        if value > now:
            problems.append(HistoryProblem(field, "is in the future"))
            return False
        return True

    if not in_range("created_at", created_at):
        return problems
    for name, value in (
        ("resolved_at", resolved_at),
        ("closed_at", closed_at),
        ("chat_ended_at", chat_ended_at),
    ):
        if in_range(name, value) and value is not None and value < created_at:
            problems.append(HistoryProblem(name, "is before the ticket's created_at"))
    if resolved_at is not None and status not in ("resolved", "closed"):
        problems.append(
            HistoryProblem("resolved_at", f"given, but the status is {status!r}, not resolved")
        )
    if closed_at is not None and status != "closed":
        problems.append(
            HistoryProblem("closed_at", f"given, but the status is {status!r}, not closed")
        )
    if resolved_at is not None and closed_at is not None and closed_at < resolved_at:
        problems.append(HistoryProblem("closed_at", "is before resolved_at"))
    previous: datetime | None = None
    for index, message in enumerate(messages):
        field = f"messages[{index}].created_at"
        if not in_range(field, message.created_at):
            continue
        if message.created_at < created_at:
            problems.append(HistoryProblem(field, "is before the ticket's created_at"))
        elif previous is not None and message.created_at < previous:
            problems.append(
                HistoryProblem(field, "is before the previous message: give messages in order")
            )
        previous = message.created_at
    return problems


AUTO_CLOSE_HOURS: Final = 48
"""Business hours a resolved ticket waits for the contact before it closes itself (a policy's
``auto_close_business_hours`` overrides it)."""
