"""Readable text for actions and ticket changes (explanations, the dry-run, the timeline)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from atende.domain.rules.schema import (
    Action,
    EmailNotice,
    Note,
    TelegramNotice,
    Transfer,
    Webhook,
)
from atende.domain.rules.vocabulary import TAG_ACTIONS, ActionType

__all__ = [
    "Names",
    "describe_action",
    "describe_changes",
]


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
