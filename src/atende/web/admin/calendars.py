"""``/admin/calendars``: business calendars without JSON: weekly hours as rows of intervals
per day (several a day: 08:00–12:00 and 13:00–18:00), the time zone, holidays by country and
state or municipality (the ``holidays`` package), one-off closed dates and dates with their own
hours; and a preview of the next two weeks' open hours, computed by the same
``BusinessCalendar`` the SLA clocks use, for a saved calendar or for what is typed before it is
saved. Saved through the same service as ``/api/v1/calendars``.

Rows are added without JavaScript: each day keeps one empty row, and "+ intervalo" sends the
form back with one more (nothing is saved); a row left empty is dropped.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import zip_longest
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.calendars import repository as calendar_repository
from atende.calendars import service as calendar_service
from atende.calendars.models import Calendar
from atende.calendars.schemas import CalendarIn, CalendarPatch
from atende.domain import calendar_preview
from atende.domain.businesstime import BusinessCalendar
from atende.domain.calendar_spec import WEEKDAYS
from atende.domain.errors import DomainError
from atende.web import i18n
from atende.web.admin import forms
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    ReaderUser,
    admin_render,
    found,
    saved,
    valid_id,
)
from atende.web.admin.users import TIMEZONES
from atende.web.deps import WebUser
from atende.web.i18n import N_, _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

URL = "/admin/calendars"
PREVIEW_DAYS = 14
DAY_LABELS = {
    "monday": N_("Monday"), "tuesday": N_("Tuesday"), "wednesday": N_("Wednesday"),
    "thursday": N_("Thursday"), "friday": N_("Friday"), "saturday": N_("Saturday"),
    "sunday": N_("Sunday"),
}  # fmt: skip
WHY_LABELS = {
    calendar_preview.Why.PARTIAL: N_("own hours that day"),
    calendar_preview.Why.CLOSED_DATE: N_("closed date"),
    calendar_preview.Why.HOLIDAY: N_("holiday"),
    calendar_preview.Why.HOLIDAY_OPEN: N_("holiday, worked"),
    calendar_preview.Why.WEEKLY: "",
}
COUNTRIES = (("BR", N_("Brazil")), ("PT", N_("Portugal")), ("US", N_("United States")),
             ("AR", N_("Argentina")))  # fmt: skip
"""Offered in the country field (any code the ``holidays`` package knows may be typed)."""
SUBDIVISIONS = (
    ("AC", "Acre"), ("AL", "Alagoas"), ("AM", "Amazonas"), ("AP", "Amapá"), ("BA", "Bahia"),
    ("CE", "Ceará"), ("DF", "Distrito Federal"), ("ES", "Espírito Santo"), ("GO", "Goiás"),
    ("MA", "Maranhão"), ("MG", "Minas Gerais"), ("MS", "Mato Grosso do Sul"),
    ("MT", "Mato Grosso"), ("PA", "Pará"), ("PB", "Paraíba"), ("PE", "Pernambuco"),
    ("PI", "Piauí"), ("PR", "Paraná"), ("RJ", "Rio de Janeiro"), ("RN", "Rio Grande do Norte"),
    ("RO", "Rondônia"), ("RR", "Roraima"), ("RS", "Rio Grande do Sul"),
    ("SC", "Santa Catarina"), ("SE", "Sergipe"), ("SP", "São Paulo"), ("TO", "Tocantins"),
    ("São Paulo Capital", "São Paulo (município)"),
)  # fmt: skip
"""Brazil's states and the municipal calendars the ``holidays`` package knows."""
HOLIDAY_LANGUAGES = {"pt_BR": "pt_BR", "en": "en_US"}
PLACED = ("name", "timezone", "weekly_hours", "holidays", "extra_closed", "partial_days",
          "open_on_holidays")  # fmt: skip
_BR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_INDEX = re.compile(r"\[(\d+)\]")
Text = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]
Many = Annotated[list[str], Form(max_length=500)]


@router.get(URL)
def calendars_page(
    request: Request,
    session: DbSession,
    user: ReaderUser,
    saved_id: Annotated[str, Query(alias="saved", max_length=20)] = "",
) -> Response:
    rows = [
        {"calendar": c, "week": _week_text(c.weekly_hours), "holidays": _holidays_text(c)}
        for c in calendar_service.list_calendars(session, actor=user.actor)
    ]
    context = {
        "user": user,
        "rows": rows,
        "notice": _("The calendar was saved.") if saved_id else None,
    }
    return admin_render(request, "admin/calendars/list.html", context, section="calendars")


@router.get(URL + "/new")
def new_calendar_page(request: Request, user: AdminUser) -> Response:
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
    values = {
        "timezone": "America/Sao_Paulo",
        "weekly_hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in weekdays},
        "holidays": {"country": "BR", "subdivision": None, "categories": ["public"]},
    }
    return _form(request, user, None, _shown(values), {})


def _typed(
    name: Text = "",
    timezone: Text = "",
    monday_start: Many = [],  # noqa: B006 - FastAPI copies defaults
    monday_end: Many = [],  # noqa: B006
    tuesday_start: Many = [],  # noqa: B006
    tuesday_end: Many = [],  # noqa: B006
    wednesday_start: Many = [],  # noqa: B006
    wednesday_end: Many = [],  # noqa: B006
    thursday_start: Many = [],  # noqa: B006
    thursday_end: Many = [],  # noqa: B006
    friday_start: Many = [],  # noqa: B006
    friday_end: Many = [],  # noqa: B006
    saturday_start: Many = [],  # noqa: B006
    saturday_end: Many = [],  # noqa: B006
    sunday_start: Many = [],  # noqa: B006
    sunday_end: Many = [],  # noqa: B006
    country: Text = "",
    subdivision: Text = "",
    categories: Many = [],  # noqa: B006
    extra_closed: Text = "",
    partial_date: Many = [],  # noqa: B006
    partial_start: Many = [],  # noqa: B006
    partial_end: Many = [],  # noqa: B006
    open_on_holidays: Text = "",
    more: Text = "",
    action: Text = "",
    preview_from: Text = "",
) -> dict[str, Any]:
    """The calendar form as typed: rows of intervals per day, the holidays' fields, the
    closed dates (one a line) and the rows of dates with their own hours."""
    starts = {
        "monday": (monday_start, monday_end), "tuesday": (tuesday_start, tuesday_end),
        "wednesday": (wednesday_start, wednesday_end), "thursday": (thursday_start, thursday_end),
        "friday": (friday_start, friday_end), "saturday": (saturday_start, saturday_end),
        "sunday": (sunday_start, sunday_end),
    }  # fmt: skip
    return {
        "name": name.strip(),
        "timezone": timezone.strip(),
        "weekly": {day: _pairs(*starts[day]) for day in WEEKDAYS},
        "country": country.strip(),
        "subdivision": subdivision.strip(),
        "categories": categories,
        "extra_closed": extra_closed,
        "partials": [
            [d.strip(), s.strip(), e.strip()]
            for d, s, e in zip_longest(partial_date, partial_start, partial_end, fillvalue="")
            if d.strip() or s.strip() or e.strip()
        ],
        "open_on_holidays": open_on_holidays == "true",
        "more": more if more in WEEKDAYS or more == "partial" else "",
        "action": action,
        "preview_from": preview_from.strip(),
    }


Typed = Annotated[dict[str, Any], Depends(_typed)]


@router.post(URL + "/new")
def create_calendar(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, typed: Typed
) -> Response:
    """Save a new calendar; "+ intervalo" or "Pré-visualizar" only shows the form again."""
    if typed["more"] or typed["action"] == "preview":
        return _again(request, user, None, typed, now)
    made, errors = forms.submit(
        session,
        CalendarIn,
        _body(typed),
        lambda data: calendar_service.create_calendar(
            session, actor=user.actor, data=data, now=now
        ),
    )
    if made is not None:
        return saved(URL, made.id)
    return _form(request, user, None, typed, _placed(errors), status_code=422)


@router.get(URL + "/{calendar_id}")
def edit_calendar_page(
    request: Request,
    session: DbSession,
    user: AdminUser,
    now: Now,
    calendar_id: int,
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
) -> Response:
    """The form of a saved calendar and two weeks of its open hours, from today or from
    ``?from=`` (a day, to check the holidays ahead)."""
    target = _target(session, calendar_id)
    built = calendar_service.business_calendar(target)
    values = {**_shown(calendar_service.view(target)), "preview_from": since}
    return _form(request, user, target, values, {}, _preview(built, now, since))


@router.post(URL + "/{calendar_id}")
def update_calendar(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, calendar_id: int,
    typed: Typed,
) -> Response:  # fmt: skip
    """Save every field the form shows (open tickets' SLA clocks are re-evaluated)."""
    target = _target(session, calendar_id)
    if typed["more"] or typed["action"] == "preview":
        return _again(request, user, target, typed, now)
    done, errors = forms.submit(
        session,
        CalendarPatch,
        _body(typed),
        lambda changes: calendar_service.update_calendar(
            session, actor=user.actor, calendar_id=target.id, changes=changes, now=now
        ),
        partial=True,
    )
    if done is not None:
        return saved(URL, target.id)
    session.refresh(target)
    return _form(request, user, target, typed, _placed(errors), status_code=422)


def _again(
    request: Request, user: WebUser, target: Calendar | None, typed: dict[str, Any], now: datetime
) -> Response:
    """The form again with one more row ("+ intervalo"), or with the preview of what is
    typed (checked as a save would check it; nothing is saved)."""
    if typed["more"] == "partial":
        typed["partials"].append(["", "", ""])
    elif typed["more"]:
        typed["weekly"][typed["more"]].append(["", ""])
    if typed["action"] != "preview":
        return _form(request, user, target, typed, {})
    body, errors = forms.check(CalendarIn, {**_body(typed), "name": typed["name"] or "-"})
    if body is None:
        return _form(request, user, target, typed, _placed(errors), status_code=422)
    built, errors = _built(user, body.model_dump())
    if built is None:
        return _form(request, user, target, typed, _placed(errors), status_code=422)
    return _form(request, user, target, typed, {}, _preview(built, now, typed["preview_from"]))


def _built(user: WebUser, data: dict[str, Any]) -> tuple[BusinessCalendar | None, forms.Errors]:
    try:
        return calendar_service.checked_calendar(actor=user.actor, data=data), {}
    except DomainError as exc:
        return None, forms.refusal(exc)


def _preview(built: BusinessCalendar, now: datetime, since: str = "") -> dict[str, Any]:
    """:data:`PREVIEW_DAYS` days from ``since`` (a day as typed, between 1970 and 2100), else
    from today in the calendar's zone."""
    try:
        first = date.fromisoformat(_iso(since))
    except ValueError:
        first = now.astimezone(built.timezone).date()
    if not date(1970, 1, 2) <= first <= date(2100, 12, 1):
        first = now.astimezone(built.timezone).date()
    language = HOLIDAY_LANGUAGES.get(i18n.current().locale)
    days = calendar_preview.next_days(built, first, PREVIEW_DAYS, language=language)
    return {
        "zone": built.timezone.key,
        "days": [
            {
                "day": d.day,
                "weekday": _(DAY_LABELS[WEEKDAYS[d.day.weekday()]]),
                "intervals": [
                    (a.strftime("%H:%M"), b.strftime("%H:%M"), b.date() > d.day)
                    for a, b in d.intervals
                ],
                "why": _(WHY_LABELS[d.why]) if WHY_LABELS[d.why] else "",
                "holiday": d.holiday,
                "hours": d.open_minutes / 60,
            }
            for d in days
        ],
    }


def _pairs(starts: list[str], ends: list[str]) -> list[list[str]]:
    return [
        [s.strip(), e.strip()]
        for s, e in zip_longest(starts, ends, fillvalue="")
        if s.strip() or e.strip()
    ]


def _iso(text: str) -> str:
    """A date as typed (``2026-12-24`` or ``24/12/2026``) in ISO form for the schema."""
    found = _BR_DATE.match(text.strip())
    if found is None:
        return text.strip()
    day, month, year = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _body(typed: dict[str, Any]) -> dict[str, Any]:
    """The API body the form stands for (``CalendarIn``'s fields)."""
    partial: dict[str, list[list[str]]] = {}
    for day, start, end in typed["partials"]:
        partial.setdefault(_iso(day), []).append([start, end])
    country = typed["country"]
    return {
        "name": typed["name"],
        "timezone": typed["timezone"],
        "weekly_hours": typed["weekly"],
        "holidays": {
            "country": country,
            "subdivision": typed["subdivision"] or None,
            "categories": typed["categories"] or ["public"],
        }
        if country
        else None,
        "extra_closed": [_iso(line) for line in typed["extra_closed"].splitlines() if line.strip()],
        "partial_days": partial,
        "open_on_holidays": typed["open_on_holidays"],
    }


def _shown(view: dict[str, Any]) -> dict[str, Any]:
    """A saved calendar (the API's shape) as the form shows it."""
    hol = view.get("holidays") or {}
    return {
        "name": view.get("name", ""),
        "timezone": view.get("timezone", ""),
        "weekly": {
            day: [list(iv) for iv in (view["weekly_hours"].get(day) or [])] for day in WEEKDAYS
        },
        "country": hol.get("country") or "",
        "subdivision": hol.get("subdivision") or "",
        "categories": list(hol.get("categories") or ["public"]),
        "extra_closed": "\n".join(str(d) for d in view.get("extra_closed") or []),
        "partials": [
            [str(d), s, e] for d, ivs in (view.get("partial_days") or {}).items() for s, e in ivs
        ],
        "open_on_holidays": bool(view.get("open_on_holidays")),
    }


def _placed(errors: forms.Errors) -> forms.Errors:
    """Errors keyed where the form shows them: an interval's row
    (``weekly_hours.monday.1``), a date's rows (``partial_days.2026-12-24``), the closed dates'
    box (``extra_closed``), a holidays field, or the field itself."""
    out: forms.Errors = {}
    for key, text in errors.items():
        parts = _INDEX.sub(r".\1", key).split(".")
        if parts[0] == "weekly_hours":
            parts = parts[:3]
        elif parts[0] == "partial_days":
            parts = parts[:2]
        elif parts[0] in ("extra_closed", "open_on_holidays", "name", "timezone"):
            parts = parts[:1]
        out.setdefault(".".join(parts), text)
    return out


def _week_text(weekly: dict[str, list[list[str]]]) -> list[tuple[str, str]]:
    """Consecutive days with the same hours together: ("Segunda a Sexta", "08:00–12:00, …")."""
    out: list[tuple[str, str]] = []
    group: list[str] = []
    for day in (*WEEKDAYS, None):
        if group and (day is None or _hours(weekly, day) != _hours(weekly, group[0])):
            first, last = _(DAY_LABELS[group[0]]), _(DAY_LABELS[group[-1]])
            label = first if len(group) == 1 else _("%(first)s to %(last)s") % {
                "first": first, "last": last,
            }  # fmt: skip
            out.append((label, _hours(weekly, group[0]) or _("closed")))
            group = []
        if day is not None:
            group.append(day)
    return out


def _hours(weekly: dict[str, list[list[str]]], day: str) -> str:
    return ", ".join(f"{s}–{e}" for s, e in weekly.get(day) or [])


def _holidays_text(cal: Calendar) -> str:
    hol = cal.holidays
    if not hol:
        return _("no holidays")
    place = "-".join(p for p in (hol.get("country"), hol.get("subdivision")) if p)
    worked = _(" (worked)") if cal.open_on_holidays else ""
    return place + worked


def _target(session: Session, calendar_id: int) -> Calendar:
    return found(
        lambda: (
            calendar_repository.calendar(session, calendar_id) if valid_id(calendar_id) else None
        ),
        N_("This calendar does not exist."),
    )


def _form(
    request: Request,
    user: WebUser,
    target: Calendar | None,
    values: dict[str, Any],
    errors: forms.Errors,
    preview: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    weekly = {day: [*values["weekly"].get(day, []), ["", ""]] for day in WEEKDAYS}
    context = {
        "user": user,
        "target": target,
        "values": values,
        "weekly": [(day, _(DAY_LABELS[day]), weekly[day]) for day in WEEKDAYS],
        "partials": [*values.get("partials", []), ["", "", ""]],
        "errors": errors,
        "general": [t for k, t in errors.items() if k.split(".")[0] not in PLACED],
        "timezones": TIMEZONES,
        "countries": [(code, _(label)) for code, label in COUNTRIES],
        "subdivisions": SUBDIVISIONS,
        "preview": preview,
    }
    return admin_render(
        request, "admin/calendars/form.html", context, section="calendars", status_code=status_code
    )
