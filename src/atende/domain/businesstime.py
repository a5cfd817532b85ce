"""Business calendars and business-time arithmetic (the SLA clock).

Pure core: standard library, ``zoneinfo`` and the ``holidays`` package only; no I/O of our own.
The exact semantics are written down in ``docs/business-time.md``; in short:

* A calendar has an IANA timezone, weekly opening intervals in wall-clock time (several per day;
  an interval whose end is not after its start runs past midnight), holidays from the
  ``holidays`` package, extra closed dates, partial days (explicit hours for one date) and an
  ``open_on_holidays`` flag.
* A moment is *open* when the local clock at that moment shows a time inside one of the
  intervals of the date the interval belongs to; business time is the real (UTC) time spent in
  open moments. Intervals are half-open: ``[start, end)``.
* ``add_business_seconds(start, s)`` counts from ``next_open(start)`` and returns the earliest
  instant at which ``s`` business seconds have elapsed; for ``s == 0`` that is
  ``next_open(start)``; for ``s > 0`` it is never an opening instant, and when the target is
  used up exactly at a closing time the due instant is that closing time.

Design (performance): per calendar and per local year, a lazily built table of the open
intervals as UTC epoch seconds plus a prefix sum of open seconds; every computation is two or
three ``bisect`` calls, so its cost does not depend on the length of the target (a target that
spans year boundaries adds one O(1) step per extra year).

The calendar's definition, :class:`CalendarSpec`, and its validation are in
:mod:`atende.domain.calendar_spec` (re-exported here).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from atende.domain.calendar_spec import (
    ALWAYS_OPEN_SPEC,
    MAX_DATE,
    MIN_DATE,
    WEEKDAYS,
    CalendarSpec,
    InvalidCalendar,
    _normalise,
    _Normalised,
    always_open_spec,
    validate_spec,
)
from atende.domain.errors import ValidationFailed

__all__ = [
    "ALWAYS_OPEN_SPEC",
    "MAX_DATE",
    "MIN_DATE",
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarSpec",
    "InvalidCalendar",
    "NaiveDatetimeError",
    "OutOfRange",
    "always_open",
    "always_open_spec",
    "validate_spec",
]

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class NaiveDatetimeError(ValidationFailed):
    """A datetime without a timezone was given; business time needs an instant."""

    code = "naive_datetime"


class OutOfRange(ValidationFailed):
    """An instant (or a result) falls outside the supported range, or there is no opening."""

    code = "out_of_range"


# --------------------------------------------------------------------------------------------
# Timezone helpers (cached per zone, shared by all calendars)
# --------------------------------------------------------------------------------------------

_MIN_YEAR: Final[int] = MIN_DATE.year
_MAX_YEAR: Final[int] = MAX_DATE.year
_DAY: Final[int] = 86_400
_EPOCH_ORDINAL: Final[int] = date(1970, 1, 1).toordinal()

# The offset of a zone is sampled once a day and each change is located to the second by
# bisection. Two transitions that undo each other within a day would be missed: in tzdata 2026f
# (every zone, 1968 onwards, explicit transitions) the shortest such pair is 6.96 days apart
# (America/Recife's one-week DST of October 2000).
_SAMPLE_STEP: Final[int] = _DAY
_MARGIN: Final[int] = 2 * _DAY

# The tables cover the local years 1969..2101 so that every instant whose UTC date *or* local
# date is within MIN_DATE..MAX_DATE can be answered (1970-01-01T00:00Z is still 1969 in New York).
_TABLE_FIRST_YEAR: Final[int] = _MIN_YEAR - 1
_TABLE_LAST_YEAR: Final[int] = _MAX_YEAR + 1
_EPOCH_UTC: Final[datetime] = datetime(1970, 1, 1, tzinfo=UTC)


def _utc_jan1(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY


_UTC_LO: Final[int] = _utc_jan1(_MIN_YEAR)
_UTC_HI: Final[int] = _utc_jan1(_MAX_YEAR + 1)


def _offset_at(tz: tzinfo, t: int) -> int:
    off = datetime.fromtimestamp(t, tz).utcoffset()
    assert off is not None
    return off.days * _DAY + off.seconds


def _segments(tz: tzinfo, lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """Split ``[lo, hi)`` into runs of constant UTC offset: ``(start, end, offset)``."""
    segs: list[tuple[int, int, int]] = []
    seg_start, cur = lo, _offset_at(tz, lo)
    t = lo
    while t < hi:
        nxt = min(t + _SAMPLE_STEP, hi)
        if _offset_at(tz, nxt) == cur:
            t = nxt
            continue
        a, b = t, nxt  # offset(a) == cur != offset(b): find the first changed second
        while b - a > 1:
            m = (a + b) // 2
            if _offset_at(tz, m) == cur:
                a = m
            else:
                b = m
        segs.append((seg_start, b, cur))
        seg_start, cur, t = b, _offset_at(tz, b), b
    segs.append((seg_start, hi, cur))
    return tuple(segs)


@lru_cache(maxsize=4096)
def _year_segments(key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Offset runs covering UTC year ``year`` with a two-day margin on both sides."""
    return _segments(ZoneInfo(key), _utc_jan1(year) - _MARGIN, _utc_jan1(year + 1) + _MARGIN)


def _first_instant(segs: Iterable[tuple[int, int, int]], wall: int) -> int:
    """The first instant whose local wall clock reads ``wall`` (seconds) or later."""
    best: int | None = None
    for lo, hi, off in segs:
        t = max(lo, wall - off)
        if t < hi and (best is None or t < best):
            best = t
    assert best is not None
    return best


@lru_cache(maxsize=512)
def _year_bounds(key: str) -> tuple[int, ...]:
    """``B(y)`` for y in 1969..2102: the first instant of local date y-01-01."""
    tz = ZoneInfo(key)
    out = []
    for year in range(_TABLE_FIRST_YEAR, _TABLE_LAST_YEAR + 2):
        jan1 = _utc_jan1(year)
        out.append(_first_instant(_segments(tz, jan1 - _MARGIN, jan1 + _MARGIN), jan1))
    return tuple(out)


@lru_cache(maxsize=4096)
def _holidays_for(
    country: str, subdiv: str | None, categories: tuple[str, ...], year: int
) -> Mapping[date, str]:
    got = holidays.country_holidays(country, subdiv=subdiv, years=year, categories=categories)
    return MappingProxyType({d: str(name) for d, name in sorted(got.items()) if d.year == year})


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


class _Chunk:
    """Open intervals of one local year as UTC epoch seconds, with prefix sums.

    ``cum[i]`` is the open time before ``starts[i]``, ``cumend[i]`` the open time up to
    ``ends[i]`` (both counted from the start of the chunk), ``total`` the chunk's open time.
    """

    __slots__ = ("cum", "cumend", "ends", "starts", "total")

    def __init__(self, pieces: list[tuple[int, int]]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for a, b in sorted(pieces):  # union: merge overlapping or touching pieces
            if ends and a <= ends[-1]:
                if b > ends[-1]:
                    ends[-1] = b
            else:
                starts.append(a)
                ends.append(b)
        cum: list[int] = []
        cumend: list[int] = []
        acc = 0
        for a, b in zip(starts, ends, strict=True):
            cum.append(acc)
            acc += b - a
            cumend.append(acc)
        self.starts = starts
        self.ends = ends
        self.cum = cum
        self.cumend = cumend
        self.total = acc


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _bad_instant(value: object, what: str) -> ValidationFailed:
    if isinstance(value, datetime):
        return NaiveDatetimeError(
            "{what} {value} has no timezone; pass an aware datetime "
            "(e.g. with tzinfo=UTC or a ZoneInfo)",
            field=what,
            what=what,
            value=value.isoformat(),
        )
    return ValidationFailed(
        "{what} must be a timezone-aware datetime, got {value!r}",
        field=what,
        what=what,
        value=value,
    )


def _check_seconds(seconds: object, what: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationFailed(
            "{what} must be an integer, got {seconds!r}", field=what, what=what, seconds=seconds
        )
    if seconds < 0:
        raise ValidationFailed(
            "{what} must not be negative, got {seconds}", field=what, what=what, seconds=seconds
        )
    return int(seconds)


class BusinessCalendar:
    """An immutable, thread-safe business calendar built from a :class:`CalendarSpec`.

    Year tables are built lazily on first use and cached on the instance; concurrent builds of
    the same year are harmless (the first stored table wins). Build calendars once per spec and
    reuse them: a year's table costs a few milliseconds, a computation a couple of microseconds.
    """

    __slots__ = (
        "_bounds",
        "_chunks",
        "_hi",
        "_lo",
        "_lock",
        "_n",
        "_never_open",
        "_norm",
        "spec",
    )

    def __init__(self, spec: CalendarSpec, norm: _Normalised) -> None:
        self.spec = spec
        self._norm = norm
        self._bounds = _year_bounds(norm.tz.key)
        # Accepted instants: [_lo, _hi), i.e. UTC or local date within MIN_DATE..MAX_DATE.
        self._lo = min(self._bounds[1], _UTC_LO)
        self._hi = max(self._bounds[-2], _UTC_HI)
        self._n = len(self._bounds) - 1
        self._chunks: list[_Chunk | None] = [None] * self._n
        self._lock = threading.Lock()
        self._never_open = not any(norm.weekly) and not any(norm.partial.values())

    @classmethod
    def from_spec(cls, spec: CalendarSpec) -> BusinessCalendar:
        """Validate ``spec`` (raising :class:`InvalidCalendar`) and build the calendar."""
        return cls(spec, _normalise(spec))

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.spec!r})"

    @property
    def timezone(self) -> ZoneInfo:
        return self._norm.tz

    # -- building ----------------------------------------------------------------------------

    def _hours_on(
        self, d: date, hol: Mapping[date, str] | frozenset[date]
    ) -> Sequence[tuple[int, int]]:
        """The intervals of date ``d``; first match wins: partial, closed, holiday, weekly."""
        norm = self._norm
        partial = norm.partial.get(d)
        if partial is not None:
            return partial
        if d in norm.closed or d in hol:
            return ()
        return norm.weekly[d.weekday()]

    def _closing_holidays(self, years: Iterable[int]) -> frozenset[date]:
        norm = self._norm
        if norm.country is None or norm.open_on_holidays:
            return frozenset()
        out: set[date] = set()
        for y in years:
            out.update(_holidays_for(norm.country, norm.subdivision, norm.categories, y))
        return frozenset(out)

    def _build(self, idx: int) -> _Chunk:
        year = _TABLE_FIRST_YEAR + idx
        lo, hi = self._bounds[idx], self._bounds[idx + 1]
        hol = self._closing_holidays((year - 1, year))
        pieces: list[tuple[int, int]] = []
        segs: tuple[tuple[int, int, int], ...] | None = None
        # Dates of the previous year may run past midnight into this one (clipped at ``lo``).
        first = date(year - 1, 12, 30).toordinal()
        last = date(year, 12, 31).toordinal()
        for ordinal in range(first, last + 1):
            hours = self._hours_on(date.fromordinal(ordinal), hol)
            if not hours:
                continue
            if segs is None:
                segs = _year_segments(self._norm.tz.key, year)
            base = (ordinal - _EPOCH_ORDINAL) * _DAY
            for s, e in hours:
                wall_a, wall_b = base + s * 60, base + e * 60
                # Real instants whose local reading is in [wall_a, wall_b): per offset run,
                # a skipped reading maps to no instant, a repeated one to two.
                for seg_lo, seg_hi, off in segs:
                    a = max(seg_lo, wall_a - off, lo)
                    b = min(seg_hi, wall_b - off, hi)
                    if a < b:
                        pieces.append((a, b))
        chunk = _Chunk(pieces)
        with self._lock:
            stored = self._chunks[idx]
            if stored is None:
                self._chunks[idx] = stored = chunk
        return stored

    def _chunk(self, idx: int) -> _Chunk:
        chunk = self._chunks[idx]
        return chunk if chunk is not None else self._build(idx)

    # -- conversions -------------------------------------------------------------------------

    def _range_error(self, what: str, dt: datetime) -> OutOfRange:
        return OutOfRange(
            "{what} {value} is outside the supported range: instants "
            "whose UTC date or local date in {key} is within "
            "{value2}..{value3}",
            field=what,
            what=what,
            value=dt.isoformat(),
            key=self._norm.tz.key,
            value2=MIN_DATE.isoformat(),
            value3=MAX_DATE.isoformat(),
        )

    def _epoch(self, dt: datetime, what: str) -> int:
        """``dt`` as UTC epoch seconds, the fraction of a second dropped (floor)."""
        try:
            delta = dt - _EPOCH_UTC
            t: int = delta.days * 86_400 + delta.seconds
        except (TypeError, AttributeError):
            raise _bad_instant(dt, what) from None
        if t < self._lo or t >= self._hi:
            raise self._range_error(what, dt)
        return t

    def _locate(self, t: int) -> tuple[int, _Chunk]:
        idx = bisect_right(self._bounds, t) - 1
        chunk = self._chunks[idx]
        return idx, chunk if chunk is not None else self._build(idx)

    @staticmethod
    def _cum(chunk: _Chunk, t: int) -> int:
        """Open seconds in ``chunk`` before instant ``t``."""
        i = bisect_right(chunk.starts, t) - 1
        if i < 0:
            return 0
        if t < chunk.ends[i]:
            return chunk.cum[i] + t - chunk.starts[i]
        return chunk.cumend[i]

    def _no_opening(self) -> OutOfRange:
        return OutOfRange(
            "the result would fall after the supported range (UTC or "
            "local dates up to {value} in {key}): the calendar has no "
            "more open time before then",
            value=MAX_DATE.isoformat(),
            key=self._norm.tz.key,
        )

    def _next_open_epoch(self, t: int) -> int:
        if self._never_open:
            raise self._no_opening()
        idx, chunk = self._locate(t)
        i = bisect_right(chunk.starts, t) - 1
        if i >= 0 and t < chunk.ends[i]:
            return t
        j = i + 1
        while j >= len(chunk.starts):
            idx += 1
            if idx >= self._n:
                raise self._no_opening()
            chunk = self._chunk(idx)
            j = 0
        r = chunk.starts[j]
        if r >= self._hi:
            raise self._no_opening()
        return r

    # -- public API --------------------------------------------------------------------------

    def add_business_seconds(self, start: datetime, seconds: int) -> datetime:
        """The due instant: ``seconds`` of business time after ``start``, as an aware UTC datetime.

        The clock starts at ``next_open(start)`` (``start`` truncated to the second). For
        ``seconds == 0`` the result is ``next_open(start)``; for ``seconds > 0`` it is the
        earliest instant at which the target is used up: when that is exactly a closing time,
        the closing time (never the next opening). Cost is independent of ``seconds``.
        """
        # Hot path, inlined on purpose (see docs/performance.md).
        try:
            delta = start - _EPOCH_UTC
            t: int = delta.days * 86_400 + delta.seconds
        except (TypeError, AttributeError):
            raise _bad_instant(start, "start") from None
        if t < self._lo or t >= self._hi:
            raise self._range_error("start", start)
        if type(seconds) is not int or seconds <= 0:
            seconds = _check_seconds(seconds, "seconds")
            if seconds == 0:
                return _utc(self._next_open_epoch(t))
        idx = bisect_right(self._bounds, t) - 1
        chunk = self._chunks[idx]
        if chunk is None:
            chunk = self._build(idx)
        starts = chunk.starts
        i = bisect_right(starts, t) - 1
        if i < 0:
            target = seconds
        elif t < chunk.ends[i]:
            target = chunk.cum[i] + t - starts[i] + seconds
        else:
            target = chunk.cumend[i] + seconds
        while target > chunk.total:  # rare: the target runs into the next local year
            if self._never_open:
                raise self._no_opening()
            target -= chunk.total
            idx += 1
            if idx >= self._n:
                raise self._no_opening()
            chunk = self._chunk(idx)
        j = bisect_left(chunk.cumend, target)
        due = chunk.starts[j] + target - chunk.cum[j]
        if due >= self._hi:
            raise self._no_opening()
        return datetime.fromtimestamp(due, UTC)

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """:meth:`add_business_seconds` with ``minutes * 60`` seconds."""
        return self.add_business_seconds(start, _check_seconds(minutes, "minutes") * 60)

    def business_seconds_between(self, start: datetime, end: datetime) -> int:
        """Business seconds elapsed in ``[start, end)``; ``0`` when equal.

        Both instants are truncated to the second; ``end`` before ``start`` is refused.
        """
        t0 = self._epoch(start, "start")
        t1 = self._epoch(end, "end")
        if t1 < t0:
            raise ValidationFailed(
                "end {value} is before start {value2}",
                field="end",
                value=end.isoformat(),
                value2=start.isoformat(),
            )
        idx0, chunk0 = self._locate(t0)
        idx1, chunk1 = self._locate(t1)
        if idx0 == idx1:
            return self._cum(chunk1, t1) - self._cum(chunk0, t0)
        total = chunk0.total - self._cum(chunk0, t0)
        for idx in range(idx0 + 1, idx1):
            total += self._chunk(idx).total
        return total + self._cum(chunk1, t1)

    def is_open(self, at: datetime) -> bool:
        """Whether the instant ``at`` (truncated to the second) is inside business hours."""
        t = self._epoch(at, "at")
        _, chunk = self._locate(t)
        i = bisect_right(chunk.starts, t) - 1
        return i >= 0 and t < chunk.ends[i]

    def next_open(self, at: datetime) -> datetime:
        """``at`` (truncated to the second, in UTC) if open, else the next opening instant."""
        return _utc(self._next_open_epoch(self._epoch(at, "at")))

    def holidays_in(self, year: int) -> dict[date, str]:
        """The package holidays of ``year`` for this calendar's country/subdivision/categories.

        Listed even when ``open_on_holidays`` is set (then they do not close the desk) and even
        when a partial day overrides the date.
        """
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValidationFailed("year must be an integer, got {year!r}", field="year", year=year)
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise OutOfRange(
                "year {year} is outside the supported range {min_year}..{max_year}",
                field="year",
                year=year,
                min_year=_MIN_YEAR,
                max_year=_MAX_YEAR,
            )
        norm = self._norm
        if norm.country is None:
            return {}
        return dict(_holidays_for(norm.country, norm.subdivision, norm.categories, year))

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals intersecting ``[start, end)``, clipped to it, as UTC datetimes."""
        t0 = self._epoch(start, "start")
        t1 = self._epoch(end, "end")
        if t1 < t0:
            raise ValidationFailed(
                "end {value} is before start {value2}",
                field="end",
                value=end.isoformat(),
                value2=start.isoformat(),
            )
        idx0, _ = self._locate(t0)
        idx1, _ = self._locate(t1)
        out: list[list[int]] = []
        for idx in range(idx0, idx1 + 1):
            chunk = self._chunk(idx)
            i = max(bisect_right(chunk.starts, t0) - 1, 0)
            starts, ends = chunk.starts, chunk.ends
            while i < len(starts) and starts[i] < t1:
                a, b = max(starts[i], t0), min(ends[i], t1)
                if a < b:
                    if out and out[-1][1] == a:  # a year boundary split one interval
                        out[-1][1] = b
                    else:
                        out.append([a, b])
                i += 1
        return [(_utc(a), _utc(b)) for a, b in out]


@lru_cache(maxsize=64)
def always_open(timezone: str = "America/Sao_Paulo") -> BusinessCalendar:
    """A 24x7 :class:`BusinessCalendar` in ``timezone`` (one per zone: calendars are immutable
    and build their year tables once)."""
    return BusinessCalendar.from_spec(always_open_spec(timezone))
