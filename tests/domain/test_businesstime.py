"""Example tests for the business-time core: one or more per rule of docs/business-time.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from atende.domain.businesstime import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpec,
    InvalidCalendar,
    NaiveDatetimeError,
    OutOfRange,
    always_open,
    always_open_spec,
    validate_spec,
)
from atende.domain.errors import ValidationFailed

SP = ZoneInfo("America/Sao_Paulo")
NY = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")
TOKYO = ZoneInfo("Asia/Tokyo")

SPLIT = (("08:30", "12:00"), ("13:30", "18:00"))
Hours = Sequence[tuple[str, str]]


def calendar(
    weekly: Mapping[str, Hours] | Hours,
    *,
    days: Sequence[str] = WEEKDAYS,
    timezone: str = "America/Sao_Paulo",
    **kwargs: object,
) -> BusinessCalendar:
    hours = weekly if isinstance(weekly, Mapping) else {day: weekly for day in days}
    return BusinessCalendar.from_spec(
        CalendarSpec(timezone=timezone, weekly_hours=hours, **kwargs)  # type: ignore[arg-type]
    )


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def split_br() -> BusinessCalendar:
    """Seed: Mon-Fri 08:30-12:00 and 13:30-18:00, Brazilian national holidays closed."""
    return calendar(SPLIT, days=WEEKDAYS[:5], holidays_country="BR")


def assert_invalid(fragment: str, **spec: object) -> None:
    spec.setdefault("timezone", "America/Sao_Paulo")
    spec.setdefault("weekly_hours", {})
    with pytest.raises(InvalidCalendar) as info:
        validate_spec(CalendarSpec(**spec))  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert info.value.status == 422 and info.value.code == "invalid_calendar"


# ---------------------------------------------------------------------------------------------
# The seeds' clocks
# ---------------------------------------------------------------------------------------------


def test_chat_at_2050_on_a_holiday_on_the_every_day_clock_is_due_0820_next_day() -> None:
    every_day = calendar([("08:00", "21:00")], holidays_country="BR", open_on_holidays=True)
    holiday = sp(2026, 11, 20, 20, 50)  # Black Awareness Day, a national holiday
    assert date(2026, 11, 20) in every_day.holidays_in(2026)
    assert every_day.add_business_minutes(holiday, 30) == sp(2026, 11, 21, 8, 20)
    # the same desk with holidays closed counts from the next day's opening
    closed = calendar([("08:00", "21:00")], holidays_country="BR")
    assert closed.add_business_minutes(holiday, 30) == sp(2026, 11, 21, 8, 30)


def test_friday_evening_before_a_monday_holiday_with_24_hour_and_longer_targets() -> None:
    cal = split_br()
    friday = sp(2026, 10, 9, 19, 0)  # Monday 2026-10-12 is Our Lady of Aparecida
    assert cal.holidays_in(2026)[date(2026, 10, 12)] == "Our Lady of Aparecida"
    assert cal.add_business_minutes(friday, 30) == sp(2026, 10, 13, 9, 0)
    # 24 business hours = three 8-hour days (Tue, Wed, Thu), used up at Thursday's closing
    assert cal.add_business_minutes(friday, 24 * 60) == sp(2026, 10, 15, 18, 0)
    assert cal.add_business_minutes(friday, 48 * 60) == sp(2026, 10, 20, 18, 0)
    # 168 h = 21 days of 8 h: Tue 13 Oct .. Wed 11 Nov, skipping weekends and Mon 2 Nov
    assert cal.add_business_minutes(friday, 7 * 24 * 60) == sp(2026, 11, 11, 18, 0)


def test_reply_straddling_the_lunch_break() -> None:
    cal = split_br()
    assert cal.add_business_minutes(sp(2026, 11, 18, 11, 50), 30) == sp(2026, 11, 18, 13, 50)
    assert cal.business_seconds_between(sp(2026, 11, 18, 11, 50), sp(2026, 11, 18, 13, 50)) == (
        30 * 60
    )


# ---------------------------------------------------------------------------------------------
# Due lands on the interval's end; a start outside hours counts from the next opening
# ---------------------------------------------------------------------------------------------


def test_due_used_up_at_a_closing_time_is_the_closing_time() -> None:
    nine_to_five = calendar([("09:00", "17:00")], days=WEEKDAYS[:5], timezone="UTC")
    friday_16 = utc(2026, 11, 20, 16, 0)
    assert nine_to_five.add_business_minutes(friday_16, 60) == utc(2026, 11, 20, 17, 0)
    assert nine_to_five.add_business_seconds(friday_16, 3601) == utc(2026, 11, 23, 9, 0, 1)
    cal = split_br()
    assert cal.add_business_minutes(sp(2026, 11, 18, 11, 30), 30) == sp(2026, 11, 18, 12, 0)
    assert cal.add_business_minutes(sp(2026, 11, 13, 16, 30), 90) == sp(2026, 11, 13, 18, 0)
    assert cal.add_business_minutes(sp(2026, 11, 13, 16, 30), 91) == sp(2026, 11, 16, 8, 31)


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    cal = split_br()
    assert cal.add_business_minutes(sp(2026, 11, 14, 10, 0), 30) == sp(2026, 11, 16, 9, 0)
    assert cal.add_business_minutes(sp(2026, 11, 18, 12, 30), 30) == sp(2026, 11, 18, 14, 0)
    assert cal.add_business_minutes(sp(2026, 11, 18, 8, 30), 30) == sp(2026, 11, 18, 9, 0)
    assert cal.add_business_minutes(sp(2026, 11, 18, 18, 0), 1) == sp(2026, 11, 19, 8, 31)
    assert cal.add_business_minutes(sp(2026, 11, 18, 7, 0), 0) == sp(2026, 11, 18, 8, 30)


def test_is_open_and_next_open_are_half_open_intervals() -> None:
    cal = split_br()
    assert cal.is_open(sp(2026, 11, 18, 8, 30))
    assert cal.is_open(sp(2026, 11, 18, 11, 59, 59))
    assert not cal.is_open(sp(2026, 11, 18, 12, 0))
    assert not cal.is_open(sp(2026, 11, 18, 8, 29, 59))
    assert cal.next_open(sp(2026, 11, 18, 12, 0)) == sp(2026, 11, 18, 13, 30)
    assert cal.next_open(sp(2026, 11, 18, 10, 0, 5)) == sp(2026, 11, 18, 10, 0, 5)
    assert cal.next_open(sp(2026, 11, 20, 9, 0)) == sp(2026, 11, 23, 8, 30)  # holiday, weekend


def test_results_are_aware_utc_datetimes() -> None:
    due = split_br().add_business_minutes(sp(2026, 11, 18, 10, 0), 15)
    assert due.tzinfo is UTC
    assert due == utc(2026, 11, 18, 13, 15)
    assert split_br().next_open(sp(2026, 11, 18, 10, 0)).tzinfo is UTC


# ---------------------------------------------------------------------------------------------
# Which rule decides a date
# ---------------------------------------------------------------------------------------------


def test_partial_days_give_explicit_hours_and_override_holidays() -> None:
    cal = calendar(
        SPLIT,
        days=WEEKDAYS[:5],
        holidays_country="BR",
        partial_days={
            date(2026, 12, 24): [("08:30", "12:00")],
            date(2026, 11, 20): [("10:00", "12:00")],
        },
    )
    # Thursday 24 Dec open until 12:00, 25 Dec holiday, weekend: Monday 28 Dec
    assert cal.add_business_minutes(sp(2026, 12, 24, 11, 0), 120) == sp(2026, 12, 28, 9, 30)
    assert not cal.is_open(sp(2026, 12, 24, 14, 0))
    assert cal.is_open(sp(2026, 11, 20, 11, 0))  # a holiday, but the partial day decides
    assert not cal.is_open(sp(2026, 11, 20, 9, 0))


def test_an_empty_partial_day_is_closed() -> None:
    cal = calendar(SPLIT, days=WEEKDAYS[:5], partial_days={date(2026, 11, 18): []})
    assert not cal.is_open(sp(2026, 11, 18, 10, 0))
    assert cal.next_open(sp(2026, 11, 18, 10, 0)) == sp(2026, 11, 19, 8, 30)


def test_extra_closed_dates_are_closed() -> None:
    cal = calendar(SPLIT, days=WEEKDAYS[:5], extra_closed=frozenset({date(2026, 11, 19)}))
    assert not cal.is_open(sp(2026, 11, 19, 10, 0))
    assert cal.add_business_minutes(sp(2026, 11, 18, 17, 30), 60) == sp(2026, 11, 20, 9, 0)


def test_holidays_close_unless_open_on_holidays() -> None:
    closed = calendar(SPLIT, days=WEEKDAYS[:5], holidays_country="BR")
    opened = calendar(SPLIT, days=WEEKDAYS[:5], holidays_country="BR", open_on_holidays=True)
    assert not closed.is_open(sp(2026, 11, 20, 10, 0))
    assert opened.is_open(sp(2026, 11, 20, 10, 0))
    assert not opened.is_open(sp(2026, 11, 21, 10, 0))  # Saturday: weekly hours still decide
    assert opened.holidays_in(2026) == closed.holidays_in(2026)


def test_partial_day_and_extra_closed_on_the_same_date_is_refused() -> None:
    assert_invalid(
        "both in partial_days and in extra_closed",
        partial_days={date(2026, 12, 24): [("08:00", "12:00")]},
        extra_closed=frozenset({date(2026, 12, 24)}),
    )


def test_optional_holiday_categories_close_carnival() -> None:
    public = calendar(SPLIT, days=WEEKDAYS[:5], holidays_country="BR")
    carnival = calendar(
        SPLIT, days=WEEKDAYS[:5], holidays_country="BR", holidays_categories=("public", "optional")
    )
    for day in (16, 17, 18):  # Carnival Monday and Tuesday, Ash Wednesday
        assert public.is_open(sp(2026, 2, day, 10, 0))
        assert not carnival.is_open(sp(2026, 2, day, 10, 0))
    assert carnival.holidays_in(2026)[date(2026, 2, 16)] == "Carnival"
    assert date(2026, 6, 4) in carnival.holidays_in(2026)  # Corpus Christi
    assert date(2026, 6, 4) not in public.holidays_in(2026)
    # a partial day reopens the afternoon of Ash Wednesday
    afternoon = calendar(
        SPLIT,
        days=WEEKDAYS[:5],
        holidays_country="BR",
        holidays_categories=("public", "optional"),
        partial_days={date(2026, 2, 18): [("13:00", "18:00")]},
    )
    assert afternoon.next_open(sp(2026, 2, 16, 8, 0)) == sp(2026, 2, 18, 13, 0)


def test_subdivision_holidays_both_spellings() -> None:
    national = calendar(SPLIT, days=WEEKDAYS[:5], holidays_country="BR")
    for subdivision in ("SP", "BR-SP"):
        sao_paulo = calendar(
            SPLIT, days=WEEKDAYS[:5], holidays_country="BR", holidays_subdivision=subdivision
        )
        assert not sao_paulo.is_open(sp(2026, 7, 9, 10, 0))  # Constitutionalist Revolution
    assert national.is_open(sp(2026, 7, 9, 10, 0))


# ---------------------------------------------------------------------------------------------
# Midnight
# ---------------------------------------------------------------------------------------------


def test_night_shift_crosses_midnight_and_belongs_to_its_start_date() -> None:
    night = calendar([("22:00", "06:00")], days=WEEKDAYS[:5], holidays_country="BR")
    # Thursday 19 Nov 22:00 -> Friday 06:00 is open although Friday 20 Nov is a holiday
    assert night.is_open(sp(2026, 11, 20, 3, 0))
    # Friday's own shift (22:00 -> Saturday 06:00) is closed: Friday is a holiday
    assert not night.is_open(sp(2026, 11, 20, 23, 0))
    assert not night.is_open(sp(2026, 11, 21, 3, 0))
    # Monday 22:00 + 8 h is used up at Tuesday 06:00, the closing time
    assert night.add_business_minutes(sp(2026, 11, 16, 22, 0), 8 * 60) == sp(2026, 11, 17, 6, 0)
    assert night.add_business_minutes(sp(2026, 11, 16, 22, 0), 8 * 60 + 1) == sp(
        2026, 11, 17, 22, 1
    )
    # Saturday has no shift of its own; Friday's closed shift does not spill into it
    assert night.is_open(sp(2026, 11, 14, 2, 0))  # Friday 13 Nov's shift, not a holiday
    assert not night.is_open(sp(2026, 11, 15, 2, 0))  # Saturday has no shift


def test_crossing_interval_is_not_cut_by_a_closed_next_date() -> None:
    night = calendar(
        [("22:00", "06:00")], extra_closed=frozenset({date(2026, 11, 18)}), holidays_country=None
    )
    assert night.is_open(sp(2026, 11, 18, 5, 59, 59))  # Tuesday's shift runs into closed Wed
    assert not night.is_open(sp(2026, 11, 18, 22, 0))  # Wednesday's own shift is closed
    assert night.business_seconds_between(sp(2026, 11, 17, 12, 0), sp(2026, 11, 19, 12, 0)) == (
        8 * 3600
    )


def test_midnight_as_an_end() -> None:
    late = calendar([("09:00", "00:00")])
    whole = calendar([("00:00", "24:00")])
    late_24 = calendar([("09:00", "24:00")])
    day, next_day = sp(2026, 11, 18), sp(2026, 11, 19)
    assert late.business_seconds_between(day, next_day) == 15 * 3600
    assert late_24.business_seconds_between(day, next_day) == 15 * 3600
    assert late.is_open(sp(2026, 11, 18, 23, 59, 59))
    assert not late.is_open(next_day)
    assert whole.business_seconds_between(day, next_day) == 86400
    assert whole.add_business_seconds(day, 86400) == next_day
    assert late.add_business_minutes(sp(2026, 11, 18, 23, 0), 60) == next_day


def test_touching_intervals_are_allowed_and_count_as_one() -> None:
    cal = calendar([("08:00", "12:00"), ("12:00", "18:00")])
    assert cal.is_open(sp(2026, 11, 18, 12, 0))
    assert cal.add_business_minutes(sp(2026, 11, 18, 11, 0), 60) == sp(2026, 11, 18, 12, 0)
    assert cal.add_business_minutes(sp(2026, 11, 18, 11, 0), 61) == sp(2026, 11, 18, 12, 1)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "fragment"),
    [
        (("09:00", "09:00"), "start equals end"),
        (("00:00", "00:00"), "start equals end"),
        (("24:00", "06:00"), "'24:00' is accepted only as an end"),
        (("9:00", "12:00"), "malformed time '9:00'"),
        (("09:00", "12:60"), "malformed time '12:60'"),
        (("25:00", "26:00"), "malformed time '25:00'"),
        (("09:00", "24:01"), "malformed time '24:01'"),
        (("09h00", "12:00"), "malformed time '09h00'"),
        (("09:00:00", "12:00"), "malformed time '09:00:00'"),
        ((" 09:00", "12:00"), "malformed time ' 09:00'"),
    ],
)
def test_malformed_or_empty_intervals_are_refused(pair: tuple[str, str], fragment: str) -> None:
    assert_invalid(fragment, weekly_hours={"monday": [pair]})


@pytest.mark.parametrize(
    ("weekly", "fragment"),
    [
        ({"monday": [("08:00", "12:00"), ("11:00", "13:00")]}, "overlaps"),
        ({"monday": [("08:00", "18:00"), ("09:00", "10:00")]}, "overlaps"),
        ({"monday": [("22:00", "06:00")], "tuesday": [("05:00", "09:00")]}, "past midnight"),
        ({"sunday": [("20:00", "02:00")], "monday": [("01:00", "03:00")]}, "past midnight"),
        ({"funday": [("08:00", "12:00")]}, "unknown weekday 'funday'"),
        ({"monday": [("08:00",)]}, "expected a [start, end] pair"),
        ({"monday": "08:00-12:00"}, "expected a list of [start, end] pairs"),
    ],
)
def test_overlapping_or_malformed_weekly_hours_are_refused(
    weekly: Mapping[str, object], fragment: str
) -> None:
    assert_invalid(fragment, weekly_hours=weekly)


def test_partial_day_overlapping_the_previous_nights_shift_is_refused() -> None:
    assert_invalid(
        "overlaps",
        weekly_hours={"monday": [("22:00", "06:00")]},
        partial_days={date(2026, 11, 17): [("05:00", "09:00")]},  # a Tuesday
    )


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        ({"timezone": ""}, "unknown timezone"),
        ({"holidays_country": "XX"}, "unknown holiday country 'XX'"),
        ({"holidays_country": "BR", "holidays_subdivision": "XX"}, "unknown holiday subdivision"),
        (
            {"holidays_country": "BR", "holidays_subdivision": "BR-XX"},
            "unknown holiday subdivision",
        ),
        ({"holidays_subdivision": "SP"}, "requires holidays_country"),
        (
            {"holidays_country": "BR", "holidays_categories": ("carnival",)},
            "unknown holiday category",
        ),
        ({"holidays_country": "BR", "holidays_categories": ()}, "non-empty"),
        ({"extra_closed": frozenset({date(1969, 12, 31)})}, "outside the supported range"),
        ({"partial_days": {date(2101, 1, 1): []}}, "outside the supported range"),
        ({"open_on_holidays": "yes"}, "open_on_holidays must be true or false"),
    ],
)
def test_unknown_zones_countries_subdivisions_and_categories_are_refused(
    spec: dict[str, object], fragment: str
) -> None:
    assert_invalid(fragment, **spec)


def test_24x7_is_a_calendar_and_the_valid_forms_are_accepted() -> None:
    validate_spec(always_open_spec("Europe/Lisbon"))
    validate_spec(
        CalendarSpec(
            timezone="America/Sao_Paulo",
            weekly_hours={
                "monday": [["08:30", "12:00"], ["13:30", "18:00"]],  # JSON-style lists
                "tuesday": [("22:00", "06:00")],
                "wednesday": [("06:00", "24:00")],
                "thursday": [("00:00", "24:00")],
                "friday": [("09:00", "00:00")],
            },
        )
    )
    cal = always_open("America/Sao_Paulo")
    assert cal.business_seconds_between(sp(2026, 1, 1), sp(2027, 1, 1)) == 365 * 86400


# ---------------------------------------------------------------------------------------------
# Wall clock, real time: DST
# ---------------------------------------------------------------------------------------------


def test_new_york_spring_forward_skipped_reading_is_never_open() -> None:
    # 2026-03-08 02:00 EST -> 03:00 EDT: the local date lasts 23 hours
    assert (
        always_open("America/New_York").business_seconds_between(
            datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)
        )
        == 23 * 3600
    )
    one_to_four = calendar([("01:00", "04:00")], timezone="America/New_York")
    assert one_to_four.business_seconds_between(utc(2026, 3, 8), utc(2026, 3, 9)) == 2 * 3600
    assert one_to_four.add_business_minutes(utc(2026, 3, 8, 6, 0), 61) == utc(2026, 3, 8, 7, 1)
    late = calendar([("02:30", "05:00")], timezone="America/New_York")
    # 02:30 does not exist that day: the interval opens at the first open reading, 03:00 EDT
    assert late.next_open(utc(2026, 3, 8, 6, 0)) == utc(2026, 3, 8, 7, 0)
    assert late.business_seconds_between(utc(2026, 3, 8), utc(2026, 3, 9)) == 2 * 3600


def test_new_york_fall_back_repeated_reading_is_open_twice() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST: 01:00-02:00 is read twice; the date lasts 25 hours
    assert (
        always_open("America/New_York").business_seconds_between(
            datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)
        )
        == 25 * 3600
    )
    midnight_to_three = calendar([("00:00", "03:00")], timezone="America/New_York")
    assert midnight_to_three.business_seconds_between(utc(2026, 11, 1), utc(2026, 11, 2)) == (
        4 * 3600
    )
    half_hour = calendar([("01:00", "01:30")], timezone="America/New_York")
    assert half_hour.business_seconds_between(utc(2026, 11, 1), utc(2026, 11, 2)) == 3600
    first = utc(2026, 11, 1, 5, 0)  # 01:00 EDT
    assert half_hour.add_business_minutes(first, 30) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert half_hour.add_business_minutes(first, 31) == utc(2026, 11, 1, 6, 1)  # 01:01 EST
    assert not half_hour.is_open(utc(2026, 11, 1, 5, 45))
    assert half_hour.is_open(datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NY))


def test_lisbon_dst_days() -> None:
    lisbon_24x7 = always_open("Europe/Lisbon")
    assert (
        lisbon_24x7.business_seconds_between(
            datetime(2026, 3, 29, tzinfo=LISBON), datetime(2026, 3, 30, tzinfo=LISBON)
        )
        == 23 * 3600
    )
    assert (
        lisbon_24x7.business_seconds_between(
            datetime(2026, 10, 25, tzinfo=LISBON), datetime(2026, 10, 26, tzinfo=LISBON)
        )
        == 25 * 3600
    )
    # 2026-03-29 01:00 WET -> 02:00 WEST: of 00:30-02:00 only 00:30-01:00 exists
    spring = calendar([("00:30", "02:00")], timezone="Europe/Lisbon")
    day, next_day = datetime(2026, 3, 29, tzinfo=LISBON), datetime(2026, 3, 30, tzinfo=LISBON)
    assert spring.business_seconds_between(day, next_day) == 1800
    # 2026-10-25 02:00 WEST -> 01:00 WET: 01:00-02:00 is open twice, back to back in real time
    autumn = calendar([("01:00", "02:00")], timezone="Europe/Lisbon")
    assert autumn.business_seconds_between(utc(2026, 10, 25), utc(2026, 10, 26)) == 2 * 3600
    assert autumn.add_business_minutes(utc(2026, 10, 25, 0, 0), 90) == utc(2026, 10, 25, 1, 30)


def test_sao_paulo_had_dst_until_2019_and_none_since() -> None:
    cal = always_open("America/Sao_Paulo")

    def length(d: date) -> int:
        nxt = d + timedelta(days=1)
        return cal.business_seconds_between(
            datetime(d.year, d.month, d.day, tzinfo=SP),
            datetime(nxt.year, nxt.month, nxt.day, tzinfo=SP),
        )

    assert length(date(2018, 11, 4)) == 23 * 3600  # DST began at 00:00
    assert length(date(2019, 2, 16)) == 25 * 3600  # and ended at 00:00 on the 17th
    assert length(date(1999, 10, 3)) == 23 * 3600
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert length(day) == 86400
        day += timedelta(days=1)
    # 2018-11-04: 00:00-00:59 was skipped, so a desk opening at 00:00 opens at 01:00 -02
    night = calendar([("00:00", "02:00")])
    assert night.next_open(utc(2018, 11, 4, 2, 0)) == utc(2018, 11, 4, 3, 0)
    assert night.business_seconds_between(utc(2018, 11, 4), utc(2018, 11, 5)) == 3600


def test_business_hours_follow_the_wall_clock_across_dst() -> None:
    nine_to_five = calendar([("09:00", "17:00")], timezone="America/New_York")
    assert nine_to_five.next_open(utc(2026, 3, 6, 22)) == utc(2026, 3, 7, 14)  # EST
    assert nine_to_five.next_open(utc(2026, 3, 8, 22)) == utc(2026, 3, 9, 13)  # EDT
    assert nine_to_five.add_business_minutes(utc(2026, 3, 7, 16), 8 * 60) == utc(2026, 3, 8, 15)


# ---------------------------------------------------------------------------------------------
# Seconds, naive datetimes, argument checks
# ---------------------------------------------------------------------------------------------


def test_exact_to_the_second_and_fractions_dropped() -> None:
    cal = split_br()
    assert cal.add_business_minutes(sp(2026, 11, 18, 14, 26, 36), 30) == sp(
        2026, 11, 18, 14, 56, 36
    )
    # a start at lunch counts from 13:30:00; the seconds of the start no longer matter
    assert cal.add_business_minutes(sp(2026, 11, 18, 13, 26, 36), 30) == sp(2026, 11, 18, 14, 0)
    assert cal.add_business_seconds(sp(2026, 11, 18, 11, 59, 36), 60) == sp(
        2026, 11, 18, 13, 30, 36
    )
    fraction = datetime(2026, 11, 18, 14, 26, 36, 999_999, tzinfo=SP)
    assert cal.add_business_minutes(fraction, 30) == sp(2026, 11, 18, 14, 56, 36)
    a = datetime(2026, 11, 18, 11, 59, 59, 500_000, tzinfo=SP)
    b = datetime(2026, 11, 18, 13, 30, 0, 200_000, tzinfo=SP)
    assert cal.business_seconds_between(a, b) == 1
    assert cal.business_seconds_between(a, a + timedelta(microseconds=400_000)) == 0
    assert isinstance(cal.business_seconds_between(a, b), int)
    assert cal.next_open(datetime(2026, 11, 18, 10, 0, 0, 700_000, tzinfo=SP)) == sp(
        2026, 11, 18, 10, 0
    )


def test_naive_datetimes_are_refused_by_every_operation() -> None:
    cal = split_br()
    naive = datetime(2026, 11, 18, 10, 0)
    aware = sp(2026, 11, 18, 10, 0)
    calls = [
        lambda: cal.add_business_seconds(naive, 60),
        lambda: cal.add_business_minutes(naive, 1),
        lambda: cal.business_seconds_between(naive, aware),
        lambda: cal.business_seconds_between(aware, naive),
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
    ]
    for call in calls:
        with pytest.raises(NaiveDatetimeError, match="has no timezone"):
            call()
    with pytest.raises(ValidationFailed, match="timezone-aware datetime"):
        cal.is_open(date(2026, 11, 18))  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="timezone-aware datetime"):
        cal.add_business_seconds("2026-11-18T10:00:00Z", 60)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "60", None])
def test_targets_must_be_non_negative_integers(bad: object) -> None:
    cal = split_br()
    with pytest.raises(ValidationFailed):
        cal.add_business_seconds(sp(2026, 11, 18, 10, 0), bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        cal.add_business_minutes(sp(2026, 11, 18, 10, 0), bad)  # type: ignore[arg-type]


def test_elapsed_refuses_end_before_start_and_gives_zero_for_equal_instants() -> None:
    cal = split_br()
    start = sp(2026, 11, 18, 10, 0)
    with pytest.raises(ValidationFailed, match="is before start") as info:
        cal.business_seconds_between(start, start - timedelta(seconds=1))
    assert info.value.status == 422 and info.value.field == "end"
    assert cal.business_seconds_between(start, start) == 0
    assert cal.business_seconds_between(start, start.astimezone(TOKYO)) == 0


# ---------------------------------------------------------------------------------------------
# Range and year boundaries
# ---------------------------------------------------------------------------------------------


def test_every_instant_from_1970_through_2100_works() -> None:
    ny = always_open("America/New_York")
    assert ny.is_open(utc(1970, 1, 1))  # still 1969 in New York
    assert ny.is_open(datetime(2100, 12, 31, 23, 59, 59, tzinfo=NY))  # already 2101 in UTC
    assert ny.business_seconds_between(utc(1970, 1, 1), utc(2101, 1, 1)) == int(
        utc(2101, 1, 1).timestamp()
    )
    tokyo = always_open("Asia/Tokyo")
    assert tokyo.is_open(datetime(1970, 1, 1, tzinfo=TOKYO))  # still 1969 in UTC
    cal = split_br()
    assert cal.next_open(utc(1970, 1, 1)) == sp(1970, 1, 2, 8, 30)  # 1 Jan is a holiday
    assert cal.add_business_minutes(sp(2100, 12, 30, 17, 0), 90) == sp(2100, 12, 31, 9, 0)


@pytest.mark.parametrize(
    ("zone", "instant"),
    [
        ("America/New_York", utc(1969, 12, 31, 23, 59, 59)),
        ("Asia/Tokyo", utc(1969, 12, 31, 14, 59, 59)),
        ("America/Sao_Paulo", utc(2101, 1, 1, 3, 0)),
        ("UTC", utc(2101, 1, 1)),
        ("UTC", utc(1900, 1, 1)),
    ],
)
def test_instants_outside_the_range_raise_out_of_range(zone: str, instant: datetime) -> None:
    cal = always_open(zone)
    for call in (cal.is_open, cal.next_open, lambda t: cal.add_business_seconds(t, 1)):
        with pytest.raises(OutOfRange, match="outside the supported range") as info:
            call(instant)
        assert info.value.status == 422
    inside = utc(2000, 1, 1)
    with pytest.raises(OutOfRange):
        if instant < inside:
            cal.business_seconds_between(instant, inside)
        else:
            cal.business_seconds_between(inside, instant)


def test_results_past_the_range_raise_out_of_range() -> None:
    with pytest.raises(OutOfRange, match="after the supported range"):
        always_open("UTC").add_business_minutes(utc(2100, 12, 31, 23, 0), 61)
    assert always_open("UTC").add_business_minutes(utc(2100, 12, 31, 23, 0), 59) == utc(
        2100, 12, 31, 23, 59
    )
    never = calendar({})
    with pytest.raises(OutOfRange, match="no more open time"):
        never.next_open(utc(2026, 1, 1))
    with pytest.raises(OutOfRange):
        never.add_business_seconds(utc(2026, 1, 1), 1)
    assert never.business_seconds_between(utc(2026, 1, 1), utc(2030, 1, 1)) == 0
    one_day = calendar({}, partial_days={date(2026, 11, 18): [("09:00", "10:00")]})
    assert one_day.add_business_minutes(utc(2000, 1, 1), 60) == sp(2026, 11, 18, 10, 0)
    with pytest.raises(OutOfRange):
        one_day.add_business_minutes(utc(2000, 1, 1), 61)


def test_across_year_boundaries() -> None:
    cal = split_br()
    start = sp(2026, 12, 31, 17, 0)  # 1 h left; 1 Jan (Fri) holiday; weekend
    due = cal.add_business_minutes(start, 24 * 60)
    assert due == sp(2027, 1, 6, 17, 0)
    assert cal.business_seconds_between(start, due) == 24 * 3600
    night = calendar([("22:00", "06:00")], holidays_country="BR")
    # 31 Dec's shift runs into 1 Jan (a holiday); 1 Jan's own shift is closed
    assert night.is_open(sp(2026, 12, 31, 23, 0)) and night.is_open(sp(2027, 1, 1, 5, 0))
    assert not night.is_open(sp(2027, 1, 1, 23, 0))
    assert night.add_business_minutes(sp(2026, 12, 31, 23, 0), 7 * 60) == sp(2027, 1, 1, 6, 0)
    assert night.add_business_minutes(sp(2026, 12, 31, 23, 0), 7 * 60 + 1) == sp(2027, 1, 2, 22, 1)
    assert len(night.open_intervals(sp(2026, 12, 31, 12), sp(2027, 1, 1, 12))) == 1


def test_open_intervals_lists_the_open_time_clipped() -> None:
    cal = split_br()
    got = cal.open_intervals(sp(2026, 11, 18, 10, 0), sp(2026, 11, 19, 9, 0))
    assert got == [
        (sp(2026, 11, 18, 10, 0), sp(2026, 11, 18, 12, 0)),
        (sp(2026, 11, 18, 13, 30), sp(2026, 11, 18, 18, 0)),
        (sp(2026, 11, 19, 8, 30), sp(2026, 11, 19, 9, 0)),
    ]


def test_holidays_in_lists_the_package_holidays() -> None:
    cal = split_br()
    got = cal.holidays_in(2026)
    assert got[date(2026, 4, 21)] == "Tiradentes' Day"
    assert date(2026, 2, 16) not in got  # Carnival is optional, not public
    assert always_open().holidays_in(2026) == {}
    with pytest.raises(OutOfRange):
        cal.holidays_in(2101)
