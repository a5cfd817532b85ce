"""Property-based tests: the fast calendar against the minute-walking reference, plus algebra.

Calendars are generated with random weekly intervals (several per day, some past midnight,
some touching), random zones with DST (and odd ones: a 30-minute DST shift, a skipped date),
random holidays, extra closed dates and partial days near the instants under test; the instants
cluster around DST transitions and new year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from atende.domain.businesstime import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpec,
    InvalidCalendar,
    always_open,
    validate_spec,
)
from tests.domain.businesstime_reference import ReferenceCalendar

ZONES = (
    "America/New_York",
    "Europe/Lisbon",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",  # DST shift of 30 minutes
    "Pacific/Apia",  # skipped the whole local date 2011-12-30
    "Asia/Kolkata",
    "UTC",
)
YEARS = (1971, 1985, 1999, 2011, 2018, 2019, 2026, 2037, 2099)
HOLIDAYS: tuple[tuple[str | None, str | None, tuple[str, ...]], ...] = (
    (None, None, ("public",)),
    ("BR", None, ("public",)),
    ("BR", "SP", ("public",)),
    ("BR", None, ("public", "optional")),
    ("US", None, ("public",)),
    ("PT", None, ("public",)),
)
WEEK = 7 * 1440

REFERENCE = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ALGEBRA = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@cache
def _anchors(zone: str, year: int) -> tuple[int, ...]:
    """Offset transitions of ``zone`` in ``year`` (to the minute) and the local new years."""
    tz = ZoneInfo(zone)
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    out = [
        int(datetime(year, 1, 1, tzinfo=tz).timestamp()),
        int(datetime(year + 1, 1, 1, tzinfo=tz).timestamp()),
    ]
    prev = datetime.fromtimestamp(start, tz).utcoffset()
    for t in range(start, start + 366 * 86400, 1800):
        off = datetime.fromtimestamp(t, tz).utcoffset()
        if off != prev:
            out.append(t)
            prev = off
    return tuple(out)


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[str, list[tuple[str, str]]]:
    """Non-overlapping intervals around the week circle; possibly touching or past midnight."""
    n = draw(st.integers(1, 9))
    points = sorted(
        draw(st.lists(st.integers(0, WEEK - 1), min_size=2 * n, max_size=2 * n, unique=True))
    )
    for i in range(1, n):  # sometimes an interval starts where the previous one ends
        if draw(st.booleans()) and draw(st.booleans()):
            points[2 * i] = points[2 * i - 1]
    rotate = draw(st.integers(0, WEEK - 1))
    out: dict[str, list[tuple[str, str]]] = {day: [] for day in WEEKDAYS}
    for i in range(n):
        a, b = points[2 * i], points[2 * i + 1]
        if a == b:
            continue
        if b - a > 1440:
            b = a + draw(st.integers(1, 1440 if a % 1440 == 0 else 1439))
        a, b = a + rotate, b + rotate
        day, s = divmod(a, 1440)
        e = b - day * 1440
        if e < 1440:
            end = _hhmm(e)
        elif e == 1440:
            end = draw(st.sampled_from(("24:00", "00:00"))) if s > 0 else "24:00"
        else:
            end = _hhmm(e - 1440)
        out[WEEKDAYS[day % 7]].append((_hhmm(s), end))
    return out


@st.composite
def day_hours(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Intervals for one partial day (possibly none = closed; the last may pass midnight)."""
    points = sorted(set(draw(st.lists(st.integers(0, 1440), max_size=4))))
    pairs = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    out = [(_hhmm(a), "24:00" if b == 1440 else _hhmm(b)) for a, b in pairs if a < 1440]
    if out and pairs[0][0] > 0 and pairs[-1][1] < 1440 and draw(st.booleans()):
        last_start = out[-1][0]
        out[-1] = (last_start, _hhmm(draw(st.integers(0, pairs[0][0] - 1))))
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessCalendar, ReferenceCalendar, int]:
    """A calendar, its reference and an instant near a DST change or a new year."""
    zone = draw(st.sampled_from(ZONES))
    year = draw(st.sampled_from(YEARS))
    anchor = draw(st.sampled_from(_anchors(zone, year)))
    t = anchor + draw(st.integers(-3 * 86400, 3 * 86400))
    local_anchor = datetime.fromtimestamp(anchor, ZoneInfo(zone)).date()
    near = st.integers(-4, 4).map(lambda k: local_anchor + timedelta(days=k))
    closed = draw(st.frozensets(near, max_size=2))
    partial = {d: draw(day_hours()) for d in draw(st.sets(near, max_size=2)) if d not in closed}
    country, subdivision, categories = draw(st.sampled_from(HOLIDAYS))
    spec = CalendarSpec(
        timezone=zone,
        weekly_hours=draw(weekly_hours()),
        holidays_country=country,
        holidays_subdivision=subdivision,
        holidays_categories=categories,
        extra_closed=closed,
        partial_days=partial,
        open_on_holidays=draw(st.booleans()),
    )
    try:
        validate_spec(spec)
    except InvalidCalendar:  # a partial day overlapping a neighbour's overnight interval
        assume(False)
    return BusinessCalendar.from_spec(spec), ReferenceCalendar(spec), t


def _dt(t: int, zone: str = "UTC") -> datetime:
    return datetime.fromtimestamp(t, ZoneInfo(zone))


def _epoch(dt: datetime) -> int:
    assert dt.tzinfo is UTC and dt.microsecond == 0
    return int(dt.timestamp())


def _weekly_open_seconds(spec: CalendarSpec) -> int:
    total = 0
    for pairs in spec.weekly_hours.values():
        for a, b in pairs:
            s = int(a[:2]) * 60 + int(a[3:])
            e = int(b[:2]) * 60 + int(b[3:])
            total += (e - s if e > s else e + 1440 - s) * 60
    return total


# ---------------------------------------------------------------------------------------------
# Against the reference
# ---------------------------------------------------------------------------------------------


@REFERENCE
@given(scenarios())
def test_is_open_and_next_open_match_reference(case: tuple[Any, ReferenceCalendar, int]) -> None:
    cal, ref, t = case
    for probe in (t, t - t % 3600):
        assert cal.is_open(_dt(probe, cal.timezone.key)) == ref.is_open(probe)
        assert _epoch(cal.next_open(_dt(probe))) == ref.next_open(probe)


@REFERENCE
@given(scenarios(), st.integers(0, 3 * 86400))
def test_elapsed_matches_reference(case: tuple[Any, ReferenceCalendar, int], span: int) -> None:
    cal, ref, t = case
    assert cal.business_seconds_between(_dt(t), _dt(t + span)) == ref.elapsed(t, t + span)


@REFERENCE
@given(scenarios(), st.data())
def test_due_matches_reference(case: tuple[Any, ReferenceCalendar, int], data: Any) -> None:
    cal, ref, t = case
    cap = min(36 * 3600, _weekly_open_seconds(cal.spec))
    seconds = data.draw(st.one_of(st.integers(0, cap), st.integers(0, cap // 60).map((60).__mul__)))
    due = cal.add_business_seconds(_dt(t, cal.timezone.key), seconds)
    assert _epoch(due) == ref.add(t, seconds)


# ---------------------------------------------------------------------------------------------
# Algebra (no reference: bigger targets, across years)
# ---------------------------------------------------------------------------------------------


def _cap(cal: BusinessCalendar, seconds: int) -> int:
    """Keep a target within ~20 weeks of the calendar's open time (sparse calendars)."""
    return max(1, min(seconds, 20 * _weekly_open_seconds(cal.spec)))


targets = st.one_of(st.integers(1, 3600), st.integers(1, 60 * 86400))


@ALGEBRA
@given(scenarios(), targets)
def test_due_uses_up_exactly_the_target_and_ends_inside_hours(
    case: tuple[Any, ReferenceCalendar, int], seconds: int
) -> None:
    cal, _, t = case
    seconds = _cap(cal, seconds)
    start = _dt(t)
    due = cal.add_business_seconds(start, seconds)
    assert due > start
    assert cal.business_seconds_between(start, due) == seconds
    # due is never an opening instant: the second before it is open
    assert cal.is_open(due - timedelta(seconds=1))
    assert cal.business_seconds_between(due - timedelta(seconds=1), due) == 1
    assert cal.add_business_minutes(start, seconds // 60 + 1) > due


@ALGEBRA
@given(scenarios(), st.integers(0, 40))
def test_a_target_used_up_at_a_closing_time_is_due_at_that_closing_time(
    case: tuple[Any, ReferenceCalendar, int], pick: int
) -> None:
    cal, _, t = case
    start = _dt(t)
    intervals = cal.open_intervals(start, start + timedelta(days=21))
    assume(intervals)
    _, closing = intervals[pick % len(intervals)]
    seconds = cal.business_seconds_between(start, closing)
    assume(seconds > 0)
    assert cal.add_business_seconds(start, seconds) == closing
    assert cal.add_business_seconds(start, seconds + 1) == cal.next_open(closing) + timedelta(
        seconds=1
    )


@ALGEBRA
@given(scenarios(), targets, targets)
def test_due_is_monotonic_and_composes(
    case: tuple[Any, ReferenceCalendar, int], a: int, b: int
) -> None:
    cal, _, t = case
    a, b = _cap(cal, a), _cap(cal, b)
    start = _dt(t)
    first = cal.add_business_seconds(start, a)
    assert cal.add_business_seconds(first, b) == cal.add_business_seconds(start, a + b)
    lo, hi = sorted((a, b))
    if lo < hi:
        assert cal.add_business_seconds(start, lo) < cal.add_business_seconds(start, hi)
    later = start + timedelta(seconds=hi)
    assert cal.add_business_seconds(later, lo) >= cal.add_business_seconds(start, lo)


@ALGEBRA
@given(scenarios(), st.integers(0, 90 * 86400), st.integers(0, 90 * 86400))
def test_elapsed_is_additive_and_bounded(
    case: tuple[Any, ReferenceCalendar, int], x: int, y: int
) -> None:
    cal, _, t = case
    a, b, c = _dt(t), _dt(t + x), _dt(t + x + y)
    ab, bc, ac = (
        cal.business_seconds_between(a, b),
        cal.business_seconds_between(b, c),
        cal.business_seconds_between(a, c),
    )
    assert ab + bc == ac
    assert 0 <= ab <= x and 0 <= bc <= y
    assert cal.business_seconds_between(b, b) == 0
    assert sum(int((e - s).total_seconds()) for s, e in cal.open_intervals(a, c)) == ac


@ALGEBRA
@given(scenarios())
def test_next_open_is_open_and_is_the_zero_target(case: tuple[Any, ReferenceCalendar, int]) -> None:
    cal, _, t = case
    start = _dt(t)
    nxt = cal.next_open(start)
    assert nxt >= start
    assert cal.is_open(nxt)
    assert cal.business_seconds_between(start, nxt) == 0
    assert cal.add_business_seconds(start, 0) == nxt
    assert cal.is_open(start) == (nxt == start)


@ALGEBRA
@given(scenarios(), st.integers(1, 999_999), st.integers(1, 10 * 86400))
def test_fractions_of_a_second_are_dropped_and_the_input_zone_is_irrelevant(
    case: tuple[Any, ReferenceCalendar, int], micro: int, seconds: int
) -> None:
    cal, _, t = case
    seconds = _cap(cal, seconds)
    whole = _dt(t)
    fraction = whole.replace(microsecond=micro)
    elsewhere = _dt(t, "Asia/Tokyo").replace(microsecond=micro)
    due = cal.add_business_seconds(whole, seconds)
    assert cal.add_business_seconds(fraction, seconds) == due
    assert cal.add_business_seconds(elsewhere, seconds) == due
    assert due.tzinfo is UTC and due.microsecond == 0
    assert cal.is_open(fraction) == cal.is_open(whole)
    assert cal.business_seconds_between(whole, fraction) == 0


@ALGEBRA
@given(
    st.sampled_from(ZONES),
    st.integers(0, int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()) - 400 * 86400),
    st.integers(0, 400 * 86400),
)
def test_always_open_counts_real_time_everywhere(zone: str, t: int, span: int) -> None:
    cal = _always_open(zone)
    start, end = _dt(t, zone), _dt(t + span, zone)
    assert cal.business_seconds_between(start, end) == span
    assert cal.is_open(start)
    assert _epoch(cal.add_business_seconds(start, span)) == t + span


_always_open: Callable[[str], BusinessCalendar] = cache(always_open)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(YEARS))
def test_unchanged_days_count_24_hours_and_dst_days_their_real_length(zone: str, year: int) -> None:
    cal = _always_open(zone)
    tz = ZoneInfo(zone)
    for t in _anchors(zone, year):
        day = datetime.fromtimestamp(t, tz).date()
        begin = datetime(day.year, day.month, day.day, tzinfo=tz)
        nxt = day + timedelta(days=1)
        end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
        real = int(end.timestamp() - begin.timestamp())
        assert cal.business_seconds_between(begin, end) == real


def test_reference_walks_minutes_correctly_on_a_known_case() -> None:
    # Guard the guard: the reference itself on Mon-Fri 09:00-17:00 in UTC.
    spec = CalendarSpec(
        timezone="UTC", weekly_hours={d: [("09:00", "17:00")] for d in WEEKDAYS[:5]}
    )
    ref = ReferenceCalendar(spec)
    friday_16 = int(datetime(2026, 11, 20, 16, tzinfo=UTC).timestamp())
    assert ref.add(friday_16, 3600) == friday_16 + 3600  # Friday 17:00
    assert ref.add(friday_16, 3601) == int(datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC).timestamp())
    assert ref.elapsed(friday_16, friday_16 + 3 * 86400) == 3600 + 7 * 3600  # to Monday 16:00
    assert date(2026, 11, 20).weekday() == 4
