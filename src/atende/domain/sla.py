"""SLA clocks of one ticket, computed from its history (pure: no I/O, no framework).

Given a :class:`~atende.domain.businesstime.BusinessCalendar`, a :class:`Policy` (plain values)
and the ticket's :class:`History` (plain values), :func:`evaluate` says for each target, at the
instant ``now``: its state, due and warning instants, when it was met or breached and how many
business seconds it has used. Everything is recomputed from the history, so the same history
always gives the same answer (imported tickets get the state their history implies).

The rules (``docs/sla.md`` states them with examples):

* **Business time.** A clock only runs in the calendar's open hours and while the ticket is not
  *stopped*. A clock that starts outside hours starts at the next opening.
* **Pause.** The ticket is paused while its status is one of ``policy.pause_statuses`` (default
  ``pending_customer``). Paused business time does not count: every due instant shifts by it.
  While a clock is paused its ``due_at``/``warning_at`` are *projected* as if it resumed ``now``;
  they move on every evaluation and are not deadlines (``next_deadline`` ignores them). Being
  outside the calendar's hours is not the ``paused`` state: it only shows in the due instants.
* **Due, met, breached.** ``due_at`` is the instant at which the target's business minutes are
  used up (a closing time when they are used up exactly there). A target is **met** when it is
  fulfilled at or before ``due_at``, **breached** at ``due_at`` otherwise. A target fulfilled after
  its due instant stays ``breached``; its ``met_at`` then says when it was fulfilled, late.
* **First response** starts at ``created_at`` and is fulfilled by the first public agent reply, or
  when the ticket is first resolved or closed (a ticket solved without a reply owes no reply).
* **Next response**: a contact message that arrives after the ticket has been answered (and while
  the ticket is not resolved/closed) starts a clock, unless one is already waiting; the next public
  agent reply (or the ticket being resolved/closed) fulfils it. "After" is the history's order
  (time, then the given order): a contact message in the same second as a reply but given after
  it starts a clock, and that reply does not meet it. Every cycle is returned in
  ``Evaluation.next_response_cycles``; ``targets`` holds the latest one.
* **Resolution** starts at ``created_at`` (or, for a ``chat`` ticket whose policy says so, when the
  chat ends; until then it is ``paused`` with no due instant). The clock also stops while the
  ticket is resolved or closed. It is met when the ticket is resolved (``met_at`` is the start of
  the current resolved/closed spell). **Reopening continues the clock**: the time spent resolved
  does not count, the business time used before is kept, and the target is judged again at the
  next resolution (a reopened ticket can still breach).
* **Warning** at ``warning_percent`` % of the target (rounded up to a whole second).
* ``next_deadline`` is the earliest warning or due instant still ahead of ``now`` among the clocks
  that are running (not paused, met or breached).
* **Each target on its own clock.** A target counts on the policy's calendar unless
  ``evaluate`` is given another one for it (``calendars``): seed 001's resolution in 7 calendar
  days counts on a 24x7 calendar while its first response counts in the team's hours. Pauses
  and resolved spells stop every clock alike.
* A calendar with no open time left (before 2100) gives no due instant: ``due_at`` is None and
  the target cannot be breached.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, Literal

from atende.domain.businesstime import BusinessCalendar, NaiveDatetimeError, OutOfRange
from atende.domain.errors import ValidationFailed

__all__ = [
    "DEFAULT_PAUSE_STATUSES",
    "DONE_STATUSES",
    "PAUSABLE_STATUSES",
    "Evaluation",
    "History",
    "MessageEvent",
    "Policy",
    "State",
    "StatusChange",
    "TargetClock",
    "TargetKind",
    "evaluate",
]


class TargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


DONE_STATUSES: Final[frozenset[str]] = frozenset({"resolved", "closed"})
PAUSABLE_STATUSES: Final[frozenset[str]] = frozenset(
    {"pending_customer", "pending_internal", "scheduled"}
)
DEFAULT_PAUSE_STATUSES: Final[frozenset[str]] = frozenset({"pending_customer"})
MAX_TARGET_MINUTES: Final[int] = 10 * 366 * 24 * 60
"""Ten years of business minutes: a generous upper bound for any target."""


@dataclass(frozen=True)
class Policy:
    """The clock settings of an SLA policy, as plain values."""

    name: str
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warning_percent: int = 80
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    chat_resolution_starts_at_chat_end: bool = False

    def __post_init__(self) -> None:
        for name in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValidationFailed(
                    "{name} must be a positive whole number of minutes, got {value!r}",
                    field=name, name=name, value=value,
                )  # fmt: skip
            if value > MAX_TARGET_MINUTES:
                raise ValidationFailed(
                    "{name} must be at most {max_target_minutes} minutes, got {value}",
                    field=name, name=name, max_target_minutes=MAX_TARGET_MINUTES, value=value,
                )  # fmt: skip
        pct = self.warning_percent
        if isinstance(pct, bool) or not isinstance(pct, int) or not 1 <= pct <= 100:
            raise ValidationFailed(
                "warning_percent must be a whole number from 1 to 100, got {pct!r}",
                field="warning_percent",
                pct=pct,
            )
        unknown = set(self.pause_statuses) - PAUSABLE_STATUSES
        if unknown:
            raise ValidationFailed(
                "pause_statuses may only contain {pausable_statuses}; got {unknown}",
                field="pause_statuses",
                pausable_statuses=", ".join(sorted(PAUSABLE_STATUSES)),
                unknown=", ".join(sorted(unknown)),
            )

    def minutes(self, kind: TargetKind) -> int | None:
        if kind is TargetKind.FIRST_RESPONSE:
            return self.first_response_minutes
        if kind is TargetKind.NEXT_RESPONSE:
            return self.next_response_minutes
        return self.resolution_minutes


@dataclass(frozen=True)
class StatusChange:
    """The ticket's status became ``status`` at ``at``."""

    at: datetime
    status: str


@dataclass(frozen=True)
class MessageEvent:
    """A contact message, or a public agent reply (internal notes are not given)."""

    at: datetime
    author: Literal["contact", "agent"]


@dataclass(frozen=True)
class History:
    """What happened to a ticket, as plain values.

    ``status_changes`` are applied in order (several at the same second keep their order);
    ``initial_status`` is the status at ``created_at``. When ``status_changes`` is empty and
    ``resolved_at`` is given (imported history without status events), the ticket is taken to
    have become ``resolved`` at ``resolved_at``. ``messages`` are taken in time order (ties keep
    the given order). Events before ``created_at`` are treated as happening at ``created_at``.
    """

    created_at: datetime
    channel: str = "api"
    initial_status: str = "new"
    status_changes: Sequence[StatusChange] = ()
    messages: Sequence[MessageEvent] = ()
    resolved_at: datetime | None = None
    chat_ended_at: datetime | None = None


@dataclass(frozen=True)
class TargetClock:
    kind: TargetKind
    state: State
    started_at: datetime | None
    due_at: datetime | None
    warning_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    business_seconds_used: int
    target_seconds: int
    cycle: int = 1
    """For next response: 1 for the first cycle, 2 for the second, ...; else 1."""

    @property
    def projected(self) -> bool:
        """Due and warning instants move (the clock is paused, or not started)."""
        return self.state is State.PAUSED


@dataclass(frozen=True)
class Evaluation:
    targets: dict[TargetKind, TargetClock]
    next_response_cycles: tuple[TargetClock, ...]
    next_deadline: datetime | None
    paused: bool
    """The ticket is in one of the policy's pause statuses at ``now``."""
    status: str
    """The ticket's status at ``now``."""
    warnings_reached: tuple[TargetKind, ...] = field(default=())
    """Running targets whose warning instant has passed (not met or breached yet)."""


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

_Span = tuple[datetime, datetime | None]
"""A half-open span ``[start, end)`` of real time; ``end`` None means still going on."""


def _aware(dt: datetime, what: str) -> datetime:
    if not isinstance(dt, datetime):
        raise ValidationFailed(
            "{what} must be a datetime, got {dt!r}", field=what, what=what, dt=dt
        )
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise NaiveDatetimeError(
            "{what} {value} has no timezone; pass an aware datetime",
            field=what, what=what, value=dt.isoformat(),
        )  # fmt: skip
    return dt.astimezone(UTC).replace(microsecond=0)


def _status_timeline(history: History, created: datetime) -> list[tuple[datetime, str]]:
    """``[(since, status), ...]``: the status in force from each instant (first at created)."""
    timeline: list[tuple[datetime, str]] = [(created, history.initial_status)]
    changes = list(history.status_changes)
    if not changes and history.resolved_at is not None:
        changes = [StatusChange(history.resolved_at, "resolved")]
    for i, change in enumerate(changes):
        at = max(_aware(change.at, f"status_changes[{i}].at"), created)
        if at < timeline[-1][0]:
            raise ValidationFailed(
                "status_changes[{i}] at {value} is before the previous change",
                field=f"status_changes[{i}].at",
                i=i,
                value=at.isoformat(),
            )
        if at == timeline[-1][0]:
            timeline[-1] = (at, change.status)
        else:
            timeline.append((at, change.status))
    return timeline


def _spans(timeline: Sequence[tuple[datetime, str]], statuses: Iterable[str]) -> list[_Span]:
    """The spans during which the status is in ``statuses`` (merged, in order)."""
    wanted = frozenset(statuses)
    out: list[_Span] = []
    for i, (since, status) in enumerate(timeline):
        if status not in wanted:
            continue
        until = timeline[i + 1][0] if i + 1 < len(timeline) else None
        if out and out[-1][1] == since:
            out[-1] = (out[-1][0], until)
        else:
            out.append((since, until))
    return out


def _status_at(timeline: Sequence[tuple[datetime, str]], at: datetime) -> str:
    current = timeline[0][1]
    for since, status in timeline:
        if since > at:
            break
        current = status
    return current


def _first_done_at_or_after(done: Sequence[_Span], at: datetime) -> datetime | None:
    """The first instant >= ``at`` at which the ticket is resolved/closed."""
    for start, end in done:
        if end is not None and end <= at:
            continue
        return max(start, at)
    return None


def _active_segments(start: datetime, horizon: datetime, stops: Sequence[_Span]) -> list[_Span]:
    """``[start, horizon)`` minus the stop spans."""
    segments: list[_Span] = []
    cursor = start
    for s, e in stops:
        if e is not None and e <= cursor:
            continue
        if s >= horizon:
            break
        if s > cursor:
            segments.append((cursor, s))
        if e is None:
            cursor = horizon
            break
        cursor = max(cursor, e)
        if cursor >= horizon:
            break
    if cursor < horizon:
        segments.append((cursor, horizon))
    return segments


def _in_stop(stops: Sequence[_Span], at: datetime) -> bool:
    return any(s <= at and (e is None or at < e) for s, e in stops)


class _Clock:
    """One clock: business time from ``start`` while not stopped, up to ``horizon``."""

    def __init__(
        self,
        cal: BusinessCalendar,
        start: datetime,
        horizon: datetime,
        stops: Sequence[_Span],
    ) -> None:
        self.cal = cal
        self.horizon = max(horizon, start)
        self.segments = _active_segments(start, self.horizon, stops)
        self.used_by_segment = [
            cal.business_seconds_between(a, b) for a, b in self.segments if b is not None
        ]
        self.used = sum(self.used_by_segment)

    def instant(self, seconds: int) -> datetime | None:
        """When ``seconds`` (> 0) business seconds are used (projected past the horizon);
        None when the calendar has no such open time left before the end of its range."""
        remaining = seconds
        try:
            for (a, _), used in zip(self.segments, self.used_by_segment, strict=True):
                if used >= remaining:
                    return self.cal.add_business_seconds(a, remaining)
                remaining -= used
            return self.cal.add_business_seconds(self.horizon, remaining)
        except OutOfRange:
            return None


def _judge(
    kind: TargetKind,
    cal: BusinessCalendar,
    *,
    start: datetime,
    fulfilled_at: datetime | None,
    stops: Sequence[_Span],
    target_seconds: int,
    warning_percent: int,
    now: datetime,
    cycle: int = 1,
) -> TargetClock:
    if fulfilled_at is not None and fulfilled_at > now:
        fulfilled_at = None  # the future has not happened yet
    horizon = now if fulfilled_at is None else min(fulfilled_at, now)
    clock = _Clock(cal, start, horizon, stops)
    due = clock.instant(target_seconds)
    warning = clock.instant(max(1, math.ceil(target_seconds * warning_percent / 100)))
    met_at = breached_at = None
    if fulfilled_at is not None:
        met_at = fulfilled_at
        if due is None or fulfilled_at <= due:
            state = State.MET
        else:
            state, breached_at = State.BREACHED, due
    elif due is not None and now >= due:
        state, breached_at = State.BREACHED, due
    elif now >= start and _in_stop(stops, now):
        state = State.PAUSED
    else:
        state = State.RUNNING
    return TargetClock(
        kind=kind,
        state=state,
        started_at=start,
        due_at=due,
        warning_at=warning,
        met_at=met_at,
        breached_at=breached_at,
        business_seconds_used=clock.used,
        target_seconds=target_seconds,
        cycle=cycle,
    )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def evaluate(
    cal: BusinessCalendar,
    policy: Policy,
    history: History,
    *,
    now: datetime,
    calendars: Mapping[TargetKind, BusinessCalendar] | None = None,
) -> Evaluation:
    """The SLA clocks of a ticket with ``history`` under ``policy`` at the instant ``now``.

    Each target counts on ``calendars[kind]`` when given (its own calendar, or a 24x7 one:
    :func:`~atende.domain.businesstime.always_open`), else on ``cal``, the policy's."""
    own = calendars or {}

    def cal_of(kind: TargetKind) -> BusinessCalendar:
        return own.get(kind, cal)

    now = _aware(now, "now")
    created = _aware(history.created_at, "created_at")
    timeline = _status_timeline(history, created)
    # Only what has happened by ``now`` counts.
    timeline = [(at, status) for at, status in timeline if at <= now] or timeline[:1]
    pause_spans = _spans(timeline, policy.pause_statuses)
    done_spans = _spans(timeline, DONE_STATUSES)
    stops = _merge(pause_spans + done_spans)

    messages = sorted(
        (
            (max(_aware(m.at, f"messages[{i}].at"), created), i, m.author)
            for i, m in enumerate(history.messages)
        ),
    )
    messages = [m for m in messages if m[0] <= now]

    targets: dict[TargetKind, TargetClock] = {}
    cycles: list[TargetClock] = []
    pct = policy.warning_percent

    # First response.
    first_index = next((n for n, m in enumerate(messages) if m[2] == "agent"), None)
    first_reply = messages[first_index][0] if first_index is not None else None
    first_done = _first_done_at_or_after(done_spans, created)
    if policy.first_response_minutes is not None:
        fulfilled = _earliest(first_reply, first_done)
        targets[TargetKind.FIRST_RESPONSE] = _judge(
            TargetKind.FIRST_RESPONSE,
            cal_of(TargetKind.FIRST_RESPONSE),
            start=created,
            fulfilled_at=fulfilled,
            stops=stops,
            target_seconds=policy.first_response_minutes * 60,
            warning_percent=pct,
            now=now,
        )

    # Next response: cycles opened by contact messages after the ticket has been answered.
    if policy.next_response_minutes is not None and first_index is not None:
        waiting_since: datetime | None = None
        starts: list[tuple[datetime, datetime | None]] = []
        # Messages after the first reply in the history's order: a contact message written
        # in the same second as a reply, after it, starts a clock (the reply cannot answer it).
        for at, _, author in messages[first_index + 1 :]:
            if author == "agent":
                if waiting_since is not None:
                    starts.append((waiting_since, at))
                    waiting_since = None
            elif waiting_since is None and _status_at(timeline, at) not in DONE_STATUSES:
                waiting_since = at
        if waiting_since is not None:
            starts.append((waiting_since, None))
        for n, (start, reply) in enumerate(starts, 1):
            fulfilled = _earliest(reply, _first_done_at_or_after(done_spans, start))
            cycles.append(
                _judge(
                    TargetKind.NEXT_RESPONSE,
                    cal_of(TargetKind.NEXT_RESPONSE),
                    start=start,
                    fulfilled_at=fulfilled,
                    stops=stops,
                    target_seconds=policy.next_response_minutes * 60,
                    warning_percent=pct,
                    now=now,
                    cycle=n,
                )
            )
        if cycles:
            targets[TargetKind.NEXT_RESPONSE] = cycles[-1]

    # Resolution.
    if policy.resolution_minutes is not None:
        targets[TargetKind.RESOLUTION] = _resolution(
            cal_of(TargetKind.RESOLUTION),
            policy,
            history,
            timeline,
            stops,
            done_spans,
            created,
            now,
        )

    status_now = timeline[-1][1]
    running = [t for t in targets.values() if t.state is State.RUNNING]
    ahead = [
        instant
        for t in running
        for instant in (t.warning_at, t.due_at)
        if instant is not None and instant > now
    ]
    warned = tuple(t.kind for t in running if t.warning_at is not None and t.warning_at <= now)
    return Evaluation(
        targets=targets,
        next_response_cycles=tuple(cycles),
        next_deadline=min(ahead) if ahead else None,
        paused=status_now in policy.pause_statuses,
        status=status_now,
        warnings_reached=warned,
    )


def _resolution(
    cal: BusinessCalendar,
    policy: Policy,
    history: History,
    timeline: Sequence[tuple[datetime, str]],
    stops: Sequence[_Span],
    done_spans: Sequence[_Span],
    created: datetime,
    now: datetime,
) -> TargetClock:
    assert policy.resolution_minutes is not None
    target = policy.resolution_minutes * 60
    start = created
    if history.channel == "chat" and policy.chat_resolution_starts_at_chat_end:
        chat_end = (
            _aware(history.chat_ended_at, "chat_ended_at")
            if history.chat_ended_at is not None
            else None
        )
        if chat_end is not None and chat_end > now:
            chat_end = None
        if chat_end is None:
            # The chat is still going on: the clock starts when it ends, or at the resolution
            # if the ticket is resolved first.
            chat_end = _first_done_at_or_after(done_spans, created)
        if chat_end is None:
            return TargetClock(
                kind=TargetKind.RESOLUTION,
                state=State.PAUSED,
                started_at=None,
                due_at=None,
                warning_at=None,
                met_at=None,
                breached_at=None,
                business_seconds_used=0,
                target_seconds=target,
            )
        start = max(chat_end, created)
    status_now = timeline[-1][1]
    fulfilled = None
    if status_now in DONE_STATUSES and done_spans:
        fulfilled = max(done_spans[-1][0], start)
    # While resolved the clock is stopped because of the done spans; the met instant closes it.
    return _judge(
        TargetKind.RESOLUTION,
        cal,
        start=start,
        fulfilled_at=fulfilled,
        stops=stops,
        target_seconds=target,
        warning_percent=policy.warning_percent,
        now=now,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _merge(spans: Iterable[_Span]) -> list[_Span]:
    out: list[_Span] = []
    for s, e in sorted(spans, key=lambda span: span[0]):
        if out:
            ps, pe = out[-1]
            if pe is None:
                continue
            if s <= pe:
                out[-1] = (ps, None if e is None else max(pe, e))
                continue
        out.append((s, e))
    return out
