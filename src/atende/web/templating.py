"""Jinja2 templates (autoescape on, gettext from web/i18n.py) and the filters they use: labels
of statuses, priorities and channels, times in the visitor's zone and locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from atende.auth.actor import Actor
from atende.db.base import utcnow
from atende.web import i18n
from atende.web.i18n import N_, _

HERE = Path(__file__).parent

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
)

STATUS_LABELS = {
    "new": N_("New"),
    "open": N_("Open"),
    "pending_customer": N_("Waiting for customer"),
    "pending_internal": N_("Waiting internally"),
    "scheduled": N_("Scheduled"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
PRIORITY_LABELS = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
CHANNEL_LABELS = {
    "chat": N_("Chat"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "whatsapp": N_("WhatsApp"),
    "telegram": N_("Telegram"),
    "teams": N_("Teams"),
    "portal": N_("Portal"),
    "api": N_("API"),
}
ROLE_LABELS = {
    "admin": N_("Administrator"),
    "supervisor": N_("Supervisor"),
    "agent": N_("Agent"),
    "contact": N_("Customer"),
}
TYPE_LABELS = {
    "question": N_("Question"),
    "incident": N_("Incident"),
    "problem": N_("Problem"),
    "request": N_("Request"),
    "cancellation": N_("Cancellation"),
    "task": N_("Task"),
}
SLA_KIND_LABELS = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
}
SLA_STATE_LABELS = {
    "running": N_("running"),
    "paused": N_("paused"),
    "met": N_("met"),
    "breached": N_("breached"),
}


def label_of(table: dict[str, str], value: str | None) -> str:
    """The translated label of a code, or the code made readable when it has none (a custom
    ticket type, say)."""
    if value is None:
        return "—"
    known = table.get(value)
    return _(known) if known is not None else value.replace("_", " ")


def _label(table: dict[str, str]) -> Any:
    def label(value: str | None) -> str:
        return label_of(table, value)

    return label


def local_datetime(value: datetime | None, actor: Actor | None = None, fmt: str = "short") -> str:
    """An aware time in the page's zone and locale (``actor``: kept for old callers; the page's
    language is the visitor's already)."""
    return i18n.datetime_text(value, fmt)


def iso_datetime(value: datetime | None) -> str:
    return value.isoformat() if value else ""


templates.env.filters.update(
    localtime=local_datetime,
    datetime=i18n.datetime_text,
    time=i18n.time_text,
    date=i18n.date_text,
    number=i18n.number_text,
    isotime=iso_datetime,
    status_label=_label(STATUS_LABELS),
    priority_label=_label(PRIORITY_LABELS),
    channel_label=_label(CHANNEL_LABELS),
    type_label=_label(TYPE_LABELS),
    role_label=_label(ROLE_LABELS),
    sla_kind_label=_label(SLA_KIND_LABELS),
)
templates.env.globals.update(
    STATUS_LABELS=STATUS_LABELS,
    PRIORITY_LABELS=PRIORITY_LABELS,
    CHANNEL_LABELS=CHANNEL_LABELS,
    relative=i18n.relative_text,
    moment=i18n.moment_text,
    when=i18n.when_text,
)


def page_language(request: Request, actor: Actor | None = None) -> i18n.Language:
    """The visitor's locale and zone; before login, the browser's language among the supported
    ones and the site's zone; else the site's defaults."""
    settings = getattr(request.app.state, "settings", None)
    default_locale = i18n.supported(getattr(settings, "default_locale", None))
    default_zone = getattr(settings, "default_timezone", None) or i18n.DEFAULT_TIMEZONE
    actor = actor or getattr(request.state, "actor", None)
    if actor is not None:
        locale = i18n.supported(actor.locale) or default_locale or i18n.DEFAULT_LOCALE
        return i18n.Language(locale, actor.timezone or default_zone)
    browser = i18n.from_accept_language(request.headers.get("accept-language"))
    return i18n.Language(browser or default_locale or i18n.DEFAULT_LOCALE, default_zone)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The template rendered in the visitor's language (``lang``, ``now`` in its context)."""
    language = page_language(request)
    values = {"lang": language, "now": utcnow(), **(context or {})}
    with i18n.use(language):
        response = templates.TemplateResponse(
            request, name, values, status_code=status_code, headers=headers
        )
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Language", language.tag)
    return response
