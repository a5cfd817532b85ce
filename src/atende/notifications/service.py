"""Notify staff: an in-app notification per user (unique per event key), and an e-mail copy
sent by a durable job after commit (when SMTP is configured)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.auth.actor import Actor
from atende.domain.errors import PermissionDenied
from atende.i18n import Text
from atende.jobs import outbox
from atende.notifications import repository
from atende.notifications.models import Notification


def notify(
    session: Session,
    *,
    users: Iterable[User],
    kind: str,
    key: str,
    text: str | Text,
    ticket_id: int | None,
    now: datetime,
) -> list[int]:
    """One notification per user for the event ``key`` (the ids of those written): notifying
    twice for the same event (a retried job, two sweeps) writes nothing the second time (one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING``, the unique ``(user_id, key)`` deciding).
    A ``Text`` is said in each user's language and zone (``users.locale``,
    ``users.timezone``)."""
    wanted: dict[int, User] = {}
    for user in users:
        wanted.setdefault(user.id, user)
    if not wanted:
        return []
    made = repository.insert_new(
        session,
        [
            {"user_id": user.id, "ticket_id": ticket_id, "kind": kind, "key": key,
             "created_at": now, "read_at": None,
             "text": text.render(user.locale, user.timezone) if isinstance(text, Text) else text}
            for user in wanted.values()
        ],
    )  # fmt: skip
    if not made:
        return []
    outbox.enqueue_many(
        session,
        "notifications.email",
        [
            (f"notification:{user_id}:{key}", {"notification_id": note_id,
                                                "ticket_id": ticket_id})
            for note_id, user_id in made
        ],
    )  # fmt: skip
    return [note_id for note_id, _user_id in made]


def list_mine(
    session: Session, *, actor: Actor, unread_only: bool, before_id: int | None, limit: int
) -> Sequence[Notification]:
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff accounts have notifications")
    return repository.page(
        session, user_id=actor.user_id, unread_only=unread_only, before_id=before_id, limit=limit
    )


def mark_read(session: Session, *, actor: Actor, ids: Sequence[int] | None, now: datetime) -> int:
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff accounts have notifications")
    return repository.mark_read(session, user_id=actor.user_id, ids=ids, now=now)
