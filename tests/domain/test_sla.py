"""The SLA clocks (atende.domain.sla): examples of every rule, and a property test against a
minute-by-minute reference kept here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atende.domain.businesstime import WEEKDAYS, BusinessCalendar, CalendarSpec, NaiveDatetimeError
from atende.domain.errors import ValidationFailed
from atende.domain.sla import (
    History,
    MessageEvent,
    Policy,
    State,
    StatusChange,
    TargetKind,
    evaluate,
)

SP = ZoneInfo("America/Sao_Paulo")
FR, NR, RES = TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE, TargetKind.RESOLUTION

SPLIT = {
    **{d: [("08:30", "12:00"), ("13:30", "18:00")] for d in WEEKDAYS[:5]},
    "saturday": [],
    "sunday": [],
}


def calendar(
    weekly: dict[str, list[tuple[str, str]]], tz: str = "America/Sao_Paulo", **kw: object
) -> BusinessCalendar:
    return BusinessCalendar.from_spec(CalendarSpec(timezone=tz, weekly_hours=weekly, **kw))  # type: ignore[arg-type]


SPLIT_CAL = calendar(SPLIT, holidays_country="BR")
ALWAYS = calendar({d: [("00:00", "24:00")] for d in WEEKDAYS})
EVERY_DAY = calendar(
    {d: [("08:00", "21:00")] for d in WEEKDAYS}, holidays_country="BR", open_on_holidays=True
)


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def at_sp(dt: datetime | None) -> datetime | None:
    return dt.astimezone(SP) if dt is not None else None


# ------------------------------------------------------------------------------- examples


def test_first_response_runs_in_business_hours_and_straddles_lunch() -> None:
    policy = Policy("Std", first_response_minutes=60)
    history = History(created_at=sp(2026, 3, 3, 11, 30))  # a Tuesday
    ev = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 11, 45))
    fr = ev.targets[FR]
    assert fr.state is State.RUNNING
    assert at_sp(fr.due_at) == sp(2026, 3, 3, 14, 0)  # 30 min before lunch, 30 after
    assert at_sp(fr.warning_at) == sp(2026, 3, 3, 13, 48)  # 80 % = 48 min
    assert fr.business_seconds_used == 15 * 60
    assert ev.next_deadline is not None and at_sp(ev.next_deadline) == sp(2026, 3, 3, 13, 48)


def test_met_at_the_due_instant_breached_one_second_later() -> None:
    policy = Policy("Std", first_response_minutes=30)
    created = sp(2026, 3, 3, 10, 0)
    due = sp(2026, 3, 3, 10, 30)
    on_time = History(created_at=created, messages=[MessageEvent(due, "agent")])
    ev = evaluate(SPLIT_CAL, policy, on_time, now=due + timedelta(hours=1))
    assert ev.targets[FR].state is State.MET
    assert ev.targets[FR].met_at == due
    late = History(created_at=created, messages=[MessageEvent(due + timedelta(seconds=1), "agent")])
    ev = evaluate(SPLIT_CAL, policy, late, now=due + timedelta(hours=1))
    fr = ev.targets[FR]
    assert fr.state is State.BREACHED
    assert fr.breached_at == due
    assert fr.met_at == due + timedelta(seconds=1)  # fulfilled, late


def test_breached_at_the_due_instant_without_a_reply() -> None:
    policy = Policy("Std", first_response_minutes=30)
    history = History(created_at=sp(2026, 3, 3, 10, 0))
    before = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 10, 29, 59))
    assert before.targets[FR].state is State.RUNNING
    assert at_sp(before.next_deadline) == sp(2026, 3, 3, 10, 30)
    at_due = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 10, 30))
    assert at_due.targets[FR].state is State.BREACHED
    assert at_sp(at_due.targets[FR].breached_at) == sp(2026, 3, 3, 10, 30)
    assert at_due.next_deadline is None


def test_pause_shifts_the_due_instant_by_the_paused_business_time() -> None:
    policy = Policy("Std", first_response_minutes=120, resolution_minutes=240)
    created = sp(2026, 3, 3, 9, 0)
    changes = [
        StatusChange(sp(2026, 3, 3, 9, 30), "pending_customer"),
        StatusChange(sp(2026, 3, 3, 10, 15), "open"),
    ]
    history = History(created_at=created, status_changes=changes)
    ev = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 10, 20))
    # 45 paused minutes: 09:00 + 120 min = 11:00, shifted to 11:45.
    assert at_sp(ev.targets[FR].due_at) == sp(2026, 3, 3, 11, 45)
    # 240 min from 09:00 = 14:30 (lunch skipped), +45 paused = 15:15.
    assert at_sp(ev.targets[RES].due_at) == sp(2026, 3, 3, 15, 15)
    assert ev.targets[FR].business_seconds_used == (30 + 5) * 60


def test_while_paused_the_due_instant_is_projected_and_is_no_deadline() -> None:
    policy = Policy("Std", first_response_minutes=60)
    history = History(
        created_at=sp(2026, 3, 3, 9, 0),
        status_changes=[StatusChange(sp(2026, 3, 3, 9, 20), "pending_customer")],
    )
    ev = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 11, 0))
    fr = ev.targets[FR]
    assert fr.state is State.PAUSED
    assert ev.paused
    assert fr.business_seconds_used == 20 * 60
    assert at_sp(fr.due_at) == sp(2026, 3, 3, 11, 40)  # 40 min left, counted from now
    assert ev.next_deadline is None
    later = evaluate(SPLIT_CAL, policy, history, now=sp(2026, 3, 3, 11, 30))
    assert at_sp(later.targets[FR].due_at) == sp(2026, 3, 3, 13, 40)  # lunch skipped


def test_pending_internal_pauses_only_when_configured() -> None:
    history = History(
        created_at=sp(2026, 3, 3, 9, 0),
        status_changes=[StatusChange(sp(2026, 3, 3, 9, 0, 0), "pending_internal")],
    )
    default = evaluate(
        SPLIT_CAL, Policy("A", first_response_minutes=60), history, now=sp(2026, 3, 3, 9, 30)
    )
    assert default.targets[FR].state is State.RUNNING
    both = Policy(
        "B",
        first_response_minutes=60,
        pause_statuses=frozenset({"pending_customer", "pending_internal"}),
    )
    ev = evaluate(SPLIT_CAL, both, history, now=sp(2026, 3, 3, 9, 30))
    assert ev.targets[FR].state is State.PAUSED


def test_next_response_cycles() -> None:
    policy = Policy("Std", first_response_minutes=60, next_response_minutes=30)
    t0 = sp(2026, 3, 3, 9, 0)
    messages = [
        MessageEvent(t0, "contact"),
        MessageEvent(t0 + timedelta(minutes=5), "contact"),  # still waiting for the first reply
        MessageEvent(t0 + timedelta(minutes=10), "agent"),  # first response
        MessageEvent(t0 + timedelta(minutes=20), "contact"),  # cycle 1 starts
        MessageEvent(t0 + timedelta(minutes=25), "contact"),  # same cycle
        MessageEvent(t0 + timedelta(minutes=40), "agent"),  # cycle 1 met (20 min)
        MessageEvent(t0 + timedelta(minutes=50), "contact"),  # cycle 2 starts
    ]
    history = History(created_at=t0, messages=messages)
    ev = evaluate(SPLIT_CAL, policy, history, now=t0 + timedelta(minutes=90))
    assert ev.targets[FR].state is State.MET
    assert [(c.cycle, c.state) for c in ev.next_response_cycles] == [
        (1, State.MET),
        (2, State.BREACHED),
    ]
    c2 = ev.targets[NR]
    assert c2.cycle == 2
    assert c2.started_at == (t0 + timedelta(minutes=50)).astimezone(UTC)
    assert at_sp(c2.breached_at) == sp(2026, 3, 3, 10, 20)


def test_no_next_response_before_the_first_reply() -> None:
    policy = Policy("Std", next_response_minutes=30)
    t0 = sp(2026, 3, 3, 9, 0)
    history = History(created_at=t0, messages=[MessageEvent(t0, "contact")])
    assert NR not in evaluate(SPLIT_CAL, policy, history, now=t0 + timedelta(hours=1)).targets


def test_resolving_fulfils_pending_responses() -> None:
    policy = Policy("Std", first_response_minutes=60)
    t0 = sp(2026, 3, 3, 9, 0)
    history = History(
        created_at=t0, status_changes=[StatusChange(t0 + timedelta(minutes=10), "resolved")]
    )
    ev = evaluate(SPLIT_CAL, policy, history, now=t0 + timedelta(hours=5))
    assert ev.targets[FR].state is State.MET
    assert ev.targets[FR].met_at == (t0 + timedelta(minutes=10)).astimezone(UTC)


def test_resolution_met_then_reopen_continues_the_clock() -> None:
    policy = Policy("Std", resolution_minutes=120)
    t0 = sp(2026, 3, 3, 9, 0)
    resolved = t0 + timedelta(minutes=60)
    reopened = t0 + timedelta(minutes=180)  # 12:00: resolved for 2 business hours... 1h30 open
    changes = [StatusChange(resolved, "resolved")]
    ev = evaluate(SPLIT_CAL, policy, History(created_at=t0, status_changes=changes), now=reopened)
    assert ev.targets[RES].state is State.MET
    assert ev.targets[RES].met_at == resolved.astimezone(UTC)
    assert ev.targets[RES].business_seconds_used == 3600

    changes.append(StatusChange(reopened, "open"))
    ev = evaluate(SPLIT_CAL, policy, History(created_at=t0, status_changes=changes), now=reopened)
    res = ev.targets[RES]
    assert res.state is State.RUNNING
    assert res.business_seconds_used == 3600  # the time spent resolved did not count
    assert at_sp(res.due_at) == sp(2026, 3, 3, 14, 30)  # 60 min left from 12:00, lunch skipped


def test_imported_history_without_status_events_uses_resolved_at() -> None:
    policy = Policy("Std", resolution_minutes=60)
    t0 = sp(2026, 3, 3, 9, 0)
    history = History(created_at=t0, resolved_at=t0 + timedelta(minutes=61))
    res = evaluate(SPLIT_CAL, policy, history, now=t0 + timedelta(days=2)).targets[RES]
    assert res.state is State.BREACHED
    assert at_sp(res.breached_at) == sp(2026, 3, 3, 10, 0)


def test_chat_resolution_starts_when_the_chat_ends() -> None:
    policy = Policy("Chat", resolution_minutes=60, chat_resolution_starts_at_chat_end=True)
    t0 = sp(2026, 3, 3, 9, 0)
    open_chat = History(created_at=t0, channel="chat")
    res = evaluate(SPLIT_CAL, policy, open_chat, now=t0 + timedelta(hours=3)).targets[RES]
    assert res.state is State.PAUSED
    assert res.due_at is None and res.started_at is None
    ended = History(created_at=t0, channel="chat", chat_ended_at=t0 + timedelta(hours=2))
    res = evaluate(SPLIT_CAL, policy, ended, now=t0 + timedelta(hours=2)).targets[RES]
    assert res.state is State.RUNNING
    assert at_sp(res.due_at) == sp(2026, 3, 3, 12, 0)  # 11:00 + 60 min: lands on 12:00
    # An e-mail ticket under the same policy starts at creation.
    email = History(created_at=t0, channel="email")
    res = evaluate(SPLIT_CAL, policy, email, now=t0).targets[RES]
    assert at_sp(res.due_at) == sp(2026, 3, 3, 10, 0)


def test_chat_on_a_holiday_evening_every_day_calendar() -> None:
    # Seed 000: 08:00-21:00 every day, holidays included; 30 min first response.
    policy = Policy("Chat", first_response_minutes=30)
    christmas = sp(2026, 12, 25, 20, 50)
    ev = evaluate(EVERY_DAY, policy, History(created_at=christmas, channel="chat"), now=christmas)
    assert at_sp(ev.targets[FR].due_at) == sp(2026, 12, 26, 8, 20)


def test_warning_percent_and_next_deadline_order() -> None:
    policy = Policy("Std", first_response_minutes=100, resolution_minutes=1000, warning_percent=50)
    t0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    ev = evaluate(ALWAYS, policy, History(created_at=t0), now=t0)
    assert ev.targets[FR].warning_at == t0 + timedelta(minutes=50)
    assert ev.next_deadline == t0 + timedelta(minutes=50)
    ev = evaluate(ALWAYS, policy, History(created_at=t0), now=t0 + timedelta(minutes=50))
    assert ev.warnings_reached == (FR,)
    assert ev.next_deadline == t0 + timedelta(minutes=100)


def test_dst_day_counts_real_time() -> None:
    ny = calendar({d: [("00:00", "24:00")] for d in WEEKDAYS}, tz="America/New_York")
    policy = Policy("NY", resolution_minutes=24 * 60)
    start = datetime(2026, 3, 8, 0, 0, tzinfo=ZoneInfo("America/New_York"))  # 23-hour day
    due = evaluate(ny, policy, History(created_at=start), now=start).targets[RES].due_at
    assert due == start.astimezone(UTC) + timedelta(hours=24)  # 01:00 local: real time


def test_future_events_are_ignored_and_seconds_dropped() -> None:
    policy = Policy("Std", first_response_minutes=30)
    t0 = datetime(2026, 3, 3, 12, 0, 0, 700_000, tzinfo=UTC)
    history = History(created_at=t0, messages=[MessageEvent(t0 + timedelta(hours=1), "agent")])
    fr = evaluate(ALWAYS, policy, history, now=t0 + timedelta(minutes=10)).targets[FR]
    assert fr.state is State.RUNNING
    assert fr.due_at == datetime(2026, 3, 3, 12, 30, tzinfo=UTC)


def test_a_calendar_with_no_open_time_left_gives_no_due_instant() -> None:
    from datetime import date

    once = BusinessCalendar.from_spec(
        CalendarSpec(
            timezone="UTC",
            weekly_hours={},
            partial_days={date(2026, 3, 3): (("09:00", "10:00"),)},
        )
    )
    policy = Policy("Once", first_response_minutes=30, resolution_minutes=120)
    t0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    ev = evaluate(once, policy, History(created_at=t0), now=t0 + timedelta(days=1))
    assert ev.targets[FR].state is State.BREACHED
    res = ev.targets[RES]
    assert res.state is State.RUNNING
    assert res.due_at is None and res.warning_at is None
    assert res.business_seconds_used == 3600
    assert ev.next_deadline is None


def test_refuses_naive_datetimes_and_bad_policies() -> None:
    with pytest.raises(NaiveDatetimeError):
        evaluate(
            ALWAYS, Policy("X"), History(created_at=datetime(2026, 1, 1)), now=datetime.now(UTC)
        )
    with pytest.raises(NaiveDatetimeError):
        evaluate(
            ALWAYS, Policy("X"), History(created_at=datetime.now(UTC)), now=datetime(2026, 1, 1)
        )
    for bad in ({"first_response_minutes": 0}, {"resolution_minutes": -5}):
        with pytest.raises(ValidationFailed) as err:
            Policy("X", **bad)  # type: ignore[arg-type]
        assert err.value.field == next(iter(bad))
    with pytest.raises(ValidationFailed) as err:
        Policy("X", warning_percent=0)
    assert err.value.field == "warning_percent"
    with pytest.raises(ValidationFailed) as err:
        Policy("X", pause_statuses=frozenset({"resolved"}))
    assert err.value.field == "pause_statuses"


# ------------------------------------------------------------------ property vs reference

BASE = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
TEMPLATES = {
    "split": {d: [("08:30", "12:00"), ("13:30", "18:00")] for d in WEEKDAYS[:5]},
    "every": {d: [("08:00", "21:00")] for d in WEEKDAYS},
    "night": {d: [("22:00", "06:00")] for d in WEEKDAYS[:5]},
    "always": {d: [("00:00", "24:00")] for d in WEEKDAYS},
}
CALS = {name: calendar(w, tz="UTC") for name, w in TEMPLATES.items()}


def _minute_open(weekly: dict[str, list[tuple[str, str]]], minute: int) -> bool:
    day, m = divmod(minute, 1440)
    for offset in (0, -1):  # an interval of the previous day may run past midnight
        name = WEEKDAYS[(day + offset) % 7]
        for a, b in weekly.get(name, []):
            s = int(a[:2]) * 60 + int(a[3:])
            e = int(b[:2]) * 60 + int(b[3:])
            if e <= s:
                e += 1440
            local = m - offset * 1440
            if s <= local < e:
                return True
    return False


class Reference:
    """Minute-by-minute SLA clocks over a UTC calendar; every instant is a whole minute."""

    def __init__(
        self,
        weekly: dict[str, list[tuple[str, str]]],
        history: list[tuple[int, str]],
        messages: list[tuple[int, str]],
        created: int,
        pause: set[str],
        now: int,
    ) -> None:
        self.weekly, self.created, self.pause, self.now = weekly, created, pause, now
        self.changes = [(max(m, created), s) for m, s in history if max(m, created) <= now]
        self.messages = sorted(
            ((max(m, created), i, a) for i, (m, a) in enumerate(messages) if max(m, created) <= now)
        )

    def status(self, minute: int) -> str:
        current = "new"
        for m, s in self.changes:
            if m <= minute:
                current = s
        return current

    def stopped(self, minute: int) -> bool:
        return self.status(minute) in self.pause | {"resolved", "closed"}

    def first_done(self, start: int) -> int | None:
        for m in range(start, self.now + 1):
            if self.status(m) in ("resolved", "closed"):
                return m
        return None

    def clock(self, start: int, fulfilled: int | None, target: int) -> tuple[str, int, int]:
        """(state, due minute, used minutes)."""
        if fulfilled is not None and fulfilled > self.now:
            fulfilled = None
        horizon = self.now if fulfilled is None else min(fulfilled, self.now)
        used = sum(
            1 for m in range(start, horizon) if _minute_open(self.weekly, m) and not self.stopped(m)
        )
        count, m = 0, start
        while True:
            if _minute_open(self.weekly, m) and (m >= horizon or not self.stopped(m)):
                count += 1
                if count == target:
                    due = m + 1
                    break
            m += 1
        if fulfilled is not None:
            state = "met" if fulfilled <= due else "breached"
        elif self.now >= due:
            state = "breached"
        elif self.status(self.now) in self.pause:
            state = "paused"
        else:
            state = "running"
        return state, due, used

    def first_response(self, target: int) -> tuple[str, int, int]:
        reply = next((m for m, _, a in self.messages if a == "agent"), None)
        done = self.first_done(self.created)
        fulfilled = (
            min(x for x in (reply, done) if x is not None)
            if (reply, done) != (None, None)
            else None
        )
        return self.clock(self.created, fulfilled, target)

    def next_responses(self, target: int) -> list[tuple[str, int, int]]:
        first = next((n for n, (_, _, a) in enumerate(self.messages) if a == "agent"), None)
        if first is None:
            return []
        out = []
        waiting: int | None = None
        # after the first reply in the given order (same minute included)
        for m, _, author in self.messages[first + 1 :]:
            if author == "agent" and waiting is not None:
                out.append((waiting, m))
                waiting = None
            elif (
                author == "contact"
                and waiting is None
                and self.status(m) not in ("resolved", "closed")
            ):
                waiting = m
        if waiting is not None:
            out.append((waiting, None))
        result = []
        for start, reply in out:
            done = self.first_done(start)
            ends = [x for x in (reply, done) if x is not None]
            result.append(self.clock(start, min(ends) if ends else None, target))
        return result

    def resolution(self, target: int) -> tuple[str, int, int]:
        now_status = self.status(self.now)
        fulfilled = None
        if now_status in ("resolved", "closed"):
            m = self.now
            while m > self.created and self.status(m - 1) in ("resolved", "closed"):
                m -= 1
            fulfilled = m
        return self.clock(self.created, fulfilled, target)


STATUSES = ["open", "pending_customer", "pending_internal", "resolved", "closed", "open"]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    created = draw(st.integers(0, 3 * 1440))
    horizon = created + draw(st.integers(0, 3 * 1440))
    changes = sorted(
        draw(
            st.lists(
                st.tuples(st.integers(created, horizon + 60), st.sampled_from(STATUSES)), max_size=6
            )
        ),
        key=lambda c: c[0],
    )
    messages = sorted(
        draw(
            st.lists(
                st.tuples(
                    st.integers(created, horizon + 60), st.sampled_from(["contact", "agent"])
                ),
                max_size=8,
            )
        ),
        key=lambda m: m[0],
    )
    return {
        "cal": draw(st.sampled_from(sorted(CALS))),
        "created": created,
        "now": horizon,
        "changes": changes,
        "messages": messages,
        "pause": draw(st.sets(st.sampled_from(["pending_customer", "pending_internal"]))),
        "targets": (
            draw(st.integers(1, 600)),
            draw(st.integers(1, 300)),
            draw(st.integers(1, 900)),
        ),
        "warning": draw(st.integers(1, 100)),
    }


def _minute(m: int) -> datetime:
    return BASE + timedelta(minutes=m)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_clocks_match_the_minute_by_minute_reference(sc: dict[str, object]) -> None:
    fr_min, nr_min, res_min = sc["targets"]  # type: ignore[misc]
    name = sc["cal"]
    assert isinstance(name, str)
    changes: list[tuple[int, str]] = sc["changes"]  # type: ignore[assignment]
    messages: list[tuple[int, str]] = sc["messages"]  # type: ignore[assignment]
    created: int = sc["created"]  # type: ignore[assignment]
    now: int = sc["now"]  # type: ignore[assignment]
    pause: set[str] = sc["pause"]  # type: ignore[assignment]
    policy = Policy(
        "P",
        first_response_minutes=fr_min,
        next_response_minutes=nr_min,
        resolution_minutes=res_min,
        warning_percent=sc["warning"],  # type: ignore[arg-type]
        pause_statuses=frozenset(pause),
    )
    history = History(
        created_at=_minute(created),
        status_changes=[StatusChange(_minute(m), s) for m, s in changes],
        messages=[MessageEvent(_minute(m), a) for m, a in messages],  # type: ignore[arg-type]
    )
    ev = evaluate(CALS[name], policy, history, now=_minute(now))
    ref = Reference(TEMPLATES[name], changes, messages, created, pause, now)

    def check(clock: object, expected: tuple[str, int, int]) -> None:
        state, due, used = expected
        assert clock.state.value == state  # type: ignore[attr-defined]
        assert clock.due_at == _minute(due)  # type: ignore[attr-defined]
        assert clock.business_seconds_used == used * 60  # type: ignore[attr-defined]
        if state == "breached":
            assert clock.breached_at == _minute(due)  # type: ignore[attr-defined]

    check(ev.targets[FR], ref.first_response(fr_min))
    check(ev.targets[RES], ref.resolution(res_min))
    expected_cycles = ref.next_responses(nr_min)
    assert len(ev.next_response_cycles) == len(expected_cycles)
    for clock, expected in zip(ev.next_response_cycles, expected_cycles, strict=True):
        check(clock, expected)
    # next_deadline: the earliest warning/due still ahead among running clocks.
    ahead = [
        t
        for c in ev.targets.values()
        if c.state is State.RUNNING
        for t in (c.warning_at, c.due_at)
        if t is not None and t > _minute(now)
    ]
    assert ev.next_deadline == (min(ahead) if ahead else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(),
    st.fixed_dictionaries({kind: st.sampled_from([None, *sorted(CALS)]) for kind in (FR, NR, RES)}),
)
def test_each_target_counts_on_its_own_calendar(
    sc: dict[str, object], own: dict[TargetKind, str | None]
) -> None:
    """A target given its own calendar (seed 001: the resolution in 7 calendar days, the first
    response in the team's hours) matches the reference on that calendar; the others keep the
    policy's."""
    fr_min, nr_min, res_min = sc["targets"]  # type: ignore[misc]
    name = sc["cal"]
    assert isinstance(name, str)
    changes: list[tuple[int, str]] = sc["changes"]  # type: ignore[assignment]
    messages: list[tuple[int, str]] = sc["messages"]  # type: ignore[assignment]
    created: int = sc["created"]  # type: ignore[assignment]
    now: int = sc["now"]  # type: ignore[assignment]
    pause: set[str] = sc["pause"]  # type: ignore[assignment]
    policy = Policy(
        "P",
        first_response_minutes=fr_min,
        next_response_minutes=nr_min,
        resolution_minutes=res_min,
        warning_percent=sc["warning"],  # type: ignore[arg-type]
        pause_statuses=frozenset(pause),
    )
    history = History(
        created_at=_minute(created),
        status_changes=[StatusChange(_minute(m), s) for m, s in changes],
        messages=[MessageEvent(_minute(m), a) for m, a in messages],  # type: ignore[arg-type]
    )
    calendars = {kind: CALS[cal] for kind, cal in own.items() if cal is not None}
    ev = evaluate(CALS[name], policy, history, now=_minute(now), calendars=calendars)

    def ref(kind: TargetKind) -> Reference:
        template = TEMPLATES[own[kind] or name]
        return Reference(template, changes, messages, created, pause, now)

    def check(clock: object, expected: tuple[str, int, int]) -> None:
        state, due, used = expected
        assert clock.state.value == state  # type: ignore[attr-defined]
        assert clock.due_at == _minute(due)  # type: ignore[attr-defined]
        assert clock.business_seconds_used == used * 60  # type: ignore[attr-defined]

    check(ev.targets[FR], ref(FR).first_response(fr_min))
    check(ev.targets[RES], ref(RES).resolution(res_min))
    expected_cycles = ref(NR).next_responses(nr_min)
    assert len(ev.next_response_cycles) == len(expected_cycles)
    for clock, expected in zip(ev.next_response_cycles, expected_cycles, strict=True):
        check(clock, expected)


def test_seed_001_resolution_in_seven_calendar_days_first_response_in_office_hours() -> None:
    """Opened Friday 19:00 before the Monday holiday (12 October 2026): the first response's
    480 business minutes wait for Tuesday, the 7 days run through the weekend and holiday."""
    policy = Policy("Special", first_response_minutes=480, resolution_minutes=7 * 24 * 60)
    t0 = sp(2026, 10, 9, 19, 0)
    ev = evaluate(SPLIT_CAL, policy, History(created_at=t0), now=t0, calendars={RES: ALWAYS})
    assert at_sp(ev.targets[FR].due_at) == sp(2026, 10, 13, 18, 0)
    assert at_sp(ev.targets[RES].due_at) == sp(2026, 10, 16, 19, 0)
    assert at_sp(ev.targets[RES].warning_at) == sp(2026, 10, 15, 9, 24)  # 80 % of 7 days
    later = evaluate(
        SPLIT_CAL, policy, History(created_at=t0), now=sp(2026, 10, 12, 19, 0),
        calendars={RES: ALWAYS},
    )  # fmt: skip
    assert later.targets[RES].business_seconds_used == 3 * 24 * 3600
    assert later.targets[FR].business_seconds_used == 0
