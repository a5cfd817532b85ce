"""What a rule is made of: its events, action types, fields, limits and errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from atende.domain import conditions as cond
from atende.domain.errors import ValidationFailed

__all__ = [
    "ACTION_TYPES",
    "BUSINESS_FACTS",
    "EVENTS",
    "FIELD_ACTIONS",
    "MAX_ACTIONS",
    "MAX_BUSINESS_HOURS",
    "MAX_CASCADE_DEPTH",
    "MAX_FALLBACK_LENGTH",
    "MAX_ID",
    "MAX_PLACEHOLDERS",
    "MAX_RECIPIENTS",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TEMPLATE_LENGTH",
    "MAX_URL_LENGTH",
    "MESSAGE_EVENTS",
    "NOTIFY_KEYWORDS",
    "RULE_FIELDS",
    "TAG_ACTIONS",
    "ActionType",
    "Event",
    "InvalidRule",
    "InvalidTemplate",
]

MAX_CASCADE_DEPTH: Final = 5
"""Rules triggered by rules: at most this many levels (the original event is level 1)."""
MAX_ACTIONS: Final = 20
MAX_TAGS: Final = 50
MAX_TAG_LENGTH: Final = 60
MAX_TEMPLATE_LENGTH: Final = 10_000
MAX_PLACEHOLDERS: Final = 200
MAX_FALLBACK_LENGTH: Final = 100
MAX_RECIPIENTS: Final = 20
MAX_URL_LENGTH: Final = 2_000
MAX_BUSINESS_HOURS: Final = 24 * 366
MAX_ID: Final = 2**63 - 1


class Event(StrEnum):
    TICKET_CREATED = "ticket_created"
    TICKET_UPDATED = "ticket_updated"
    MESSAGE_RECEIVED = "message_received"
    MESSAGE_SENT = "message_sent"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    TIME_BASED = "time_based"


EVENTS: Final[tuple[str, ...]] = tuple(e.value for e in Event)
MESSAGE_EVENTS: Final = frozenset(
    {Event.TICKET_CREATED, Event.MESSAGE_RECEIVED, Event.MESSAGE_SENT}
)
"""The events that carry a message (``message.*`` facts); for ``ticket_created`` the first."""


class ActionType(StrEnum):
    SET_QUEUE = "set_queue"
    SET_PRIORITY = "set_priority"
    SET_STATUS = "set_status"
    SET_TYPE = "set_type"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    SET_TAGS = "set_tags"
    SET_ASSIGNEE = "set_assignee"
    ADD_NOTE = "add_note"
    SEND_CANNED_REPLY = "send_canned_reply"
    NOTIFY_EMAIL = "notify_email"
    NOTIFY_WEBHOOK = "notify_webhook"
    NOTIFY_TELEGRAM = "notify_telegram"
    TRANSFER = "transfer"


ACTION_TYPES: Final[tuple[str, ...]] = tuple(a.value for a in ActionType)
FIELD_ACTIONS: Final = frozenset(
    {
        ActionType.SET_QUEUE,
        ActionType.SET_PRIORITY,
        ActionType.SET_STATUS,
        ActionType.SET_TYPE,
        ActionType.ADD_TAGS,
        ActionType.REMOVE_TAGS,
        ActionType.SET_TAGS,
        ActionType.SET_ASSIGNEE,
    }
)
"""Actions that change the ticket's own fields: a rule applies them as one update."""
TAG_ACTIONS: Final = frozenset({ActionType.ADD_TAGS, ActionType.REMOVE_TAGS, ActionType.SET_TAGS})
NOTIFY_KEYWORDS: Final = ("assignee", "supervisors", "requester")
_CHANNELS: Final = ("chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api")

RULE_FIELDS: Final = cond.FieldRegistry(
    (
        *cond.TICKET_FIELDS,
        cond.FieldDef("message.channel", cond.FieldType.ENUM, _CHANNELS),
        cond.FieldDef("message.author", cond.FieldType.ENUM, ("contact", "agent", "system")),
        cond.FieldDef("ticket.in_business_hours", cond.FieldType.BOOLEAN),
        cond.FieldDef("ticket.business_hours_in_status", cond.FieldType.NUMBER),
    )
)
"""What a rule's conditions may test: the SLA facts plus the triggering message
(``message.text``, ``message.channel``, ``message.author``), ``ticket.in_business_hours`` (is the
ticket's calendar open now) and ``ticket.business_hours_in_status``."""

BUSINESS_FACTS: Final = frozenset({"ticket.in_business_hours", "ticket.business_hours_in_status"})
"""Facts that cost a calendar computation: the engine computes them only when a rule needs them."""


class InvalidRule(ValidationFailed):
    """A rule (or one of its actions) is malformed; ``field`` names the path."""


class InvalidTemplate(InvalidRule):
    """A template is malformed or names an unknown variable."""


def _hint(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
