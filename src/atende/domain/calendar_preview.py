"""What a business calendar's next days look like: each local day's open intervals and why a
day is closed, for the admin page's preview (pure: computed by the same
:class:`~atende.domain.businesstime.BusinessCalendar` the SLA clocks use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import holidays

from atende.domain.businesstime import BusinessCalendar

MAX_PREVIEW_DAYS = 62


class Why(StrEnum):
    """Which rule decided a day (docs/business-time.md, "Which rule decides a date")."""

    PARTIAL = "partial"
    """The date has its own hours (``partial_days``)."""
    CLOSED_DATE = "closed_date"
    """A one-off closed date (``extra_closed``)."""
    HOLIDAY = "holiday"
    """A holiday closes it."""
    HOLIDAY_OPEN = "holiday_open"
    """A holiday, worked (``open_on_holidays``)."""
    WEEKLY = "weekly"
    """The weekly hours of that weekday (none: closed that weekday)."""


@dataclass(frozen=True)
class Day:
    day: date
    intervals: tuple[tuple[datetime, datetime], ...]
    """Open intervals that start on this local day, in the calendar's zone (an interval that
    crosses midnight ends on the next day)."""
    why: Why
    holiday: str | None
    """The holiday's name, when the date is one (even when worked or given its own hours)."""

    @property
    def open_minutes(self) -> int:
        return sum(int((b - a).total_seconds()) // 60 for a, b in self.intervals)


def next_days(
    cal: BusinessCalendar, first: date, days: int, *, language: str | None = None
) -> list[Day]:
    """``days`` local days from ``first`` (at most :data:`MAX_PREVIEW_DAYS`): their open
    intervals and the rule that decided each; holidays named in ``language`` (the
    ``holidays`` package's tag, ``pt_BR``, ``en_US``) when the package has it."""
    days = max(1, min(days, MAX_PREVIEW_DAYS))
    tz = cal.timezone
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(first + timedelta(days=days), time(0), tz)
    # an interval that starts on the last day may run past midnight: look one day further
    found = cal.open_intervals(start, end + timedelta(days=1))
    by_day: dict[date, list[tuple[datetime, datetime]]] = {}
    for a, b in found:
        local = a.astimezone(tz)
        by_day.setdefault(local.date(), []).append((local, b.astimezone(tz)))
    years = range(first.year, (first + timedelta(days=days)).year + 1)
    names = _holiday_names(cal, years, language)
    spec = cal.spec
    out = []
    for i in range(days):
        d = first + timedelta(days=i)
        holiday = names.get(d)
        if d in spec.partial_days:
            why = Why.PARTIAL
        elif d in spec.extra_closed:
            why = Why.CLOSED_DATE
        elif holiday is not None:
            why = Why.HOLIDAY_OPEN if spec.open_on_holidays else Why.HOLIDAY
        else:
            why = Why.WEEKLY
        out.append(Day(d, tuple(by_day.get(d, ())), why, holiday))
    return out


def _holiday_names(cal: BusinessCalendar, years: range, language: str | None) -> dict[date, str]:
    """The calendar's holidays of ``years`` (the dates it closes), named in ``language``."""
    spec = cal.spec
    names: dict[date, str] = {}
    for year in years:
        names.update(cal.holidays_in(year))
    if not names or language is None or spec.holidays_country is None:
        return names
    try:
        said = holidays.country_holidays(
            spec.holidays_country,
            subdiv=spec.holidays_subdivision,
            years=list(years),
            categories=spec.holidays_categories,
            language=language,
        )
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        return names
    return {d: str(said.get(d) or name) for d, name in names.items()}
