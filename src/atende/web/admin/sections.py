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
    readers: bool = False  # a supervisor may read its lists too (without their forms)


SECTIONS: tuple[Section, ...] = (
    Section(
        "users",
        "/admin/users",
        N_("Users"),
        N_("Who works here: roles, queues, capacity"),
        readers=True,
    ),
    Section(
        "queues",
        "/admin/queues",
        N_("Queues"),
        N_("Teams, assignment mode, capacity, hours"),
        readers=True,
    ),
    Section(
        "pause_reasons",
        "/admin/pause-reasons",
        N_("Pause reasons"),
        N_("What agents choose when they pause"),
        readers=True,
    ),
    Section(
        "calendars",
        "/admin/calendars",
        N_("Business calendars"),
        N_("Weekly hours, holidays, closed dates; a preview of the next weeks"),
        readers=True,
    ),
    Section(
        "sla",
        "/admin/sla",
        N_("SLA policies"),
        N_("Targets, pauses, escalation; when would a ticket be due"),
        readers=True,
    ),
    Section(
        key="channels",
        url="/admin/channels",
        label=N_("WhatsApp and Telegram"),
        summary=N_("Connect WhatsApp numbers and Telegram bots; the approved WhatsApp templates."),
    ),
    Section(
        "rules",
        "/admin/rules",
        N_("Automation rules"),
        N_("What happens by itself after each change to a ticket; try them on a ticket."),
    ),
    Section(
        "canned",
        "/admin/canned-replies",
        N_("Canned replies"),
        N_("Ready answers agents insert with / and rules send, with the ticket's data."),
        readers=True,
    ),
    Section(
        "plans",
        "/admin/plans",
        N_("Plans"),
        N_("What each plan includes: Field Desk visits, or their discount."),
        readers=True,
    ),
    Section(
        "organizations",
        "/admin/organizations",
        N_("Organizations"),
        N_("Customers and their billing: plan, due day, overdue, key account, block date."),
        readers=True,
    ),
    Section(
        "reply-check",
        "/admin/reply-check",
        N_("Reply check"),
        N_("The lists behind the warnings on gerunds, promises and closing questions."),
    ),
    Section(
        "mailboxes",
        "/admin/mailboxes",
        N_("E-mail mailboxes"),
        N_("IMAP mailboxes read into tickets, their last read, and messages to retry."),
    ),
    Section(
        "chat",
        "/admin/chat",
        N_("Live chat"),
        N_("Website chat widgets and the bot flows that greet visitors."),
    ),
)


def readable_sections() -> tuple[Section, ...]:
    """The sections a supervisor may open (to read)."""
    return tuple(s for s in SECTIONS if s.readers)
