"""A rule's JSON shape: the action and rule values, their validation (naming the path of the
fault, URLs and e-mail addresses included) and their stored JSON form."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from urllib.parse import urlsplit

from atende.domain import conditions as cond
from atende.domain.lifecycle import STATUSES
from atende.domain.rules.templates import Template, parse_template
from atende.domain.rules.vocabulary import (
    ACTION_TYPES,
    EVENTS,
    MAX_ACTIONS,
    MAX_BUSINESS_HOURS,
    MAX_ID,
    MAX_RECIPIENTS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_URL_LENGTH,
    NOTIFY_KEYWORDS,
    RULE_FIELDS,
    TAG_ACTIONS,
    ActionType,
    Event,
    InvalidRule,
    _hint,
)

__all__ = [
    "Action",
    "ActionValue",
    "EmailNotice",
    "Note",
    "Rule",
    "TelegramNotice",
    "TimeTrigger",
    "Transfer",
    "Webhook",
    "action_to_json",
    "check_url",
    "fields_used",
    "parse_action",
    "parse_actions",
    "parse_rule",
    "parse_time",
    "rule_to_json",
]

_PRIORITIES: Final = ("low", "normal", "high", "urgent")


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
        raise InvalidRule("{what} must be a positive id (a number)", field=path, what=what)
    assert isinstance(value, int)
    return value


def _choice(value: object, choices: Sequence[str], path: str, what: str) -> str:
    if isinstance(value, str):
        for choice in choices:
            if choice.casefold() == value.strip().casefold():
                return choice
    raise InvalidRule(
        "{value!r} is not a valid {what} (choose from: {choices})",
        field=path,
        value=value,
        what=what,
        choices=", ".join(choices),
    )


def _object(
    value: object, path: str, keys: Sequence[str], required: Sequence[str]
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRule(
            "the value must be an object with {value}",
            field=path,
            value=", ".join(repr(k) for k in keys),
        )
    for key in value:
        if key not in keys:
            raise InvalidRule(
                "unknown key {key!r}{key2}",
                field=f"{path}.{key}",
                key=key,
                key2=_hint(str(key), keys),
            )
    for key in required:
        if value.get(key) is None:
            raise InvalidRule("{key!r} is required", field=f"{path}.{key}", key=key)
    return dict(value)


def _tags(value: object, path: str, *, allow_empty: bool) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidRule("the value must be a list of tags", field=path)
    if not value and not allow_empty:
        raise InvalidRule("give at least one tag", field=path)
    if len(value) > MAX_TAGS:
        raise InvalidRule("at most {max_tags} tags", field=path, max_tags=MAX_TAGS)
    out: list[str] = []
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidRule("a tag is non-empty text", field=f"{path}[{i}]")
        norm = tag.strip().lower()
        if len(norm) > MAX_TAG_LENGTH:
            raise InvalidRule(
                "a tag is at most {max_tag_length} characters",
                field=f"{path}[{i}]",
                max_tag_length=MAX_TAG_LENGTH,
            )
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
                "'to' is a list of e-mail addresses or one of {notify_keywords}",
                field=path,
                notify_keywords=", ".join(NOTIFY_KEYWORDS),
            )
    elif isinstance(value, Sequence):
        items = value
    else:
        raise InvalidRule("'to' is a list of e-mail addresses or a keyword", field=path)
    if not items:
        raise InvalidRule("give at least one recipient", field=path)
    if len(items) > MAX_RECIPIENTS:
        raise InvalidRule(
            "at most {max_recipients} recipients", field=path, max_recipients=MAX_RECIPIENTS
        )
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
                "{text!r} is neither an e-mail address nor one of {notify_keywords}",
                field=where,
                text=text[:80],
                notify_keywords=", ".join(NOTIFY_KEYWORDS),
            )
    return tuple(dict.fromkeys(out))


def check_url(value: object, path: str) -> str:
    """A syntactically sound http(s) URL with a host and no credentials."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRule("'url' must be an http(s) URL", field=path)
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRule(
            "URL longer than {max_url_length} characters", field=path, max_url_length=MAX_URL_LENGTH
        )
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InvalidRule("the URL contains spaces or control characters", field=path)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRule("not a valid URL: {exc}", field=path, exc=exc) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidRule("the URL must start with https:// or http://", field=path)
    if parts.username is not None or parts.password is not None:
        raise InvalidRule("put no credentials in the URL; use the 'secret'", field=path)
    host = parts.hostname or ""
    if not host:
        raise InvalidRule("the URL has no host", field=path)
    is_ipv6 = parts.netloc.split("@")[-1].startswith("[")
    if not is_ipv6 and not _HOST.fullmatch(host):
        raise InvalidRule("{host!r} is not a valid host name", field=path, host=host[:80])
    if port == 0:
        raise InvalidRule("port 0 is not a valid port", field=path)
    return url


def _text(value: object, path: str, what: str, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRule("{what} must be non-empty text", field=path, what=what)
    if len(value) > limit:
        raise InvalidRule(
            "{what} is longer than {limit} characters", field=path, what=what, limit=limit
        )
    return value.strip()


def parse_action(raw: object, path: str) -> Action:
    """Check one action's shape (ids are checked to exist by the caller)."""
    if not isinstance(raw, Mapping):
        raise InvalidRule('an action is an object {"type": ..., "value": ...}', field=path)
    for key in raw:
        if key not in ("type", "value"):
            raise InvalidRule(
                "unknown key {key!r}{key2}",
                field=f"{path}.{key}",
                key=key,
                key2=_hint(str(key), ("type", "value")),
            )
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in ACTION_TYPES:
        hint = _hint(kind, ACTION_TYPES) if isinstance(kind, str) else ""
        raise InvalidRule(
            "unknown action type {kind!r}{hint} (known: {action_types})",
            field=f"{path}.type",
            kind=kind,
            hint=hint,
            action_types=", ".join(ACTION_TYPES),
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
        raise InvalidRule("at most {max_actions} actions", field=path, max_actions=MAX_ACTIONS)
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
            "'business_hours' is a whole number of hours from 1 to {max_business_hours}",
            field=f"{path}.business_hours",
            max_business_hours=MAX_BUSINESS_HOURS,
        )
    return TimeTrigger(status, int(hours))


def parse_rule(raw: Mapping[str, Any], *, rule_id: int | None = None) -> Rule:
    """Check a whole rule's JSON (name, event, conditions, actions, time)."""
    name = _text(raw.get("name"), "name", "the name", limit=120)
    event_raw = raw.get("event")
    if not isinstance(event_raw, str) or event_raw not in EVENTS:
        hint = _hint(event_raw, EVENTS) if isinstance(event_raw, str) else ""
        raise InvalidRule(
            "unknown event {event_raw!r}{hint} (known: {events})",
            field="event",
            event_raw=event_raw,
            hint=hint,
            events=", ".join(EVENTS),
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
