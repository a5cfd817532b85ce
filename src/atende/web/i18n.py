"""The pages' language: gettext catalogs, and dates, numbers and relative times for a locale.

Messages are written in English in the templates (``{% trans %}``, ``_()``) and in the web
modules (``_()`` at request time, ``N_()`` to mark a constant); each language other than English
has a catalog, ``atende/locale/<locale>/LC_MESSAGES/messages.po``, compiled in memory the first
time a page needs it (no build step: ``pip install`` ships the ``.po`` files). Brazilian
Portuguese is the default; English is the second language.

The locale of a page is its visitor's (``users.locale``); before login, the browser's
``Accept-Language`` among the supported ones; else the site's ``ATENDE_DEFAULT_LOCALE``. Times
are shown in the visitor's ``users.timezone`` (``ATENDE_DEFAULT_TIMEZONE`` before login).
``render`` (web/templating.py) sets both for the page being rendered (``use``), so helpers
called while it renders need no argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.numbers import format_decimal

from atende.i18n import (
    DEFAULT_LOCALE,
    DEFAULT_TIMEZONE,
    DOMAIN,
    LOCALE_DIR,
    N_,
    SOURCE_LOCALE,
    SUPPORTED,
    from_accept_language,
    supported,
    translations,
)

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIMEZONE",
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "SOURCE_LOCALE",
    "SUPPORTED",
    "from_accept_language",
    "supported",
    "translations",
]


# The catalogs and the choice of a locale are shared with the API and the jobs (atende/i18n.py).
def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class Language:
    """The locale and timezone of the page being rendered."""

    locale: str = DEFAULT_LOCALE
    timezone: str = DEFAULT_TIMEZONE

    @property
    def tag(self) -> str:
        """The HTML ``lang`` attribute: ``pt-BR``, ``en``."""
        return self.locale.replace("_", "-")

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    @property
    def babel(self) -> Locale:
        return Locale.parse(self.locale)


@dataclass
class _Holder:
    language: Language


# A holder, not the value: a request sets it once (``begin``) and the dependency that learns who
# is visiting updates it (``adopt``) from its worker thread; the route's own thread, which runs
# in a copy of the request's context, sees the update.
_current: ContextVar[_Holder | None] = ContextVar("atende_language", default=None)


def current() -> Language:
    holder = _current.get()
    return holder.language if holder is not None else Language()


def begin(language: Language) -> None:
    """The language of the request being handled (its task's context), until ``adopt``."""
    _current.set(_Holder(language))


def adopt(language: Language) -> None:
    """The visitor is known: their language for the rest of the request."""
    holder = _current.get()
    if holder is not None:
        holder.language = language


@contextmanager
def use(language: Language) -> Iterator[Language]:
    """Render under ``language``: the gettext helpers and formatters below follow it."""
    token = _current.set(_Holder(language))
    try:
        yield language
    finally:
        _current.reset(token)


# --- messages -----------------------------------------------------------------------------


def gettext(message: str) -> str:
    return translations(current().locale).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current().locale).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(translations(current().locale).pgettext(context, message))


_ = gettext


# --- formatting ---------------------------------------------------------------------------


def datetime_text(value: datetime | None, fmt: str = "short") -> str:
    """An aware instant in the visitor's zone and locale: ``10/03/2026 12:00``."""
    if value is None:
        return "—"
    language = current()
    return format_datetime(value, fmt, tzinfo=language.tz, locale=language.babel)


def time_text(value: datetime | None) -> str:
    """Only the local clock time: ``14:32`` (pt-BR), ``2:32 PM`` (en)."""
    if value is None:
        return "—"
    language = current()
    return format_time(value, "short", tzinfo=language.tz, locale=language.babel)


def date_text(value: date | datetime | None, fmt: str = "short") -> str:
    """A calendar day (an instant's day in the visitor's zone): ``10/03/2026``."""
    if value is None:
        return "—"
    language = current()
    if isinstance(value, datetime):
        value = value.astimezone(language.tz).date()
    return format_date(value, fmt, locale=language.babel)


def moment_text(value: datetime | None, now: datetime) -> str:
    """An instant said the short way: only the time today (``14:32``), else date and time."""
    if value is None:
        return "—"
    language = current()
    if value.astimezone(language.tz).date() == now.astimezone(language.tz).date():
        return time_text(value)
    return datetime_text(value)


def relative_text(value: datetime | None, now: datetime) -> str:
    """How far ``value`` is from now: ``em 2 horas``, ``há 5 minutos`` / ``in 2 hours``."""
    if value is None:
        return "—"
    delta: timedelta = value - now
    return format_timedelta(
        delta, granularity="minute", threshold=0.9, add_direction=True, locale=current().babel
    )


def duration_text(delta: timedelta) -> str:
    """A length of time without direction: ``2 horas``."""
    return format_timedelta(abs(delta), granularity="minute", threshold=0.9, locale=current().babel)


def number_text(value: int | float | None) -> str:
    """``1.234`` (pt-BR), ``1,234`` (en)."""
    if value is None:
        return "—"
    return format_decimal(value, locale=current().babel)


def when_text(value: datetime | None, now: datetime) -> str:
    """``às 14:32`` today, ``em 10/03/2026 às 14:32`` another day (the visitor's zone)."""
    if value is None:
        return ""
    zone_ = current().tz
    if value.astimezone(zone_).date() == now.astimezone(zone_).date():
        return gettext("at %(time)s") % {"time": time_text(value)}
    return gettext("on %(date)s at %(time)s") % {"date": date_text(value), "time": time_text(value)}
