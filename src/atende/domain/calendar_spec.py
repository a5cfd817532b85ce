"""A business calendar's definition (:class:`CalendarSpec`, plain values) and its validation.

:func:`validate_spec` refuses a malformed or self-contradictory spec naming the first fault; the
normalised form it builds is what :class:`~atende.domain.businesstime.BusinessCalendar` computes
with. The semantics are in ``docs/business-time.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    "CalendarSpec",
    "InvalidCalendar",
    "always_open_spec",
    "validate_spec",
]

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class InvalidCalendar(ValidationFailed):
    """The calendar definition is malformed or self-contradictory."""

    code = "invalid_calendar"


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

_DAY_MIN: Final[int] = 1_440
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
        template = (
            "{where}: malformed time {value!r}; expected 'HH:MM' from 00:00 to 23:59 or 24:00"
            if is_end
            else "{where}: malformed time {value!r}; expected 'HH:MM' from 00:00 to 23:59"
        )
        raise InvalidCalendar(template, field=where, where=where, value=value)
    if value == "24:00":
        if not is_end:
            raise InvalidCalendar(
                "{where}: '24:00' is accepted only as an end; use '00:00' to start at midnight",
                field=where,
                where=where,
            )
        return _DAY_MIN
    return int(value[:2]) * 60 + int(value[3:])


def _parse_intervals(raw: object, where: str) -> list[_Iv]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise InvalidCalendar(
            "{where}: expected a list of [start, end] pairs, got {raw!r}",
            field=where,
            where=where,
            raw=raw,
        )
    out: list[_Iv] = []
    for i, pair in enumerate(raw):
        label = f"{where}[{i}]"
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidCalendar(
                "{label}: expected a [start, end] pair, got {pair!r}",
                field=label,
                label=label,
                pair=pair,
            )
        start = _parse_time(pair[0], label, is_end=False)
        end = _parse_time(pair[1], label, is_end=True)
        if start == end:
            raise InvalidCalendar(
                "{label}: empty interval ({pair}–{pair2}); start equals end "
                "(use 00:00–24:00 for a whole day)",
                field=label,
                label=label,
                pair=pair[0],
                pair2=pair[1],
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
                "{mine} overlaps {other}{note}",
                field=mine.label,
                mine=_describe(mine),
                other=_describe(other),
                note=note,
            )
        if widest is None or cur.end > widest.end:
            widest = cur


def _load_tz(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise InvalidCalendar("unknown timezone {name!r}", field="timezone", name=name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidCalendar(
            "unknown timezone {name!r}; expected an IANA name such as 'America/Sao_Paulo'",
            field="timezone",
            name=name,
        ) from None


def _check_date(value: object, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidCalendar(
            "{where}: expected a date, got {value!r}", field=where, where=where, value=value
        )
    if not MIN_DATE <= value <= MAX_DATE:
        raise InvalidCalendar(
            "{where}: {value} is outside the supported range {value2}..{value3}",
            field=where,
            where=where,
            value=value.isoformat(),
            value2=MIN_DATE.isoformat(),
            value3=MAX_DATE.isoformat(),
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
        raise InvalidCalendar(
            "unknown holiday country {country!r}", field="holidays_country", country=country
        )
    try:
        base = holidays.country_holidays(country)
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        raise InvalidCalendar(
            "unknown holiday country {country!r}; expected an ISO 3166-1 "
            "alpha-2 code supported by the holidays package, e.g. 'BR'",
            field="holidays_country",
            country=country,
        ) from None
    if isinstance(subdiv, str) and subdiv.upper().startswith(f"{country.upper()}-"):
        subdiv = subdiv[len(country) + 1 :]  # ISO 3166-2 form "BR-SP" -> "SP"
    if subdiv is not None:
        try:
            holidays.country_holidays(country, subdiv=subdiv)
        except (NotImplementedError, KeyError, ValueError, TypeError):
            raise InvalidCalendar(
                "unknown holiday subdivision {subdiv!r} for country "
                "{country!r}; known: {subdivisions}",
                field="holidays_subdivision",
                subdiv=subdiv,
                country=country,
                subdivisions=", ".join(base.subdivisions),
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
                "unknown holiday category {cat!r} for country {country!r}; known: {supported}",
                field=f"holidays_categories[{i}]",
                cat=cat,
                country=country,
                supported=", ".join(supported),
            )
    return country, subdiv, tuple(dict.fromkeys(cats))


def _normalise(spec: CalendarSpec) -> _Normalised:
    if not isinstance(spec, CalendarSpec):
        raise InvalidCalendar("expected a CalendarSpec, got {name}", name=type(spec).__name__)
    tz = _load_tz(spec.timezone)

    if not isinstance(spec.weekly_hours, Mapping):
        raise InvalidCalendar(
            "weekly_hours must map weekday names to lists of intervals", field="weekly_hours"
        )
    parsed: list[list[_Iv]] = [[] for _ in WEEKDAYS]
    for key, raw in spec.weekly_hours.items():
        if key not in _WEEKDAY_INDEX:
            raise InvalidCalendar(
                "unknown weekday {key!r}; expected one of {weekdays}",
                field=f"weekly_hours.{key}",
                key=key,
                weekdays=", ".join(WEEKDAYS),
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
                "{value} is both in partial_days and in extra_closed; keep "
                "one (an empty partial day means closed)",
                field=where,
                value=d.isoformat(),
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
