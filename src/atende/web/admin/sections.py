"""The admin areas listed on ``/admin`` and in the admin pages' side menu.

A section appears once its page exists: each area's module adds its line here, its label and
summary marked with ``atende.web.i18n.N_`` (English msgids, translated in the catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

from atende.web.i18n import N_


@dataclass(frozen=True)
class Section:
    key: str
    url: str
    label: str  # an English msgid, said in the reader's language
    summary: str


SECTIONS: tuple[Section, ...] = (
    Section("users", "/admin/users", N_("Users"), N_("Who works here: roles, queues, capacity")),
    Section("queues", "/admin/queues", N_("Queues"), N_("Teams, assignment mode, capacity, hours")),
    Section(
        "pause_reasons",
        "/admin/pause-reasons",
        N_("Pause reasons"),
        N_("What agents choose when they pause"),
    ),
    Section(
        "calendars",
        "/admin/calendars",
        N_("Business calendars"),
        N_("Weekly hours, holidays, closed dates; a preview of the next weeks"),
    ),
    Section(
        "sla",
        "/admin/sla",
        N_("SLA policies"),
        N_("Targets, pauses, escalation; when would a ticket be due"),
    ),
    Section(
        key="channels",
        url="/admin/channels",
        label=N_("WhatsApp and Telegram"),
        summary=N_("Connect WhatsApp numbers and Telegram bots; the approved WhatsApp templates."),
    ),
)
