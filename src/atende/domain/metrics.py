"""The service metrics of a ticket, measured as it lives (docs/metrics.md): pure, values in and out.

A ticket's life is fed to :func:`advance` one :class:`Step` at a time (its creation, each
customer message, each public reply of a human agent, each status change and assignment); it
answers the spans that step ended (:class:`Span`), which the reports area writes as facts in the
step's transaction. Bot, automatic and system messages and internal notes are never steps: they
are not an agent's answer and they do not answer the customer.

The state between steps is a plain JSON-able dict (instants as epoch seconds), kept per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import fsum
from typing import Any, Literal

DONE = frozenset({"resolved", "closed"})
PAUSES_HANDLING = frozenset({"pending_customer"})  # TMA does not count waiting for the customer

# the metrics a span measures (the names of the facts)
TMPR = "tmpr"  # first response
TME = "tme"  # the customer's waiting, summed over a resolution cycle
TMR = "tmr"  # each customer message to the reply that answered it
TMA = "tma"  # handling: assignment to resolution, less waiting for the customer
RESOLUTION = "resolution"  # creation or reopen to resolution
CREATED = "created"
REOPENED = "reopened"
FCR = "fcr"  # first-contact resolution (met: resolved with one agent reply, never reopened)
DURATIONS = (TMPR, TME, TMR, TMA, RESOLUTION)

StepKind = Literal["created", "contact_message", "agent_reply", "status", "assigned"]


@dataclass(frozen=True)
class Step:
    """One thing that happened to a ticket. ``value``: the new status (``status``, and the
    initial one of ``created``); ``user_id``: the replying agent (``agent_reply``), the new
    assignee (``assigned``, None: unassigned) or the assignee at creation."""

    kind: StepKind
    at: datetime
    value: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class Span:
    """A measured span: ``parts`` are the intervals that count (a wait summed over several
    spans; handling time without the pauses). ``met``: the FCR outcome, else None."""

    metric: str
    started_at: datetime
    ended_at: datetime
    parts: tuple[tuple[datetime, datetime], ...]
    agent_id: int | None
    met: bool | None = None

    @property
    def seconds(self) -> int:
        return sum(int((b - a).total_seconds()) for a, b in self.parts)


def _t(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return int(dt.timestamp())


def _dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def initial_state() -> dict[str, Any]:
    return {
        "v": 1,
        "status": "new",
        "status_since": None,
        "assignee": None,
        "cycle": 0,
        "cycle_start": None,
        "first_wait": None,
        "answered": False,
        "unanswered": [],
        "waits": [],
        "assigned": None,
        "paused_since": None,
        "pauses": [],
        "replies": 0,
        "reopens": 0,
        "sla": [],
    }


def _span(
    metric: str, start: int, end: int, parts: Sequence[Sequence[int]], agent: int | None,
    met: bool | None = None,
) -> Span:  # fmt: skip
    return Span(
        metric, _dt(start), _dt(end), tuple((_dt(a), _dt(b)) for a, b in parts if b > a),
        agent, met,
    )  # fmt: skip


def _without(start: int, end: int, pauses: Sequence[Sequence[int]]) -> list[list[int]]:
    """[start, end) less the ``pauses`` (sorted, non-overlapping)."""
    out: list[list[int]] = []
    cursor = start
    for a, b in sorted((max(a, start), min(b, end)) for a, b in pauses):
        if b <= a:
            continue
        if a > cursor:
            out.append([cursor, a])
        cursor = max(cursor, b)
    if end > cursor:
        out.append([cursor, end])
    return out


def advance(state: dict[str, Any], step: Step) -> list[Span]:
    """Feed ``step`` to ``state`` (changed in place); the spans it ended."""
    t = _t(step.at)
    s = state
    out: list[Span] = []
    if step.kind == "created":
        s["status"], s["status_since"] = step.value or "new", t
        s["cycle"], s["cycle_start"] = 1, t
        s["assignee"] = step.user_id
        s["assigned"] = t if step.user_id is not None else None
        if s["status"] in PAUSES_HANDLING:
            s["paused_since"] = t
        out.append(_span(CREATED, t, t, [], step.user_id))
    elif step.kind == "contact_message":
        if s["status"] in DONE:  # a customer's message on a resolved ticket reopens it
            out.extend(_status(s, "open", t))
        if s["first_wait"] is None and not s["answered"]:
            s["first_wait"] = t
        s["unanswered"].append(t)
    elif step.kind == "agent_reply":
        s["replies"] += 1
        if s["first_wait"] is not None and not s["answered"]:
            out.append(_span(TMPR, s["first_wait"], t, [[s["first_wait"], t]], step.user_id))
            s["answered"] = True
        if s["unanswered"]:
            for m in s["unanswered"]:
                out.append(_span(TMR, m, t, [[m, t]], step.user_id))
            s["waits"].append([s["unanswered"][0], t])
            s["unanswered"] = []
    elif step.kind == "status":
        out.extend(_status(s, step.value or s["status"], t))
    elif step.kind == "assigned":
        s["assignee"] = step.user_id
        if step.user_id is not None and s["assigned"] is None and s["status"] not in DONE:
            s["assigned"] = t
    return out


def _status(s: dict[str, Any], new: str, t: int) -> list[Span]:
    old = s["status"]
    if new == old:
        return []
    out: list[Span] = []
    if old in PAUSES_HANDLING and s["paused_since"] is not None:
        s["pauses"].append([s["paused_since"], t])
        s["paused_since"] = None
    if new in PAUSES_HANDLING:
        s["paused_since"] = t
    s["status"], s["status_since"] = new, t
    agent = s["assignee"]
    if new in DONE and old not in DONE:
        start = s["cycle_start"]
        out.append(_span(RESOLUTION, start, t, [[start, t]], agent))
        if s["assigned"] is not None:
            begin = s["assigned"]
            out.append(_span(TMA, begin, t, _without(begin, t, s["pauses"]), agent))
        waits = list(s["waits"])
        if s["unanswered"]:  # resolved while the customer waited: the wait ends here
            waits.append([s["unanswered"][0], t])
            s["unanswered"] = []
        if waits or s["first_wait"] is not None:
            out.append(_span(TME, waits[0][0] if waits else t, t, waits, agent))
        if s["cycle"] == 1:
            met = s["replies"] <= 1 and s["reopens"] == 0
            out.append(_span(FCR, start, t, [], agent, met=met))
    elif old in DONE and new not in DONE:
        s["reopens"] += 1
        s["cycle"] += 1
        s["cycle_start"] = t
        s["first_wait"], s["answered"] = None, False
        s["unanswered"], s["waits"], s["pauses"] = [], [], []
        s["assigned"] = t if s["assignee"] is not None else None
        out.append(_span(REOPENED, t, t, [], agent))
    return out


# --- statistics: what a report shows of the measured values --------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p`` quantile (0..1) of ``values`` with linear interpolation between the closest
    ranks: PostgreSQL's ``percentile_cont`` (and ``statistics.quantiles(method="inclusive")``)."""
    if not values:
        raise ValueError("no values")
    return _sorted_percentile(sorted(values), p)


def _sorted_percentile(ordered: Sequence[float], p: float) -> float:
    pos = p * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values: Sequence[float]) -> tuple[int, float, float, float] | None:
    """``(count, mean, median, p90)`` or None when nothing was measured."""
    if not values:
        return None
    ordered = sorted(values)
    return (
        len(ordered),
        fsum(ordered) / len(ordered),
        _sorted_percentile(ordered, 0.5),
        _sorted_percentile(ordered, 0.9),
    )
