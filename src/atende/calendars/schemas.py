"""Pydantic shapes of the calendar API (the rules themselves are checked by the domain)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict

CalendarName = Annotated[str, Field(min_length=1, max_length=120)]
TimeText = Annotated[str, Field(max_length=5)]
Interval = Annotated[list[TimeText], Field(min_length=2, max_length=2)]
Intervals = Annotated[list[Interval], Field(max_length=48)]


class HolidaysIn(Strict):
    country: Annotated[str, Field(min_length=2, max_length=3)]
    subdivision: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    categories: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = Field(
        default_factory=lambda: ["public"]
    )


class CalendarIn(Strict):
    name: CalendarName
    timezone: Annotated[str, Field(min_length=1, max_length=64)]
    weekly_hours: Annotated[dict[str, Intervals], Field(max_length=7)]
    holidays: HolidaysIn | None = None
    extra_closed: Annotated[list[date], Field(max_length=5000)] = Field(default_factory=list)
    partial_days: Annotated[dict[date, Intervals], Field(max_length=5000)] = Field(
        default_factory=dict
    )
    open_on_holidays: bool = False


class CalendarPatch(Strict):
    name: CalendarName | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    weekly_hours: Annotated[dict[str, Intervals], Field(max_length=7)] | None = None
    holidays: HolidaysIn | None = None
    extra_closed: Annotated[list[date], Field(max_length=5000)] | None = None
    partial_days: Annotated[dict[date, Intervals], Field(max_length=5000)] | None = None
    open_on_holidays: bool | None = None


class HolidaysOut(BaseModel):
    country: str
    subdivision: str | None
    categories: list[str]


class CalendarOut(BaseModel):
    id: int
    name: str
    timezone: str
    weekly_hours: dict[str, list[list[str]]]
    holidays: HolidaysOut | None
    extra_closed: list[date]
    partial_days: dict[date, list[list[str]]]
    open_on_holidays: bool
    created_at: datetime
    updated_at: datetime


class DueOut(BaseModel):
    due_at: str = Field(description="ISO 8601, in the calendar's timezone")


class ElapsedOut(BaseModel):
    business_seconds: int
