"""Benchmark: due-instant computation on the Mon-Fri split calendar with Brazilian holidays.

Run: ``.venv/bin/python bench/businesstime.py`` (needs the ``bench`` extra: businesstimedelta,
pandas). Prints a Markdown table for docs/performance.md.

Every case takes a timezone-aware ``datetime`` (America/Sao_Paulo) and returns an aware
``datetime``; conversions a library needs (pandas ``Timestamp``) are inside the timed call.
Start instants are uniformly random over 2026 (fixed seed). Each figure is the median, over
batches of calls on different starts, of the mean time per call in a batch (batching keeps the
timer's own cost out; the median keeps the noise of a shared machine out).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from atende.domain.businesstime import WEEKDAYS, BusinessCalendar, CalendarSpec

TZ_NAME = "America/Sao_Paulo"
TZ = ZoneInfo(TZ_NAME)
TARGETS = (("30 min", 30), ("24 h", 24 * 60), ("48 h", 48 * 60), ("7 days", 7 * 24 * 60))
Due = Callable[[datetime, int], datetime]


def ours() -> Due:
    cal = BusinessCalendar.from_spec(
        CalendarSpec(
            timezone=TZ_NAME,
            weekly_hours={day: (("08:30", "12:00"), ("13:30", "18:00")) for day in WEEKDAYS[:5]},
            holidays_country="BR",
        )
    )
    add = cal.add_business_seconds

    def due(start: datetime, minutes: int) -> datetime:
        return add(start, minutes * 60)

    return due


def btd() -> Due:
    import businesstimedelta
    import pytz

    tz = pytz.timezone(TZ_NAME)
    workday = businesstimedelta.WorkDayRule(
        start_time=datetime.min.time().replace(hour=8, minute=30),
        end_time=datetime.min.time().replace(hour=18),
        working_days=[0, 1, 2, 3, 4],
        tz=tz,
    )
    lunch = businesstimedelta.LunchTimeRule(
        start_time=datetime.min.time().replace(hour=12),
        end_time=datetime.min.time().replace(hour=13, minute=30),
        working_days=[0, 1, 2, 3, 4],
        tz=tz,
    )
    hol = businesstimedelta.HolidayRule(holidays.country_holidays("BR", years=(2026, 2027)), tz=tz)
    rules = businesstimedelta.Rules([workday, lunch, hol])
    deltas = {m: businesstimedelta.BusinessTimeDelta(rules, seconds=m * 60) for _, m in TARGETS}

    def due(start: datetime, minutes: int) -> datetime:
        return start + deltas[minutes]  # type: ignore[no-any-return]

    return due


def pandas_cbh() -> Due:
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour

    hol = sorted(holidays.country_holidays("BR", years=(2026, 2027)))
    offsets = {
        m: CustomBusinessHour(
            n=m // 60,
            start=["08:30", "13:30"],
            end=["12:00", "18:00"],
            weekmask="Mon Tue Wed Thu Fri",
            holidays=hol,
        )
        for _, m in TARGETS
        if m % 60 == 0
    }

    def due(start: datetime, minutes: int) -> datetime:
        offset = offsets.get(minutes)
        if offset is None:
            raise NotImplementedError("CustomBusinessHour counts whole hours only")
        return (pd.Timestamp(start) + offset).to_pydatetime()  # type: ignore[no-any-return]

    return due


def measure_interleaved(due: Due, starts: list[datetime], batch: int) -> dict[int, float]:
    """Like :func:`measure` for every target, the targets taking turns batch by batch.

    Interleaving spreads the noise of a shared machine evenly over the targets, so the
    comparison between target lengths stays fair.
    """
    per_call: dict[int, list[float]] = {m: [] for _, m in TARGETS}
    gc.disable()
    try:
        for i in range(0, len(starts) - batch + 1, batch):
            chunk = starts[i : i + batch]
            for minutes, times in per_call.items():
                t0 = time.perf_counter()
                _ = [due(s, minutes) for s in chunk]
                times.append((time.perf_counter() - t0) / batch * 1e6)
    finally:
        gc.enable()
    return {m: statistics.median(v) for m, v in per_call.items()}


def measure(
    due: Due, starts: list[datetime], minutes: int, batch: int
) -> tuple[float, list[datetime]]:
    """Median over batches of the mean µs per call, and the due instants computed."""
    per_call: list[float] = []
    out: list[datetime] = []
    gc.disable()
    try:
        for i in range(0, len(starts) - batch + 1, batch):
            chunk = starts[i : i + batch]
            t0 = time.perf_counter()
            got = [due(s, minutes) for s in chunk]
            per_call.append((time.perf_counter() - t0) / batch * 1e6)
            out.extend(got)
    finally:
        gc.enable()
    return statistics.median(per_call), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="starts for ours (default 20000)")
    parser.add_argument("--n-slow", type=int, default=100, help="starts for the others")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    load = os.getloadavg()
    rnd = random.Random(args.seed)
    origin = datetime(2026, 1, 1, tzinfo=TZ)
    span = int((datetime(2027, 1, 1, tzinfo=TZ) - origin).total_seconds())
    starts = [origin + timedelta(seconds=rnd.randrange(span)) for _ in range(args.n)]
    slow_starts = starts[: args.n_slow]

    mine = ours()
    t0 = time.perf_counter()
    for year in (2026, 2027):  # cold cost: the first computation touching a year builds it
        mine(datetime(year, 6, 1, 10, tzinfo=TZ), 30)
    cold_ms = (time.perf_counter() - t0) * 1e3 / 2
    for s in starts[:2000]:  # warm up
        mine(s, 30)

    others: dict[str, Due] = {"businesstimedelta": btd(), "pandas CustomBusinessHour": pandas_cbh()}
    ours_median = measure_interleaved(mine, starts, 100)
    rows = []
    for label, minutes in TARGETS:
        median = ours_median[minutes]
        expected = [mine(s, minutes) for s in slow_starts]
        row = [label, f"{median:.2f}"]
        same: list[str] = []
        for due in others.values():
            try:
                due(starts[0], minutes)
            except NotImplementedError:
                row.append("n/a")
                same.append("n/a")
                continue
            median, got = measure(due, slow_starts, minutes, 10)
            row.append(f"{median:,.0f}")
            agree = sum(a == b for a, b in zip(expected, got, strict=True))
            same.append(f"{100 * agree / len(got):.0f} %")
        rows.append(row + same)

    head = [
        "target",
        "Atende (µs)",
        "businesstimedelta (µs)",
        "pandas CBH (µs)",
        "btd same due",
        "pandas same due",
    ]
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores,")
    print(
        f"{platform.platform()}; {args.n} starts (ours), {args.n_slow} (others), seed {args.seed}"
    )
    print("load average at the start: " + ", ".join(f"{x:.1f}" for x in load))
    print(f"cold: first use of a year builds its table in {cold_ms:.1f} ms (once per calendar)")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
