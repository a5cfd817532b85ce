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
    ),
    Section(
        "plans",
        "/admin/plans",
        N_("Plans"),
        N_("What each plan includes: Field Desk visits, or their discount."),
    ),
    Section(
        "organizations",
        "/admin/organizations",
        N_("Organizations"),
        N_("Customers and their billing: plan, due day, overdue, key account, block date."),
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
