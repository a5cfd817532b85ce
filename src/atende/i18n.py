"""Messages in the reader's language: the gettext catalogs, and the choice of a locale.

Messages are written in English (the msgids); each other language has a catalog,
``atende/locale/<locale>/LC_MESSAGES/messages.po``, compiled in memory the first time it is
needed (no build step: ``pip install`` ships the ``.po`` files). Brazilian Portuguese is the
default; English is the second language. The web pages (``web/i18n.py``), the API's error
details (``api/problems.py``) and the texts that jobs send (e-mails, notifications) read the
same catalogs.

A domain error carries an English template and its parameters (``domain/errors.py``):
``localized`` renders it in a locale. ``tools/messages.py`` extracts the templates of every
error raised in ``src/atende`` into the catalog, and ``tests/web/test_i18n.py`` fails while one
is untranslated.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from atende.domain.errors import DomainError, fill

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language of the msgids: needs no catalog
SUPPORTED = ("pt_BR", "en")
DEFAULT_LOCALE = "pt_BR"
DEFAULT_TIMEZONE = "America/Sao_Paulo"
SITE_LOCALE = DEFAULT_LOCALE
"""The language of texts written once for every reader (system notes on a ticket's timeline):
the team's, Brazilian Portuguese. What has a known reader (a notification, an API error) is
said in that reader's language instead."""
# A visitor's or a browser's tag mapped onto a supported locale (``pt`` and ``pt_PT`` read
# Brazilian Portuguese, any English reads English).
_ALIASES = {"pt": "pt_BR", "en": "en"}


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (read and compiled once per process)."""
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def supported(tag: str | None) -> str | None:
    """The supported locale ``tag`` names (``pt-BR``, ``pt_br``, ``en-US``, ``pt``), or None."""
    if not tag:
        return None
    text = tag.strip().replace("-", "_")
    if not text or len(text) > 35:
        return None
    try:
        parsed = Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    full = f"{parsed.language}_{parsed.territory}" if parsed.territory else parsed.language
    if full in SUPPORTED:
        return full
    return _ALIASES.get(parsed.language)


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an ``Accept-Language`` header (its q-values honoured)."""
    if not header or len(header) > 500:
        return None
    weighted: list[tuple[float, int, str]] = []
    for order, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, order, tag.replace("-", "_")))
    preferred = [tag for _, _, tag in sorted(weighted)]
    found = negotiate_locale(preferred, list(SUPPORTED), sep="_", aliases=_ALIASES)
    if found is not None:
        return found
    for tag in preferred:
        hit = supported(tag)
        if hit is not None:
            return hit
    return None


def N_(message: str) -> str:
    """Marks a constant for extraction; translated where it is shown (``_(CONSTANT)``)."""
    return message


def translate(locale: str, message: str) -> str:
    """``message`` (an English msgid) in ``locale``; itself when the catalog lacks it."""
    return translations(locale).gettext(message)


def localized(exc: DomainError, locale: str) -> str:
    """A domain error's message in ``locale``."""
    return exc.text(translations(locale).gettext)


@dataclass(frozen=True)
class Text:
    """A message to be said later, to a reader whose language is not known yet (a notification
    goes to several users, each in their own locale): an English template (a msgid, extracted
    by ``make messages``) and its parameters. A parameter that is itself a ``Text`` is said in
    the same language; an instant is shown in the reader's zone (``10/03/2026 14:32``)."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str, timezone: str | None = None) -> str:
        values = {k: _value(v, locale, timezone) for k, v in self.params.items()}
        return fill(translate(locale, self.template), values)

    def __str__(self) -> str:
        return self.render(SOURCE_LOCALE)


def notice(template: str, **params: object) -> Text:
    return Text(template, params)


def _value(value: object, locale: str, timezone: str | None) -> object:
    if isinstance(value, Text):
        return value.render(locale, timezone)
    if isinstance(value, datetime):
        try:
            zone = ZoneInfo(timezone or DEFAULT_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(DEFAULT_TIMEZONE)
        babel_locale = Locale.parse(supported(locale) or DEFAULT_LOCALE)
        return format_datetime(value, "short", tzinfo=zone, locale=babel_locale)
    return value
