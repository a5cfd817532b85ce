"""Billing status of a customer organization (seed 002: the system blocks 7 days after the due
date while the invoice is unpaid)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

BLOCK_AFTER_DAYS = 7


def due_date_in(year: int, month: int, due_day: int) -> date:
    """The due date of a month; a due day past the month's end falls on its last day."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(due_day, last))


def latest_due_date(due_day: int, today: date) -> date:
    """The most recent due date on or before ``today``."""
    this_month = due_date_in(today.year, today.month, due_day)
    if this_month <= today:
        return this_month
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return due_date_in(year, month, due_day)


def blocked_from(overdue_since: date) -> date:
    return overdue_since + timedelta(days=BLOCK_AFTER_DAYS)


def system_blocked(*, delinquent: bool, overdue_since: date | None, today: date) -> bool:
    """Blocked from the unpaid due date + 7 days, while the customer is delinquent."""
    if not delinquent or overdue_since is None:
        return False
    return today >= blocked_from(overdue_since)
