"""A deliberately simple reference for business time, used by the property tests.

It reads the semantics of docs/business-time.md literally and shares no code with
``atende.domain.businesstime`` beyond the input ``CalendarSpec``:

* an instant ``t`` (UTC epoch seconds) is open when its local wall-clock reading (via
  ``datetime.fromtimestamp(t, zone)``) lies inside one of the intervals of its local date, or
  inside a past-midnight tail of an interval of the previous local date; a date's intervals come
  from the first matching rule: partial day, extra closed date, holiday (unless
  ``open_on_holidays``), weekly hours;
* business time is counted by walking real time minute by minute. This is exact because every
  interval boundary is a whole wall-clock minute and every UTC offset we test is a whole number
  of minutes, so openness is constant on each UTC minute ``[60k, 60k + 60)`` (checked).

Slow on purpose (microseconds per minute walked): keep targets to a few days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from atende.domain.businesstime import WEEKDAYS, CalendarSpec

Interval = tuple[int, int]  # minutes from the start of the date; end may pass 1440


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


def _parse(pairs: object) -> list[Interval]:
    out: list[Interval] = []
    for a, b in pairs:  # type: ignore[attr-defined]
        start, end = _minutes(a), _minutes(b)
        if end <= start:  # past midnight ("00:00" as an end is midnight)
            end += 1440
        out.append((start, end))
    return out


class ReferenceCalendar:
    def __init__(self, spec: CalendarSpec, *, max_days: int = 400) -> None:
        self.zone = ZoneInfo(spec.timezone)
        self.weekly = [_parse(spec.weekly_hours.get(day, ())) for day in WEEKDAYS]
        self.partial = {d: _parse(v) for d, v in spec.partial_days.items()}
        self.closed = set(spec.extra_closed)
        self.spec = spec
        self.limit_minutes = max_days * 1440

    @cache  # noqa: B019 - tests only, few instances
    def _holidays(self, year: int) -> frozenset[date]:
        spec = self.spec
        if spec.holidays_country is None or spec.open_on_holidays:
            return frozenset()
        sub = spec.holidays_subdivision
        if sub is not None and sub.startswith(spec.holidays_country + "-"):
            sub = sub[len(spec.holidays_country) + 1 :]
        got = holidays.country_holidays(
            spec.holidays_country, subdiv=sub, years=year, categories=spec.holidays_categories
        )
        return frozenset(got)

    def hours_on(self, d: date) -> list[Interval]:
        if d in self.partial:
            return self.partial[d]
        if d in self.closed or d in self._holidays(d.year):
            return []
        return self.weekly[d.weekday()]

    def is_open(self, t: int) -> bool:
        local = datetime.fromtimestamp(t, self.zone)
        offset = local.utcoffset()
        assert offset is not None and offset.total_seconds() % 60 == 0
        d = local.date()
        m = local.hour * 60 + local.minute
        if any(a <= m < b for a, b in self.hours_on(d)):
            return True
        prev = self.hours_on(d - timedelta(days=1))
        return any(a <= m + 1440 < b for a, b in prev)

    def _minute_open(self, k: int) -> bool:
        return self.is_open(60 * k)

    def next_open(self, t: int) -> int:
        if self.is_open(t):
            return t
        k = t // 60 + 1
        for _ in range(self.limit_minutes):
            if self._minute_open(k):
                return 60 * k
            k += 1
        raise RuntimeError("reference: no opening within the walk limit")

    def elapsed(self, t0: int, t1: int) -> int:
        assert t1 >= t0
        total = 0
        k = t0 // 60
        while 60 * k < t1:
            lo, hi = max(t0, 60 * k), min(t1, 60 * k + 60)
            if self._minute_open(k):
                total += hi - lo
            k += 1
        return total

    def add(self, t0: int, seconds: int) -> int:
        t = self.next_open(t0)
        if seconds == 0:
            return t
        remaining = seconds
        k = t // 60
        for _ in range(self.limit_minutes):
            if self._minute_open(k):
                lo = max(t, 60 * k)
                avail = 60 * k + 60 - lo
                if remaining <= avail:
                    return lo + remaining
                remaining -= avail
            k += 1
        raise RuntimeError("reference: target not used up within the walk limit")
