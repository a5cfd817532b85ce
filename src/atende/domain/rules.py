"""Automation rules, pure: their JSON shape, templates, and what an ordered list of rules does.

A rule is data: ``{"name", "active", "position", "event", "conditions", "actions", "time"}``.
``conditions`` use the condition language of :mod:`atende.domain.conditions` over
:data:`RULE_FIELDS`; ``actions`` is an ordered list of ``{"type": ..., "value": ...}``. Rules of
an event run in ``(position, id)`` order; every matching rule runs (there is no "stop").

How a rule's actions run (the engine and the dry-run both follow :func:`operations`): the field
changes of a rule (queue, priority, status, type, assignee, tags) are applied together as one
ticket update, at the place of the first of them; each ``transfer`` is a ticket update of its
own; notes, canned replies and notifications follow in their order. Every ticket update raises
``ticket_updated``, which runs the rules again one level deeper: :data:`MAX_CASCADE_DEPTH`
levels at most, and a rule never runs twice for one ticket in one cascade.

Templates (canned replies, notes, notifications) are text with ``{{variable}}`` placeholders
(``{{contact.first_name|cliente}}`` gives a fallback): one pass of plain substitution from
:data:`TEMPLATE_VARIABLES`, never evaluation; an unknown variable is refused when saved.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, TypeAlias
from urllib.parse import urlsplit

from atende.domain import conditions as cond
from atende.domain.errors import ValidationFailed
from atende.domain.lifecycle import STATUSES, transition_error

__all__ = [
    "ACTION_TYPES",
    "BUSINESS_FACTS",
    "EVENTS",
    "FIELD_ACTIONS",
    "IDLE_TEXT",
    "LOOP_GUARD_TEXT",
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
    "TEMPLATE_VARIABLES",
    "Action",
    "ActionType",
    "ActionValue",
    "EmailNotice",
    "Event",
    "InvalidRule",
    "InvalidTemplate",
    "Names",
    "Note",
    "Operation",
    "Placeholder",
    "Rule",
    "Segment",
    "Single",
    "Step",
    "TelegramNotice",
    "Template",
    "TimeTrigger",
    "Transfer",
    "Update",
    "Verdict",
    "Webhook",
    "action_to_json",
    "applicable",
    "apply_changes",
    "apply_tag_ops",
    "check_url",
    "depth_stop_text",
    "describe_action",
    "describe_changes",
    "effective_changes",
    "fields_used",
    "judge",
    "operations",
    "parse_action",
    "parse_actions",
    "parse_rule",
    "parse_template",
    "parse_time",
    "render",
    "rule_to_json",
    "simulate",
    "template_variables",
    "would_act",
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

_PRIORITIES: Final = ("low", "normal", "high", "urgent")
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


# --------------------------------------------------------------------------------- templates

TEMPLATE_VARIABLES: Final[Mapping[str, str]] = {
    "ticket.number": "the ticket's number (1042)",
    "ticket.subject": "the ticket's subject",
    "ticket.status": "the ticket's status (open, pending_customer, ...)",
    "ticket.priority": "the ticket's priority",
    "ticket.type": "the ticket's type",
    "ticket.channel": "the ticket's channel",
    "ticket.queue": "the name of the ticket's queue",
    "contact.name": "the requester's full name",
    "contact.first_name": "the requester's first name",
    "contact.email": "the requester's e-mail address",
    "organization.name": "the requester's organization",
    "organization.plan": "the organization's plan",
    "assignee.name": "the assigned agent's full name",
    "assignee.first_name": "the assigned agent's first name",
}
"""Every variable a template may use. A missing value renders as the fallback, else empty."""

_PLACEHOLDER_BODY = re.compile(
    r"\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*"
    r"(?:\|(?P<fallback>[^{}|]*))?"
)


@dataclass(frozen=True)
class Placeholder:
    name: str
    fallback: str | None
    source: str
    """The exact text of the placeholder, braces included (so a template round-trips)."""


Segment: TypeAlias = str | Placeholder


@dataclass(frozen=True)
class Template:
    source: str
    segments: tuple[Segment, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.name for s in self.segments if isinstance(s, Placeholder)))


def parse_template(
    source: object,
    *,
    field: str,
    allowed: Collection[str] = tuple(TEMPLATE_VARIABLES),
    required: bool = True,
    max_length: int = MAX_TEMPLATE_LENGTH,
) -> Template:
    """Check a template: text, not too long, every ``{{...}}`` closed and naming a known
    variable. ``{{`` always opens a placeholder (a template cannot hold a literal ``{{``)."""
    if not isinstance(source, str):
        raise InvalidTemplate("a template must be text", field=field)
    if required and not source.strip():
        raise InvalidTemplate("the text is empty", field=field)
    if len(source) > max_length:
        raise InvalidTemplate(f"text longer than {max_length} characters", field=field)
    segments: list[Segment] = []
    pos = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            if pos < len(source):
                segments.append(source[pos:])
            break
        if start > pos:
            segments.append(source[pos:start])
        end = source.find("}}", start + 2)
        if end < 0:
            raise InvalidTemplate(
                f"'{{{{' at character {start + 1} is never closed with '}}}}'", field=field
            )
        inner = source[start + 2 : end]
        match = _PLACEHOLDER_BODY.fullmatch(inner)
        if match is None or "{" in inner:
            shown = source[start : end + 2]
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise InvalidTemplate(
                f"malformed placeholder {shown!r}: write e.g. {{{{ticket.number}}}} or "
                f"{{{{contact.first_name|cliente}}}}",
                field=field,
            )
        name = match.group("name")
        if name not in allowed:
            raise InvalidTemplate(
                f"unknown variable {name!r}{_hint(name, allowed)} "
                f"(known: {', '.join(sorted(allowed))})",
                field=field,
            )
        fallback = match.group("fallback")
        if fallback is not None:
            fallback = fallback.strip()
            if len(fallback) > MAX_FALLBACK_LENGTH:
                raise InvalidTemplate(
                    f"the fallback of {name!r} is longer than {MAX_FALLBACK_LENGTH} characters",
                    field=field,
                )
        segments.append(Placeholder(name, fallback, source[start : end + 2]))
        if len(segments) > 2 * MAX_PLACEHOLDERS:
            raise InvalidTemplate(f"more than {MAX_PLACEHOLDERS} placeholders", field=field)
        pos = end + 2
    return Template(source, tuple(segments))


def template_variables(template: Template) -> tuple[str, ...]:
    return template.variables


def render(
    template: Template,
    values: Mapping[str, object],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """The text with each placeholder replaced by its value (``escape`` applied to values only).

    One pass: a value is inserted as it is, so a value that looks like a placeholder stays
    literal text. A missing or blank value gives the placeholder's fallback, else nothing.
    """
    out: list[str] = []
    for segment in template.segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        value = values.get(segment.name)
        text = "" if value is None else str(value)
        if not text.strip():
            out.append(segment.fallback or "")
            continue
        out.append(escape(text) if escape is not None else text)
    return "".join(out)


# --------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Transfer:
    queue_id: int
    reason: Template


@dataclass(frozen=True)
class Note:
    text: Template


@dataclass(frozen=True)
class EmailNotice:
    to: tuple[str, ...]
    """E-mail addresses and the keywords ``assignee``, ``supervisors``, ``requester``."""
    subject: Template | None
    text: Template | None


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str | None


@dataclass(frozen=True)
class TelegramNotice:
    chat_id: str
    text: Template


ActionValue: TypeAlias = (
    int | str | tuple[str, ...] | Transfer | Note | EmailNotice | Webhook | TelegramNotice | None
)


@dataclass(frozen=True)
class Action:
    type: ActionType
    value: ActionValue


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _need_id(value: object, path: str, what: str) -> int:
    if not _is_id(value):
        raise InvalidRule(f"{what} must be a positive id (a number)", field=path)
    assert isinstance(value, int)
    return value


def _choice(value: object, choices: Sequence[str], path: str, what: str) -> str:
    if isinstance(value, str):
        for choice in choices:
            if choice.casefold() == value.strip().casefold():
                return choice
    raise InvalidRule(
        f"{value!r} is not a valid {what} (choose from: {', '.join(choices)})", field=path
    )


def _object(
    value: object, path: str, keys: Sequence[str], required: Sequence[str]
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRule(
            f"the value must be an object with {', '.join(repr(k) for k in keys)}", field=path
        )
    for key in value:
        if key not in keys:
            raise InvalidRule(f"unknown key {key!r}{_hint(str(key), keys)}", field=f"{path}.{key}")
    for key in required:
        if value.get(key) is None:
            raise InvalidRule(f"{key!r} is required", field=f"{path}.{key}")
    return dict(value)


def _tags(value: object, path: str, *, allow_empty: bool) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidRule("the value must be a list of tags", field=path)
    if not value and not allow_empty:
        raise InvalidRule("give at least one tag", field=path)
    if len(value) > MAX_TAGS:
        raise InvalidRule(f"at most {MAX_TAGS} tags", field=path)
    out: list[str] = []
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidRule("a tag is non-empty text", field=f"{path}[{i}]")
        norm = tag.strip().lower()
        if len(norm) > MAX_TAG_LENGTH:
            raise InvalidRule(f"a tag is at most {MAX_TAG_LENGTH} characters", field=f"{path}[{i}]")
        out.append(norm)
    return tuple(sorted(set(out)))


_EMAIL = re.compile(r"[^@\s<>,;\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251})\.[A-Za-z]{2,63}")
_TELEGRAM_CHAT = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?")


def _recipients(value: object, path: str) -> tuple[str, ...]:
    items: Sequence[object]
    if isinstance(value, str):
        items = [value]
        if value.strip() not in NOTIFY_KEYWORDS:
            raise InvalidRule(
                f"'to' is a list of e-mail addresses or one of {', '.join(NOTIFY_KEYWORDS)}",
                field=path,
            )
    elif isinstance(value, Sequence):
        items = value
    else:
        raise InvalidRule("'to' is a list of e-mail addresses or a keyword", field=path)
    if not items:
        raise InvalidRule("give at least one recipient", field=path)
    if len(items) > MAX_RECIPIENTS:
        raise InvalidRule(f"at most {MAX_RECIPIENTS} recipients", field=path)
    out: list[str] = []
    for i, item in enumerate(items):
        where = path if isinstance(value, str) else f"{path}[{i}]"
        if not isinstance(item, str) or not item.strip():
            raise InvalidRule("a recipient is an e-mail address or a keyword", field=where)
        text = item.strip()
        if text in NOTIFY_KEYWORDS:
            out.append(text)
        elif len(text) <= 254 and _EMAIL.fullmatch(text):
            out.append(text.lower())
        else:
            raise InvalidRule(
                f"{text[:80]!r} is neither an e-mail address nor one of "
                f"{', '.join(NOTIFY_KEYWORDS)}",
                field=where,
            )
    return tuple(dict.fromkeys(out))


def check_url(value: object, path: str) -> str:
    """A syntactically sound http(s) URL with a host and no credentials."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRule("'url' must be an http(s) URL", field=path)
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRule(f"URL longer than {MAX_URL_LENGTH} characters", field=path)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidRule("the URL contains spaces or control characters", field=path)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRule(f"not a valid URL: {exc}", field=path) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidRule("the URL must start with https:// or http://", field=path)
    if parts.username is not None or parts.password is not None:
        raise InvalidRule("put no credentials in the URL; use the 'secret'", field=path)
    host = parts.hostname or ""
    if not host:
        raise InvalidRule("the URL has no host", field=path)
    is_ipv6 = parts.netloc.split("@")[-1].startswith("[")
    if not is_ipv6 and not _HOST.fullmatch(host):
        raise InvalidRule(f"{host[:80]!r} is not a valid host name", field=path)
    if port == 0:
        raise InvalidRule("port 0 is not a valid port", field=path)
    return url


def _text(value: object, path: str, what: str, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRule(f"{what} must be non-empty text", field=path)
    if len(value) > limit:
        raise InvalidRule(f"{what} is longer than {limit} characters", field=path)
    return value.strip()


def parse_action(raw: object, path: str) -> Action:
    """Check one action's shape (ids are checked to exist by the caller)."""
    if not isinstance(raw, Mapping):
        raise InvalidRule('an action is an object {"type": ..., "value": ...}', field=path)
    for key in raw:
        if key not in ("type", "value"):
            raise InvalidRule(
                f"unknown key {key!r}{_hint(str(key), ('type', 'value'))}", field=f"{path}.{key}"
            )
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in ACTION_TYPES:
        hint = _hint(kind, ACTION_TYPES) if isinstance(kind, str) else ""
        raise InvalidRule(
            f"unknown action type {kind!r}{hint} (known: {', '.join(ACTION_TYPES)})",
            field=f"{path}.type",
        )
    atype = ActionType(kind)
    vpath = f"{path}.value"
    value = raw.get("value")
    out: ActionValue
    if atype is ActionType.SET_QUEUE:
        out = _need_id(value, vpath, "the queue")
    elif atype is ActionType.SET_ASSIGNEE:
        out = None if value is None else _need_id(value, vpath, "the assignee")
    elif atype is ActionType.SET_PRIORITY:
        out = _choice(value, _PRIORITIES, vpath, "priority")
    elif atype is ActionType.SET_STATUS:
        out = _choice(value, tuple(s for s in STATUSES if s != "new"), vpath, "status")
    elif atype is ActionType.SET_TYPE:
        out = _text(value, vpath, "the type", limit=60)
    elif atype in TAG_ACTIONS:
        out = _tags(value, vpath, allow_empty=atype is ActionType.SET_TAGS)
    elif atype is ActionType.ADD_NOTE:
        out = Note(parse_template(value, field=vpath))
    elif atype is ActionType.SEND_CANNED_REPLY:
        out = _need_id(value, vpath, "the canned reply")
    elif atype is ActionType.TRANSFER:
        obj = _object(value, vpath, ("queue_id", "reason"), ("queue_id", "reason"))
        out = Transfer(
            _need_id(obj["queue_id"], f"{vpath}.queue_id", "the queue"),
            parse_template(obj["reason"], field=f"{vpath}.reason", max_length=2_000),
        )
    elif atype is ActionType.NOTIFY_EMAIL:
        obj = _object(value, vpath, ("to", "subject", "text"), ("to",))
        subject = obj.get("subject")
        body = obj.get("text")
        out = EmailNotice(
            _recipients(obj["to"], f"{vpath}.to"),
            None
            if subject is None
            else parse_template(subject, field=f"{vpath}.subject", max_length=300),
            None if body is None else parse_template(body, field=f"{vpath}.text"),
        )
    elif atype is ActionType.NOTIFY_WEBHOOK:
        obj = _object(value, vpath, ("url", "secret"), ("url",))
        secret = obj.get("secret")
        if secret is not None:
            secret = _text(secret, f"{vpath}.secret", "the secret", limit=200)
        out = Webhook(check_url(obj["url"], f"{vpath}.url"), secret)
    else:  # NOTIFY_TELEGRAM
        obj = _object(value, vpath, ("chat_id", "text"), ("chat_id", "text"))
        chat = obj["chat_id"]
        if isinstance(chat, int) and not isinstance(chat, bool):
            chat = str(chat)
        if not isinstance(chat, str) or not _TELEGRAM_CHAT.fullmatch(chat.strip()):
            raise InvalidRule(
                "'chat_id' is a Telegram chat id (-1001234567890) or a channel (@canal)",
                field=f"{vpath}.chat_id",
            )
        out = TelegramNotice(chat.strip(), parse_template(obj["text"], field=f"{vpath}.text"))
    return Action(atype, out)


def parse_actions(raw: object, path: str = "actions") -> tuple[Action, ...]:
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise InvalidRule("actions must be a list", field=path)
    if not raw:
        raise InvalidRule("a rule needs at least one action", field=path)
    if len(raw) > MAX_ACTIONS:
        raise InvalidRule(f"at most {MAX_ACTIONS} actions", field=path)
    return tuple(parse_action(item, f"{path}[{i}]") for i, item in enumerate(raw))


def action_to_json(action: Action) -> dict[str, Any]:
    """The stored JSON form; ``parse_action(action_to_json(a), p) == a``."""
    v = action.value
    value: Any
    if isinstance(v, tuple):
        value = list(v)
    elif isinstance(v, Transfer):
        value = {"queue_id": v.queue_id, "reason": v.reason.source}
    elif isinstance(v, Note):
        value = v.text.source
    elif isinstance(v, EmailNotice):
        value = {"to": list(v.to)}
        if v.subject is not None:
            value["subject"] = v.subject.source
        if v.text is not None:
            value["text"] = v.text.source
    elif isinstance(v, Webhook):
        value = {"url": v.url} if v.secret is None else {"url": v.url, "secret": v.secret}
    elif isinstance(v, TelegramNotice):
        value = {"chat_id": v.chat_id, "text": v.text.source}
    else:
        value = v
    return {"type": action.type.value, "value": value}


# --------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class TimeTrigger:
    """Fire once per status period, when the ticket has been ``business_hours`` in ``status``."""

    status: str
    business_hours: int


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    event: Event
    condition: cond.Condition
    actions: tuple[Action, ...]
    position: int = 0
    active: bool = True
    time: TimeTrigger | None = None

    @property
    def key(self) -> int | str:
        """What the loop guard remembers: the id, or the name of an unsaved (draft) rule."""
        return self.id if self.id is not None else f"draft:{self.name}"


def parse_time(raw: object, path: str = "time") -> TimeTrigger:
    obj = _object(raw, path, ("status", "business_hours"), ("status", "business_hours"))
    status = _choice(
        obj["status"], tuple(s for s in STATUSES if s != "closed"), f"{path}.status", "status"
    )
    hours = obj["business_hours"]
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not math.isfinite(hours)
        or hours != int(hours)
        or not 1 <= hours <= MAX_BUSINESS_HOURS
    ):
        raise InvalidRule(
            f"'business_hours' is a whole number of hours from 1 to {MAX_BUSINESS_HOURS}",
            field=f"{path}.business_hours",
        )
    return TimeTrigger(status, int(hours))


def parse_rule(raw: Mapping[str, Any], *, rule_id: int | None = None) -> Rule:
    """Check a whole rule's JSON (name, event, conditions, actions, time)."""
    name = _text(raw.get("name"), "name", "the name", limit=120)
    event_raw = raw.get("event")
    if not isinstance(event_raw, str) or event_raw not in EVENTS:
        hint = _hint(event_raw, EVENTS) if isinstance(event_raw, str) else ""
        raise InvalidRule(
            f"unknown event {event_raw!r}{hint} (known: {', '.join(EVENTS)})", field="event"
        )
    event = Event(event_raw)
    condition = cond.validate(raw.get("conditions") or {}, RULE_FIELDS)
    actions = parse_actions(raw.get("actions"))
    time_raw = raw.get("time")
    trigger: TimeTrigger | None = None
    if event is Event.TIME_BASED:
        if time_raw is None:
            raise InvalidRule(
                'a time_based rule needs "time": {"status": ..., "business_hours": ...}',
                field="time",
            )
        trigger = parse_time(time_raw)
    elif time_raw is not None:
        raise InvalidRule("'time' is only for time_based rules", field="time")
    position = raw.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise InvalidRule("position is a whole number ≥ 0", field="position")
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise InvalidRule("active is true or false", field="active")
    return Rule(rule_id, name, event, condition, actions, position, active, trigger)


def rule_to_json(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "active": rule.active,
        "position": rule.position,
        "event": rule.event.value,
        "conditions": cond.to_json(rule.condition) if rule.condition != cond.ALWAYS else {},
        "actions": [action_to_json(a) for a in rule.actions],
        "time": None
        if rule.time is None
        else {"status": rule.time.status, "business_hours": rule.time.business_hours},
    }


def fields_used(condition: cond.Condition) -> frozenset[str]:
    """Every field a condition tree names."""
    if isinstance(condition, cond.Leaf):
        return frozenset({condition.field})
    out: set[str] = set()
    for child in condition.children:
        out |= fields_used(child)
    return frozenset(out)


# --------------------------------------------------------------------------------- evaluation


def applicable(rules: Iterable[Rule], event: str) -> list[Rule]:
    """The active rules of ``event`` in run order: position, then id (drafts last)."""
    chosen = [r for r in rules if r.active and r.event.value == event]
    return sorted(chosen, key=lambda r: (r.position, r.id is None, r.id or 0, r.name))


@dataclass(frozen=True)
class Verdict:
    matched: bool
    explanation: str


def _hours(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def judge(rule: Rule, facts: Mapping[str, Any]) -> Verdict:
    """Does ``rule`` apply to ``facts``? For a time_based rule the time trigger comes first."""
    prefix = ""
    if rule.time is not None:
        status = facts.get("ticket.status")
        hours = facts.get("ticket.business_hours_in_status")
        if status != rule.time.status:
            return Verdict(False, f"ticket.status is {status}, not {rule.time.status}")
        if not isinstance(hours, int | float) or hours < rule.time.business_hours:
            shown = "unknown" if not isinstance(hours, int | float) else _hours(hours)
            return Verdict(
                False,
                f"{rule.time.status} for {shown} business hours, "
                f"less than {rule.time.business_hours}",
            )
        prefix = (
            f"{rule.time.status} for {_hours(hours)} business hours (≥ {rule.time.business_hours})"
        )
    match = cond.evaluate(rule.condition, facts)
    if not prefix:
        return Verdict(match.matched, match.explanation)
    if match.explanation == "always":
        return Verdict(match.matched, prefix)
    return Verdict(match.matched, f"{prefix} and {match.explanation}")


# --------------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Update:
    """The field changes of one rule, applied together (one ``ticket_updated``)."""

    queue_id: int | None = None
    priority: str | None = None
    status: str | None = None
    type: str | None = None
    assignee: tuple[int | None] | None = None
    """``(user_id,)`` or ``(None,)`` to unassign; None: unchanged."""
    tag_ops: tuple[tuple[ActionType, tuple[str, ...]], ...] = ()
    indices: tuple[int, ...] = ()


@dataclass(frozen=True)
class Single:
    index: int
    action: Action


Operation: TypeAlias = Update | Single


def operations(actions: Sequence[Action]) -> list[Operation]:
    """The order in which a rule's actions are carried out (see the module's docstring)."""
    ops: list[Operation] = []
    update: Update | None = None
    slot: int | None = None
    for index, action in enumerate(actions):
        if action.type not in FIELD_ACTIONS:
            ops.append(Single(index, action))
            continue
        if update is None:
            update = Update()
            slot = len(ops)
            ops.append(update)
        v = action.value
        if action.type is ActionType.SET_QUEUE:
            assert isinstance(v, int)
            update = replace(update, queue_id=v)
        elif action.type is ActionType.SET_PRIORITY:
            assert isinstance(v, str)
            update = replace(update, priority=v)
        elif action.type is ActionType.SET_STATUS:
            assert isinstance(v, str)
            update = replace(update, status=v)
        elif action.type is ActionType.SET_TYPE:
            assert isinstance(v, str)
            update = replace(update, type=v)
        elif action.type is ActionType.SET_ASSIGNEE:
            assert v is None or isinstance(v, int)
            update = replace(update, assignee=(v,))
        else:
            assert isinstance(v, tuple)
            update = replace(update, tag_ops=(*update.tag_ops, (action.type, v)))
        update = replace(update, indices=(*update.indices, index))
        assert slot is not None
        ops[slot] = update
    return ops


def apply_tag_ops(
    current: Iterable[str], ops: Iterable[tuple[ActionType, tuple[str, ...]]]
) -> list[str]:
    tags = {t.lower() for t in current}
    for kind, values in ops:
        if kind is ActionType.SET_TAGS:
            tags = set(values)
        elif kind is ActionType.ADD_TAGS:
            tags |= set(values)
        else:
            tags -= set(values)
    return sorted(tags)


def effective_changes(update: Update, facts: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The ``changes`` an update really makes to the ticket described by ``facts`` (for
    ``update_ticket``), and notes on what it leaves alone and why."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if facts.get("ticket.status") == "closed":
        return {}, ["the ticket is closed: its fields stay as they are"]
    if update.queue_id is not None and update.queue_id != facts.get("ticket.queue_id"):
        changes["queue_id"] = update.queue_id
    if update.priority is not None and update.priority != facts.get("ticket.priority"):
        changes["priority"] = update.priority
    if update.type is not None and update.type != facts.get("ticket.type"):
        changes["type"] = update.type
    if update.assignee is not None and update.assignee[0] != facts.get("ticket.assignee_id"):
        changes["assignee_id"] = update.assignee[0]
    if update.tag_ops:
        current = sorted(facts.get("ticket.tags") or ())
        wanted = apply_tag_ops(current, update.tag_ops)
        if wanted != current:
            changes["tags"] = wanted
    if update.status is not None:
        current_status = str(facts.get("ticket.status") or "new")
        if update.status != current_status:
            why = transition_error(current_status, update.status)
            if why is None:
                changes["status"] = update.status
            else:
                notes.append(f"status stays {current_status}: {why}")
    if not changes and not notes:
        notes.append("nothing to change")
    return changes, notes


def apply_changes(
    facts: Mapping[str, Any], changes: Mapping[str, Any], queue_names: Mapping[int, str]
) -> dict[str, Any]:
    """The facts after ``changes`` (as from :func:`effective_changes`) are made."""
    out = dict(facts)
    if "queue_id" in changes:
        out["ticket.queue_id"] = changes["queue_id"]
        out["ticket.queue"] = queue_names.get(changes["queue_id"])
    for key, fact in (
        ("priority", "ticket.priority"),
        ("type", "ticket.type"),
        ("assignee_id", "ticket.assignee_id"),
        ("tags", "ticket.tags"),
    ):
        if key in changes:
            out[fact] = changes[key]
    if "status" in changes:
        out["ticket.status"] = changes["status"]
        out["ticket.business_hours_in_status"] = 0
    return out


# --------------------------------------------------------------------------------- describing


@dataclass(frozen=True)
class Names:
    """Readable names for ids, for explanations (missing ones show as ``#id``)."""

    queues: Mapping[int, str] = field(default_factory=dict)
    users: Mapping[int, str] = field(default_factory=dict)
    canned_replies: Mapping[int, str] = field(default_factory=dict)


def _named(names: Mapping[int, str], ident: int | None, what: str) -> str:
    if ident is None:
        return "nobody"
    name = names.get(ident)
    return f"{name} ({what} {ident})" if name else f"{what} {ident}"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_action(action: Action, names: Names = Names()) -> str:
    """One line: what the action does, e.g. ``set queue to Financeiro (queue 3)``."""
    v = action.value
    t = action.type
    if t is ActionType.SET_QUEUE:
        assert isinstance(v, int)
        return f"set queue to {_named(names.queues, v, 'queue')}"
    if t is ActionType.SET_ASSIGNEE:
        assert v is None or isinstance(v, int)
        return f"assign to {_named(names.users, v, 'user')}"
    if t in (ActionType.SET_PRIORITY, ActionType.SET_STATUS, ActionType.SET_TYPE):
        return f"set {t.value.removeprefix('set_')} to {v}"
    if t in TAG_ACTIONS:
        assert isinstance(v, tuple)
        verb = {"add_tags": "add tags", "remove_tags": "remove tags", "set_tags": "set tags to"}
        return f"{verb[t.value]} [{', '.join(v)}]"
    if isinstance(v, Note):
        return f"add internal note {_short(v.text.source)!r}"
    if t is ActionType.SEND_CANNED_REPLY:
        assert isinstance(v, int)
        return f"send canned reply {_named(names.canned_replies, v, 'canned reply')}"
    if isinstance(v, Transfer):
        return (
            f"transfer to {_named(names.queues, v.queue_id, 'queue')} "
            f"(reason: {_short(v.reason.source, 60)!r})"
        )
    if isinstance(v, EmailNotice):
        return f"e-mail {', '.join(v.to)}"
    if isinstance(v, Webhook):
        parts = urlsplit(v.url)  # the host only: a webhook's path is often its secret
        return f"call webhook {parts.scheme}://{parts.hostname or '?'}"
    assert isinstance(v, TelegramNotice)
    return f"Telegram message to {v.chat_id}"


def describe_changes(changes: Mapping[str, Any], names: Names) -> list[str]:
    out: list[str] = []
    for key, value in changes.items():
        if key == "queue_id":
            out.append(f"queue → {_named(names.queues, value, 'queue')}")
        elif key == "assignee_id":
            out.append(f"assignee → {_named(names.users, value, 'user')}")
        elif key == "tags":
            out.append(f"tags → [{', '.join(value)}]")
        else:
            out.append(f"{key} → {value}")
    return out


# --------------------------------------------------------------------------------- dry-run


@dataclass(frozen=True)
class Step:
    """One rule considered by a (simulated) run."""

    depth: int
    event: str
    rule_id: int | None
    rule_name: str
    matched: bool
    explanation: str
    planned: tuple[str, ...] = ()
    """What it would do, one line each (effective changes, replies, notifications)."""
    skipped: str | None = None
    """Why a matching rule would not run (loop guard, already fired, depth bound)."""


def simulate(
    rules: Sequence[Rule],
    facts: Mapping[str, Any],
    event: str,
    *,
    message_facts: Mapping[str, Any] | None = None,
    names: Names = Names(),
    already_fired: Collection[int | str] = (),
    max_depth: int = MAX_CASCADE_DEPTH,
) -> list[Step]:
    """What the rules would do for ``event``, changing nothing: each matching rule in order,
    its actions applied to the facts, and the ``ticket_updated`` cascade its ticket updates
    would raise (with the engine's bounds). ``already_fired`` holds the time_based rules that
    already fired in the ticket's current status period.

    The ticket service's own reactions (SLA escalation, a contact reply reopening a ticket) are
    not simulated; only the rules' changes are.
    """
    steps: list[Step] = []
    fired: set[int | str] = set()
    chain: list[str] = []
    stopped: list[bool] = []

    def level(ev: str, current: dict[str, Any], depth: int) -> dict[str, Any]:
        todo = applicable(rules, ev)
        if not todo:
            return current
        if depth > max_depth:
            if not stopped:  # said once per chain, as the engine does
                stopped.append(True)
                text = _depth_text(chain, ev, max_depth)
                steps.append(Step(depth, ev, None, "", False, "", skipped=text))
            return current
        for rule in todo:
            verdict = judge(rule, current)
            if not verdict.matched:
                steps.append(Step(depth, ev, rule.id, rule.name, False, verdict.explanation))
                continue
            if rule.key in fired:
                why = LOOP_GUARD_TEXT if would_act(rule.actions, current) else IDLE_TEXT
                steps.append(
                    Step(depth, ev, rule.id, rule.name, True, verdict.explanation, skipped=why)
                )
                continue
            if ev == Event.TIME_BASED and rule.key in already_fired:
                steps.append(
                    Step(
                        depth,
                        ev,
                        rule.id,
                        rule.name,
                        True,
                        verdict.explanation,
                        skipped="already fired in this status period",
                    )
                )
                continue
            fired.add(rule.key)
            slot = len(steps)
            steps.append(Step(depth, ev, rule.id, rule.name, True, verdict.explanation))
            planned: list[str] = []
            chain.append(rule.name)
            for op in operations(rule.actions):
                if isinstance(op, Update):
                    changes, notes = effective_changes(op, current)
                    planned.extend(describe_changes(changes, names) + notes)
                    if changes:
                        current = apply_changes(current, changes, names.queues)
                        current = level(Event.TICKET_UPDATED, _no_message(current), depth + 1)
                    continue
                action = op.action
                if isinstance(action.value, Transfer):
                    target = action.value.queue_id
                    if current.get("ticket.status") == "closed":
                        planned.append("no transfer: the ticket is closed")
                    elif target == current.get("ticket.queue_id"):
                        planned.append(
                            f"no transfer: already in {_named(names.queues, target, 'queue')}"
                        )
                    else:
                        planned.append(describe_action(action, names))
                        changes = {"queue_id": target}
                        if current.get("ticket.assignee_id") is not None:
                            changes["assignee_id"] = None
                        current = apply_changes(current, changes, names.queues)
                        current = level(Event.TICKET_UPDATED, _no_message(current), depth + 1)
                    continue
                if action.type in (ActionType.ADD_NOTE, ActionType.SEND_CANNED_REPLY) and (
                    current.get("ticket.status") == "closed"
                ):
                    planned.append(f"no {action.type.value}: the ticket is closed")
                    continue
                planned.append(describe_action(action, names))
            chain.pop()
            steps[slot] = replace(steps[slot], planned=tuple(planned))
        return current

    start = dict(facts)
    if message_facts:
        start.update(message_facts)
    level(event, start, 1)
    return steps


LOOP_GUARD_TEXT: Final = "already ran for this ticket in this chain of changes (loop guard)"
IDLE_TEXT: Final = "already ran in this chain of changes; would change nothing now"


def would_act(actions: Sequence[Action], facts: Mapping[str, Any]) -> bool:
    """Would these actions do anything to the ticket described by ``facts``? (A rule that
    would change nothing runs silently: no timeline entry.)"""
    closed = facts.get("ticket.status") == "closed"
    for op in operations(actions):
        if isinstance(op, Update):
            if effective_changes(op, facts)[0]:
                return True
        elif isinstance(op.action.value, Transfer):
            if not closed and op.action.value.queue_id != facts.get("ticket.queue_id"):
                return True
        elif op.action.type in (ActionType.ADD_NOTE, ActionType.SEND_CANNED_REPLY):
            if not closed:
                return True
        else:
            return True  # notifications
    return False


def _depth_text(chain: Sequence[str], event: str, max_depth: int) -> str:
    via = " → ".join(chain) if chain else "rules"
    return (
        f"automation stopped: {max_depth} levels of rule-triggered changes ({via}); "
        f"the {event} rules were not run again"
    )


def depth_stop_text(chain: Sequence[str], event: str, max_depth: int = MAX_CASCADE_DEPTH) -> str:
    return _depth_text(chain, event, max_depth)


def _no_message(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if not k.startswith("message.")}
