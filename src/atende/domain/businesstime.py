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
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

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


class InvalidCalendar(ValidationFailed):
    """The calendar definition is malformed or self-contradictory."""

    code = "invalid_calendar"


class NaiveDatetimeError(ValidationFailed):
    """A datetime without a timezone was given; business time needs an instant."""

    code = "naive_datetime"


class OutOfRange(ValidationFailed):
    """An instant (or a result) falls outside the supported range, or there is no opening."""

    code = "out_of_range"


# --------------------------------------------------------------------------------------------
# Spec
# --------------------------------------------------------------------------------------------

WEEKDAYS: Final[tuple[str, ...]] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_WEEKDAY_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(WEEKDAYS)}

#: Supported local dates (in the calendar's timezone), both ends included.
MIN_DATE: Final[date] = date(1970, 1, 1)
MAX_DATE: Final[date] = date(2100, 12, 31)
_MIN_YEAR: Final[int] = MIN_DATE.year
_MAX_YEAR: Final[int] = MAX_DATE.year

_EMPTY_PARTIAL: Final[Mapping[date, Sequence[tuple[str, str]]]] = MappingProxyType({})


def _empty_partial() -> Mapping[date, Sequence[tuple[str, str]]]:
    return _EMPTY_PARTIAL


@dataclass(frozen=True)
class CalendarSpec:
    """Plain values describing a business calendar; checked by :func:`validate_spec`.

    ``weekly_hours`` maps ``"monday"`` .. ``"sunday"`` to intervals ``("HH:MM", "HH:MM")``;
    a missing weekday is closed. ``"24:00"`` is accepted only as an end. An interval whose end
    is not after its start runs past midnight and belongs to the date it starts on.
    """

    timezone: str
    weekly_hours: Mapping[str, Sequence[tuple[str, str]]]
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    holidays_categories: tuple[str, ...] = ("public",)
    extra_closed: frozenset[date] = frozenset()
    partial_days: Mapping[date, Sequence[tuple[str, str]]] = field(default_factory=_empty_partial)
    open_on_holidays: bool = False


def always_open_spec(timezone: str = "America/Sao_Paulo") -> CalendarSpec:
    """A 24x7 calendar: every day ``[("00:00", "24:00")]``, no holidays."""
    return CalendarSpec(
        timezone=timezone,
        weekly_hours=MappingProxyType({day: (("00:00", "24:00"),) for day in WEEKDAYS}),
        holidays_country=None,
    )


ALWAYS_OPEN_SPEC: Final[CalendarSpec] = always_open_spec()


# --------------------------------------------------------------------------------------------
# Validation / normalisation
# --------------------------------------------------------------------------------------------

_DAY: Final[int] = 86_400
_DAY_MIN: Final[int] = 1_440
_EPOCH_ORDINAL: Final[int] = date(1970, 1, 1).toordinal()
_TIME_RE: Final[re.Pattern[str]] = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")


class _Iv(NamedTuple):
    """A normalised interval in minutes after the start of its date; ``end`` may exceed 1440."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class _Normalised:
    tz: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # 7 entries, minutes
    partial: Mapping[date, tuple[tuple[int, int], ...]]
    closed: frozenset[date]
    country: str | None
    subdivision: str | None
    categories: tuple[str, ...]
    open_on_holidays: bool


def _fmt_min(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _describe(iv: _Iv) -> str:
    end = iv.end - _DAY_MIN if iv.end > _DAY_MIN else iv.end
    return f"{iv.label} ({_fmt_min(iv.start)}–{_fmt_min(end)})"


def _parse_time(value: object, where: str, *, is_end: bool) -> int:
    if not isinstance(value, str) or not _TIME_RE.fullmatch(value):
        raise InvalidCalendar(
            f"{where}: malformed time {value!r}; expected 'HH:MM' from 00:00 to 23:59"
            + (" or 24:00" if is_end else ""),
            field=where,
        )
    if value == "24:00":
        if not is_end:
            raise InvalidCalendar(
                f"{where}: '24:00' is accepted only as an end; use '00:00' to start at midnight",
                field=where,
            )
        return _DAY_MIN
    return int(value[:2]) * 60 + int(value[3:])


def _parse_intervals(raw: object, where: str) -> list[_Iv]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise InvalidCalendar(
            f"{where}: expected a list of [start, end] pairs, got {raw!r}", field=where
        )
    out: list[_Iv] = []
    for i, pair in enumerate(raw):
        label = f"{where}[{i}]"
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidCalendar(
                f"{label}: expected a [start, end] pair, got {pair!r}", field=label
            )
        start = _parse_time(pair[0], label, is_end=False)
        end = _parse_time(pair[1], label, is_end=True)
        if start == end:
            raise InvalidCalendar(
                f"{label}: empty interval ({pair[0]}–{pair[1]}); start equals end "
                "(use 00:00–24:00 for a whole day)",
                field=label,
            )
        if end < start:  # runs past midnight into the next date
            end += _DAY_MIN
        out.append(_Iv(start, end, label))
    return out


def _check_overlaps(own: Sequence[_Iv], carried: Iterable[_Iv], day: str) -> None:
    """Refuse overlaps among one date's intervals and the previous date's overnight tails."""
    items = list(own)
    own_labels = {iv.label for iv in own}
    for iv in carried:
        if iv.end > _DAY_MIN:
            items.append(_Iv(iv.start - _DAY_MIN, iv.end - _DAY_MIN, iv.label))
    items.sort()
    widest: _Iv | None = None
    for cur in items:
        if widest is not None and cur.start < widest.end:
            if cur.label in own_labels:
                mine, other = cur, widest
            else:
                mine, other = widest, cur
            note = "" if other.label in own_labels else f", which runs past midnight into {day}"
            raise InvalidCalendar(
                f"{_describe(mine)} overlaps {_describe(other)}{note}", field=mine.label
            )
        if widest is None or cur.end > widest.end:
            widest = cur


def _load_tz(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise InvalidCalendar(f"unknown timezone {name!r}", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidCalendar(
            f"unknown timezone {name!r}; expected an IANA name such as 'America/Sao_Paulo'",
            field="timezone",
        ) from None


def _check_date(value: object, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidCalendar(f"{where}: expected a date, got {value!r}", field=where)
    if not MIN_DATE <= value <= MAX_DATE:
        raise InvalidCalendar(
            f"{where}: {value.isoformat()} is outside the supported range "
            f"{MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}",
            field=where,
        )
    return value


def _check_holidays(spec: CalendarSpec) -> tuple[str | None, str | None, tuple[str, ...]]:
    country, subdiv, cats = (
        spec.holidays_country,
        spec.holidays_subdivision,
        spec.holidays_categories,
    )
    if country is None:
        if subdiv is not None:
            raise InvalidCalendar(
                "holidays_subdivision requires holidays_country", field="holidays_subdivision"
            )
        return None, None, ()
    if not isinstance(country, str):
        raise InvalidCalendar(f"unknown holiday country {country!r}", field="holidays_country")
    try:
        base = holidays.country_holidays(country)
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        raise InvalidCalendar(
            f"unknown holiday country {country!r}; expected an ISO 3166-1 alpha-2 code "
            "supported by the holidays package, e.g. 'BR'",
            field="holidays_country",
        ) from None
    if isinstance(subdiv, str) and subdiv.upper().startswith(f"{country.upper()}-"):
        subdiv = subdiv[len(country) + 1 :]  # ISO 3166-2 form "BR-SP" -> "SP"
    if subdiv is not None:
        try:
            holidays.country_holidays(country, subdiv=subdiv)
        except (NotImplementedError, KeyError, ValueError, TypeError):
            raise InvalidCalendar(
                f"unknown holiday subdivision {subdiv!r} for country {country!r}; "
                f"known: {', '.join(base.subdivisions)}",
                field="holidays_subdivision",
            ) from None
    if isinstance(cats, str) or not isinstance(cats, Sequence) or not cats:
        raise InvalidCalendar(
            "holidays_categories must be a non-empty list of categories, e.g. ['public'] "
            "(set holidays_country to null to ignore holidays)",
            field="holidays_categories",
        )
    supported = tuple(base.supported_categories)
    for i, cat in enumerate(cats):
        if cat not in supported:
            raise InvalidCalendar(
                f"unknown holiday category {cat!r} for country {country!r}; "
                f"known: {', '.join(supported)}",
                field=f"holidays_categories[{i}]",
            )
    return country, subdiv, tuple(dict.fromkeys(cats))


def _normalise(spec: CalendarSpec) -> _Normalised:
    if not isinstance(spec, CalendarSpec):
        raise InvalidCalendar(f"expected a CalendarSpec, got {type(spec).__name__}")
    tz = _load_tz(spec.timezone)

    if not isinstance(spec.weekly_hours, Mapping):
        raise InvalidCalendar(
            "weekly_hours must map weekday names to lists of intervals", field="weekly_hours"
        )
    parsed: list[list[_Iv]] = [[] for _ in WEEKDAYS]
    for key, raw in spec.weekly_hours.items():
        if key not in _WEEKDAY_INDEX:
            raise InvalidCalendar(
                f"unknown weekday {key!r}; expected one of {', '.join(WEEKDAYS)}",
                field=f"weekly_hours.{key}",
            )
        parsed[_WEEKDAY_INDEX[key]] = _parse_intervals(raw, f"weekly_hours.{key}")
    for w in range(7):
        _check_overlaps(parsed[w], parsed[(w - 1) % 7], WEEKDAYS[w])

    if not isinstance(spec.extra_closed, Iterable):
        raise InvalidCalendar("extra_closed must be a set of dates", field="extra_closed")
    closed = frozenset(_check_date(d, "extra_closed") for d in spec.extra_closed)

    if not isinstance(spec.partial_days, Mapping):
        raise InvalidCalendar(
            "partial_days must map dates to lists of intervals", field="partial_days"
        )
    partial_parsed: dict[date, list[_Iv]] = {}
    for d, raw in spec.partial_days.items():
        where = f"partial_days.{d.isoformat() if isinstance(d, date) else repr(d)}"
        _check_date(d, where)
        if d in closed:
            raise InvalidCalendar(
                f"{d.isoformat()} is both in partial_days and in extra_closed; keep one "
                "(an empty partial day means closed)",
                field=where,
            )
        partial_parsed[d] = _parse_intervals(raw, where)

    def in_effect(d: date) -> list[_Iv]:
        # Conservative: holidays are ignored here, so a spec stays valid whatever the
        # holidays package says in a later version.
        if d in partial_parsed:
            return partial_parsed[d]
        if d in closed:
            return []
        return parsed[d.weekday()]

    for d, ivs in partial_parsed.items():
        prev, nxt = d - timedelta(days=1), d + timedelta(days=1)
        _check_overlaps(ivs, in_effect(prev), d.isoformat())
        if nxt not in partial_parsed:
            _check_overlaps(in_effect(nxt), ivs, nxt.isoformat())

    country, subdiv, cats = _check_holidays(spec)
    if not isinstance(spec.open_on_holidays, bool):
        raise InvalidCalendar("open_on_holidays must be true or false", field="open_on_holidays")

    def minutes(ivs: list[_Iv]) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((iv.start, iv.end) for iv in ivs))

    return _Normalised(
        tz=tz,
        weekly=tuple(minutes(p) for p in parsed),
        partial=MappingProxyType({d: minutes(p) for d, p in partial_parsed.items()}),
        closed=closed,
        country=country,
        subdivision=subdiv,
        categories=cats,
        open_on_holidays=spec.open_on_holidays,
    )


def validate_spec(spec: CalendarSpec) -> None:
    """Raise :class:`InvalidCalendar` naming the first fault found in ``spec``."""
    _normalise(spec)


# --------------------------------------------------------------------------------------------
# Timezone helpers (cached per zone, shared by all calendars)
# --------------------------------------------------------------------------------------------

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
            f"{what} {value.isoformat()} has no timezone; pass an aware datetime "
            "(e.g. with tzinfo=UTC or a ZoneInfo)",
            field=what,
        )
    return ValidationFailed(f"{what} must be a timezone-aware datetime, got {value!r}", field=what)


def _check_seconds(seconds: object, what: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationFailed(f"{what} must be an integer, got {seconds!r}", field=what)
    if seconds < 0:
        raise ValidationFailed(f"{what} must not be negative, got {seconds}", field=what)
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
            f"{what} {dt.isoformat()} is outside the supported range: instants whose UTC "
            f"date or local date in {self._norm.tz.key} is within "
            f"{MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}",
            field=what,
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
            "the result would fall after the supported range (UTC or local dates up to "
            f"{MAX_DATE.isoformat()} in {self._norm.tz.key}): the calendar has no more open "
            "time before then"
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
                f"end {end.isoformat()} is before start {start.isoformat()}", field="end"
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
            raise ValidationFailed(f"year must be an integer, got {year!r}", field="year")
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise OutOfRange(
                f"year {year} is outside the supported range {_MIN_YEAR}..{_MAX_YEAR}",
                field="year",
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
                f"end {end.isoformat()} is before start {start.isoformat()}", field="end"
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


def always_open(timezone: str = "America/Sao_Paulo") -> BusinessCalendar:
    """A 24x7 :class:`BusinessCalendar` in ``timezone``."""
    return BusinessCalendar.from_spec(always_open_spec(timezone))
