"""Recording a change to a configuration record, in the transaction of the change.

A command takes a :func:`snapshot` of the record before it changes it, and after the change
(flushed or not) calls :func:`updated`; :func:`created` and :func:`deleted` record the whole
record. Only the fields that changed are kept, as ``{"before": x, "after": y}``; bookkeeping
columns (ids, timestamps) are left out; secrets are never stored: a password hash, a token's
hash or a webhook secret that changed reads ``{"before": null, "after": "alterado"}``, and a
secret nested in JSON (a rule's webhook action) is shown as ``"***"``, or ``"alterado"`` where
it changed. An update that changes nothing records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from atende.audit.models import AuditEntry
from atende.auth.actor import Actor
from atende.db.base import utcnow

#: the audited tables and the entity type each is recorded as
ENTITY_TYPES: Final[dict[str, str]] = {
    "absences": "absence",
    "api_tokens": "api_token",
    "bot_flows": "bot_flow",
    "calendars": "calendar",
    "imap_mailboxes": "mailbox",
    "messaging_channels": "messaging_channel",
    "canned_replies": "canned_reply",
    "contacts": "contact",
    "chat_widgets": "chat_widget",
    "organizations": "organization",
    "pause_reasons": "pause_reason",
    "plans": "plan",
    "queues": "queue",
    "rules": "rule",
    "saved_views": "saved_view",
    "sla_policies": "sla_policy",
    "survey_campaigns": "survey_campaign",
    "survey_settings": "survey_settings",
    "ticket_types": "ticket_type",
    "users": "user",
    "webhook_subscriptions": "webhook",
}
#: columns holding secrets, and the name their change is shown under
SECRET_COLUMNS: Final[dict[str, str]] = {
    "password_hash": "password",
    "token_hash": "token",
    "secret": "secret",
    "password_encrypted": "mailbox_password",
    "access_token_encrypted": "access_token",
    "app_secret_encrypted": "app_secret",
    "verify_token_hash": "verify_token",
    "bot_token_encrypted": "bot_token",
    "webhook_secret_hash": "webhook_secret",
}
#: keys of JSON values that hold secrets (a rule's ``notify_webhook`` action)
SECRET_KEYS: Final = frozenset({"secret", "password", "token"})
#: bookkeeping, not configuration
SKIPPED: Final = frozenset(
    {"id", "created_at", "updated_at", "last_used_at", "since_position", "moved_ticket_ids"}
)
CHANGED: Final = "alterado"
HIDDEN: Final = "***"

Snapshot = dict[str, Any]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not recordable")


def _plain(values: Mapping[str, Any]) -> Snapshot:
    """A deep, JSON-shaped copy (a JSON column changed in place must not change it)."""
    copied: Snapshot = json.loads(json.dumps(dict(values), default=_default))
    return copied


def snapshot(entity: Any, extra: Mapping[str, Any] | None = None) -> Snapshot:
    """The audited values of ``entity`` now: its columns but bookkeeping, plus ``extra``
    (what lives in other tables: a queue's ``member_ids``, a user's ``queue_ids``)."""
    values = {
        attr.key: getattr(entity, attr.key)
        for attr in sa_inspect(entity).mapper.column_attrs
        if attr.key not in SKIPPED
    }
    values.update(extra or {})
    return _plain(values)


def _hide(value: Any, other: Any) -> Any:
    """``value`` with its nested secrets hidden: "alterado" where ``other`` (the value before)
    held another secret at the same place, "***" where it held the same."""
    if isinstance(value, dict):
        was = other if isinstance(other, dict) else {}
        return {
            k: (
                (CHANGED if v != was.get(k) else HIDDEN)
                if k in SECRET_KEYS and v
                else _hide(v, was.get(k))
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        was_list = other if isinstance(other, list) else []
        return [_hide(v, was_list[i] if i < len(was_list) else None) for i, v in enumerate(value)]
    return value


def diff(before: Snapshot | None, after: Snapshot | None) -> dict[str, dict[str, Any]]:
    """``{field: {"before", "after"}}`` of the fields that differ (a creation: every field
    set; a deletion: every field that was set), secrets never shown."""
    keys = list(before or {}) + [k for k in (after or {}) if k not in (before or {})]
    changes: dict[str, dict[str, Any]] = {}
    for key in keys:
        old = (before or {}).get(key)
        new = (after or {}).get(key)
        if before is not None and after is not None and old == new:
            continue
        if before is None and new in (None, "", [], {}):
            continue  # a creation lists what was set
        if after is None and old in (None, "", [], {}):
            continue  # a deletion lists what there was
        if key in SECRET_COLUMNS:
            if after is not None:
                changes[SECRET_COLUMNS[key]] = {"before": None, "after": CHANGED}
            continue
        changes[key] = {"before": _hide(old, old), "after": _hide(new, old)}
    return changes


def entity_type(entity: Any) -> str:
    return ENTITY_TYPES[sa_inspect(entity).mapper.local_table.name]


def _label(entity: Any) -> str:
    for attr in ("name", "url", "prefix"):
        value = getattr(entity, attr, None)
        if value:
            return str(value)[:200]
    return ""


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: Any,
    before: Snapshot | None,
    after: Snapshot | None,
    at: datetime | None = None,
) -> AuditEntry | None:
    """Add the entry of one change to the session (written with the change; None when an
    update changed nothing). ``entity`` must have its id (flushed)."""
    changes = diff(before, after)
    if action == "updated" and not changes:
        return None
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.label[:200],
        actor_role=actor.role,
        action=action,
        entity_type=entity_type(entity),
        entity_id=entity.id,
        entity_label=_label(entity),
        changes=changes,
    )
    session.add(entry)
    return entry


def created(
    session: Session,
    actor: Actor,
    entity: Any,
    *,
    at: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> AuditEntry | None:
    """A new record (flushed: it has its id); ``extra`` as for :func:`snapshot`."""
    after = snapshot(entity, extra)
    return record(
        session, actor=actor, action="created", entity=entity, before=None, after=after, at=at
    )


def updated(
    session: Session,
    actor: Actor,
    entity: Any,
    before: Snapshot,
    *,
    at: datetime | None = None,
    action: str = "updated",
    extra: Mapping[str, Any] | None = None,
) -> AuditEntry | None:
    """A changed record, against its :func:`snapshot` taken before the change (``extra``: the
    values after of the ``extra`` given to that snapshot)."""
    after = snapshot(entity, extra)
    return record(
        session, actor=actor, action=action, entity=entity, before=before, after=after, at=at
    )


def deleted(
    session: Session, actor: Actor, entity: Any, before: Snapshot, *, at: datetime | None = None
) -> AuditEntry | None:
    """A record about to be (or just) deleted, from its :func:`snapshot`."""
    return record(
        session, actor=actor, action="deleted", entity=entity, before=before, after=None, at=at
    )
