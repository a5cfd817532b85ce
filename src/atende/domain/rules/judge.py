"""Which rules run for an event, and whether a rule applies to a ticket's facts (and why)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from atende.domain import conditions as cond
from atende.domain.rules.schema import Rule

__all__ = [
    "Verdict",
    "applicable",
    "judge",
]


def applicable(rules: Iterable[Rule], event: str) -> list[Rule]:
    """The active rules of ``event`` in run order: position, then id (drafts last)."""
    chosen = [r for r in rules if r.active and r.event.value == event]
    return sorted(chosen, key=lambda r: (r.position, r.id is None, r.id or 0, r.name))


@dataclass(frozen=True)
class Verdict:
    matched: bool
    explanation: str


def _hours(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def judge(rule: Rule, facts: Mapping[str, Any]) -> Verdict:
    """Does ``rule`` apply to ``facts``? For a time_based rule the time trigger comes first."""
    prefix = ""
    if rule.time is not None:
        status = facts.get("ticket.status")
        hours = facts.get("ticket.business_hours_in_status")
        if status != rule.time.status:
            return Verdict(False, f"ticket.status is {status}, not {rule.time.status}")
        if not isinstance(hours, int | float) or hours < rule.time.business_hours:
            shown = "unknown" if not isinstance(hours, int | float) else _hours(hours)
            return Verdict(
                False,
                f"{rule.time.status} for {shown} business hours, "
                f"less than {rule.time.business_hours}",
            )
        prefix = (
            f"{rule.time.status} for {_hours(hours)} business hours (≥ {rule.time.business_hours})"
        )
    match = cond.evaluate(rule.condition, facts)
    if not prefix:
        return Verdict(match.matched, match.explanation)
    if match.explanation == "always":
        return Verdict(match.matched, prefix)
    return Verdict(match.matched, f"{prefix} and {match.explanation}")
