"""Business calendars: save (checked by the domain), read, and compute due instants.

Built :class:`BusinessCalendar` objects are cached in-process, keyed by the calendar's stored
content (not only its id and ``updated_at``): a key that is the content cannot go stale, even
when two changes land in the same second or a rolled-back id is reused.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final

import holidays
from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin, ensure_staff
from atende.auth.actor import Actor
from atende.calendars import repository
from atende.calendars.models import Calendar
from atende.db import cache as db_cache
from atende.domain.businesstime import (
    BusinessCalendar,
    NaiveDatetimeError,
    OutOfRange,
    always_open,
)
from atende.domain.calendar_spec import CalendarSpec, InvalidCalendar
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.jobs import outbox

_FIELDS: Final = (
    "timezone",
    "weekly_hours",
    "holidays",
    "extra_closed",
    "partial_days",
    "open_on_holidays",
)

# --------------------------------------------------------------------------------------------
# Spec <-> stored JSON
# --------------------------------------------------------------------------------------------


def _stored(data: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready stored form of the calendar fields in ``data`` (API input shapes)."""
    out: dict[str, Any] = {}
    if "timezone" in data:
        out["timezone"] = data["timezone"]
    if "weekly_hours" in data:
        out["weekly_hours"] = {
            day: [list(iv) for iv in ivs] for day, ivs in data["weekly_hours"].items()
        }
    if "holidays" in data:
        hol = data["holidays"]
        if hol is None:
            out["holidays"] = None
        else:
            country = str(hol["country"]).upper()
            subdivision = hol.get("subdivision")
            if isinstance(subdivision, str):
                subdivision = canonical_subdivision(country, subdivision)
            out["holidays"] = {
                "country": country,
                "subdivision": subdivision,
                "categories": list(dict.fromkeys(hol.get("categories") or ["public"])),
            }
    if "extra_closed" in data:
        out["extra_closed"] = sorted({_iso(d) for d in data["extra_closed"]})
    if "partial_days" in data:
        out["partial_days"] = {
            _iso(d): [list(iv) for iv in ivs] for d, ivs in sorted(data["partial_days"].items())
        }
    if "open_on_holidays" in data:
        out["open_on_holidays"] = bool(data["open_on_holidays"])
    return out


def _iso(d: date | str) -> str:
    return d if isinstance(d, str) else d.isoformat()


def spec_of(values: Mapping[str, Any]) -> CalendarSpec:
    """The domain spec of stored calendar values (``timezone``, ``weekly_hours``, ...)."""
    hol = values.get("holidays")
    weekly = values.get("weekly_hours") or {}
    return CalendarSpec(
        timezone=values["timezone"],
        weekly_hours=MappingProxyType(
            {day: tuple(_pair(iv) for iv in ivs) for day, ivs in weekly.items()}
        ),
        holidays_country=hol["country"] if hol else None,
        holidays_subdivision=hol.get("subdivision") if hol else None,
        holidays_categories=tuple(hol.get("categories") or ("public",)) if hol else ("public",),
        extra_closed=frozenset(date.fromisoformat(d) for d in values.get("extra_closed") or ()),
        partial_days=MappingProxyType(
            {
                date.fromisoformat(d): tuple(_pair(iv) for iv in ivs)
                for d, ivs in (values.get("partial_days") or {}).items()
            }
        ),
        open_on_holidays=bool(values.get("open_on_holidays", False)),
    )


def _pair(iv: Sequence[Any]) -> tuple[Any, Any]:
    # Shape is checked by the schema; keep whatever is there so the domain names the fault.
    return (iv[0], iv[1]) if len(iv) == 2 else (iv[0], None)


_FIELD_RENAMES: Final = (
    ("holidays_country", "holidays.country"),
    ("holidays_subdivision", "holidays.subdivision"),
    ("holidays_categories", "holidays.categories"),
)


_QUOTED_DATE = re.compile(r"^partial_days\.'(\d{4}-\d{2}-\d{2})'")


def _api_field(field: str | None) -> str | None:
    if field is None:
        return None
    field = _QUOTED_DATE.sub(r"partial_days.\1", field)  # the domain may quote the date
    for old, new in _FIELD_RENAMES:
        if field.startswith(old):
            return new + field[len(old) :]
    return field


def _check(values: Mapping[str, Any]) -> None:
    weekly = values.get("weekly_hours") or {}
    if not any(weekly.values()) and not any((values.get("partial_days") or {}).values()):
        raise InvalidCalendar(
            "the calendar is never open: give some weekly_hours (e.g. "
            '{"monday": [["08:00", "18:00"]]}) or partial_days',
            field="weekly_hours",
        )
    try:
        _build(_fingerprint(values), values)
    except InvalidCalendar as exc:
        raise InvalidCalendar(exc.template, field=_api_field(exc.field), **exc.params) from None


# --------------------------------------------------------------------------------------------
# Cache of built calendars
# --------------------------------------------------------------------------------------------

_CACHE_SIZE: Final = 256
_cache: OrderedDict[str, BusinessCalendar] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(values: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: values.get(k) for k in _FIELDS}, sort_keys=True, separators=(",", ":"), default=str
    )


def _build(key: str, values: Mapping[str, Any]) -> BusinessCalendar:
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = BusinessCalendar.from_spec(spec_of(values))
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def _values(cal: Calendar) -> dict[str, Any]:
    return {k: getattr(cal, k) for k in _FIELDS}


def business_calendar(cal: Calendar) -> BusinessCalendar:
    """The built (cached) :class:`BusinessCalendar` of a stored calendar."""
    values = _values(cal)
    return _build(_fingerprint(values), values)


# --------------------------------------------------------------------------------------------
# Use cases
# --------------------------------------------------------------------------------------------


def create_calendar(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> Calendar:
    ensure_admin(actor)
    if repository.calendar_by_name(session, data["name"]):
        raise Conflict("a calendar named {name!r} already exists", field="name", name=data["name"])
    values = _stored(data)
    _check(values)
    cal = Calendar(name=data["name"], created_at=now, updated_at=now, **values)
    session.add(cal)
    session.flush()
    audit.created(session, actor, cal, at=now)
    return cal


def update_calendar(
    session: Session, *, actor: Actor, calendar_id: int, changes: dict[str, Any], now: datetime
) -> Calendar:
    ensure_admin(actor)
    cal = get_calendar(session, actor=actor, calendar_id=calendar_id)
    name = changes.pop("name", None)
    other = repository.calendar_by_name(session, name) if name is not None else None
    if other is not None and other.id != cal.id:
        raise Conflict("a calendar named {name!r} already exists", field="name", name=name)
    nulls = [k for k, v in changes.items() if v is None and k != "holidays"]
    if nulls:
        raise ValidationFailed("{nulls} may not be null", field=nulls[0], nulls=nulls[0])
    values = {**_values(cal), **_stored(changes)}
    _check(values)
    before = audit.snapshot(cal)
    if name is not None:
        cal.name = name
    for key, value in values.items():
        setattr(cal, key, value)
    cal.updated_at = now
    session.flush()
    audit.updated(session, actor, cal, before, at=now)
    # the clocks of every open ticket on this calendar move: the SLA job re-evaluates them all
    outbox.enqueue(
        session, "sla.reevaluate_open", reason=f"calendar {cal.name} changed", after_id=0,
        requested_at=now.isoformat(),
    )  # fmt: skip
    return cal


def checked_calendar(*, actor: Actor, data: Mapping[str, Any]) -> BusinessCalendar:
    """The calendar ``data`` (the fields of ``CalendarIn``) describes, built and checked as a
    save would check it, without saving anything: what a form previews before saving."""
    ensure_admin(actor)
    values = _stored(data)
    _check(values)
    return _build(_fingerprint(values), values)


def get_calendar(session: Session, *, actor: Actor, calendar_id: int) -> Calendar:
    ensure_staff(actor)
    cal = repository.calendar(session, calendar_id)
    if cal is None:
        raise NotFound("calendar {calendar_id} not found", calendar_id=calendar_id)
    return cal


def list_calendars(session: Session, *, actor: Actor) -> list[Calendar]:
    ensure_staff(actor)
    return list(repository.calendars(session))


def due_at(
    session: Session, *, actor: Actor, calendar_id: int, start: datetime, minutes: int
) -> datetime:
    """When ``minutes`` business minutes after ``start`` are used up, in the calendar's zone."""
    if minutes <= 0:
        raise ValidationFailed(
            "minutes must be positive, got {minutes}", field="minutes", minutes=minutes
        )
    cal = get_calendar(session, actor=actor, calendar_id=calendar_id)
    built = business_calendar(cal)
    try:
        due = built.add_business_seconds(start, minutes * 60)
    except OutOfRange as exc:
        if exc.field is not None:
            raise
        raise OutOfRange(exc.template, field="minutes", **exc.params) from None
    return due.astimezone(built.timezone)


def elapsed(
    session: Session, *, actor: Actor, calendar_id: int, start: datetime, end: datetime
) -> int:
    """Business seconds in ``[start, end)``; ``end`` before ``start`` is refused."""
    cal = get_calendar(session, actor=actor, calendar_id=calendar_id)
    return business_calendar(cal).business_seconds_between(start, end)


def view(cal: Calendar) -> dict[str, Any]:
    return {
        "id": cal.id,
        "name": cal.name,
        "timezone": cal.timezone,
        "weekly_hours": cal.weekly_hours,
        "holidays": cal.holidays,
        "extra_closed": cal.extra_closed,
        "partial_days": cal.partial_days,
        "open_on_holidays": cal.open_on_holidays,
        "created_at": cal.created_at,
        "updated_at": cal.updated_at,
    }


_ISO_SPACE_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


def parse_instant(raw: str, field: str) -> datetime:
    """An aware datetime from ISO 8601 text (a ``+`` decoded to a space is tolerated)."""
    text = _ISO_SPACE_OFFSET.sub(r"+\1", raw.strip())
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "{field_name}: {raw!r} is not an ISO 8601 date-time (e.g. 2026-03-02T09:00:00-03:00)",
            field=field,
            field_name=field,
            raw=raw,
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            "{field_name}: {raw!r} has no UTC offset; add one (e.g. -03:00 or Z)",
            field=field,
            field_name=field,
            raw=raw,
        )
    return value


def business_calendar_by_id(session: Session, calendar_id: int) -> BusinessCalendar | None:
    """The built calendar of ``calendar_id`` (no access check: for other services); a
    per-process copy while no calendar changes (atende/db/cache.py)."""

    def load() -> BusinessCalendar | None:
        cal = repository.calendar(session, calendar_id)
        return business_calendar(cal) if cal is not None else None

    return db_cache.get(session, ("business calendar", calendar_id), load)


@functools.lru_cache(maxsize=16)
def always_open_calendar(timezone: str) -> BusinessCalendar:
    """The 24x7 calendar in ``timezone`` (every minute counts): for an SLA target on a 24x7
    clock. Built once per process and zone (immutable)."""
    return always_open(timezone)


def default_calendar_id(session: Session) -> int | None:
    """The default calendar (the first one created) for whatever has none of its own: a
    per-process copy while no calendar changes (atende/db/cache.py)."""
    found: tuple[int | None] = db_cache.get(
        session, "default calendar", lambda: (repository.default_calendar_id(session),)
    )
    return found[0]


def calendar_exists(session: Session, calendar_id: int) -> bool:
    return repository.calendar(session, calendar_id) is not None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def canonical_subdivision(country: str, given: str) -> str:
    """The holidays package's own spelling of a subdivision given by its code ("sp", "BR-SP"),
    its name ("São Paulo", "sao paulo") or a municipal one's name ("São Paulo Capital"), in any
    case and with or without accents; unknown ones come back as given (the calendar check then
    names the known ones)."""
    text = given.strip()
    if text.upper().startswith(f"{country}-"):  # ISO 3166-2 form "BR-SP" -> "SP"
        text = text[len(country) + 1 :]
    try:
        base = holidays.country_holidays(country)
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        return text
    wanted = _fold(text)
    for code in base.subdivisions:
        if _fold(code) == wanted:
            return str(code)
    for name, code in (getattr(base, "subdivisions_aliases", None) or {}).items():
        if _fold(name) == wanted:
            return str(code)
    return text
