"""The next days of a business calendar as the admin page previews them
(domain/calendar_preview.py): open intervals per local day and the rule that decided it."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from atende.domain.businesstime import BusinessCalendar
from atende.domain.calendar_preview import MAX_PREVIEW_DAYS, Why, next_days
from atende.domain.calendar_spec import CalendarSpec

SPLIT = (("08:00", "12:00"), ("13:00", "18:00"))


def _calendar(**extra: object) -> BusinessCalendar:
    spec = {
        "timezone": "America/Sao_Paulo",
        "weekly_hours": MappingProxyType(
            {"monday": SPLIT, "thursday": SPLIT, "friday": (("22:00", "06:00"),)}
        ),
        "holidays_country": "BR",
        "holidays_subdivision": "SP",
        **extra,
    }
    return BusinessCalendar.from_spec(CalendarSpec(**spec))  # type: ignore[arg-type]


def _hours(day: object) -> list[str]:
    return [f"{a:%H:%M}-{b:%d %H:%M}" for a, b in day.intervals]  # type: ignore[attr-defined]


def test_each_day_has_its_intervals_a_night_shift_ends_the_next_day() -> None:
    days = next_days(_calendar(), date(2026, 12, 17), 5)
    assert [d.day.day for d in days] == [17, 18, 19, 20, 21]
    assert _hours(days[0]) == ["08:00-17 12:00", "13:00-17 18:00"]
    assert _hours(days[1]) == ["22:00-19 06:00"]
    assert _hours(days[2]) == [] and days[2].why is Why.WEEKLY
    assert days[0].open_minutes == 540


def test_holidays_closed_dates_and_own_hours_say_why() -> None:
    cal = _calendar(
        extra_closed=frozenset({date(2026, 12, 31)}),
        partial_days=MappingProxyType({date(2026, 12, 24): (("08:00", "12:00"),)}),
    )
    days = {d.day: d for d in next_days(cal, date(2026, 12, 24), 8, language="pt_BR")}
    assert days[date(2026, 12, 24)].why is Why.PARTIAL
    assert _hours(days[date(2026, 12, 24)]) == ["08:00-24 12:00"]
    christmas = days[date(2026, 12, 25)]
    assert (christmas.why, christmas.holiday, christmas.intervals) == (Why.HOLIDAY, "Natal", ())
    assert days[date(2026, 12, 31)].why is Why.CLOSED_DATE
    worked = next_days(_calendar(open_on_holidays=True), date(2026, 12, 25), 1)[0]
    assert worked.why is Why.HOLIDAY_OPEN and _hours(worked) == ["22:00-26 06:00"]


def test_the_span_is_bounded() -> None:
    assert len(next_days(_calendar(), date(2026, 1, 1), 10_000)) == MAX_PREVIEW_DAYS
    assert len(next_days(_calendar(), date(2026, 1, 1), 0)) == 1
