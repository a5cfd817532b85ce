"""Writing the stream: one row per change, in the change's own transaction.

``Publisher`` belongs to one settle (``workflows/settle.Settler``): the loop hands it each
``Changed`` it settles and each SLA signal it fires, in that order, so the stream follows the
order in which things happened (a rule's change after the change that set it off). The row is
inserted at once, in the transaction: it exists if and only if the transaction commits. A
creation costs that one INSERT; a ``ticket_updated`` also reads what the change wrote on the
timeline (one indexed SELECT). After the commit, the process's hubs are woken at once
(``Doorbell``); other processes learn of it by PostgreSQL ``NOTIFY`` (sent by the commit
itself, migration 0012) or, on SQLite, by a datagram to each of their hubs (``bells``), with a
poll behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from atende.sla.signals import SlaSignal
from atende.stream import bells, events, repository
from atende.tickets.events import Changed
from atende.tickets.models import Ticket

# a change's timeline entries are looked for among the ticket's last ones
_TIMELINE_WINDOW = 64


class Doorbell:
    """Wakes this process's hubs after a commit that wrote events (any thread may ring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def listen(self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
        with self._lock:
            self._listeners.append((loop, wake))

    def forget(self, wake: asyncio.Event) -> None:
        with self._lock:
            self._listeners = [(lp, w) for lp, w in self._listeners if w is not wake]

    def ring(self, session: Session | None = None) -> None:
        """Wake this process's hubs, and on a SQLite file the other processes' (``bells``)."""
        if session is not None:
            database = _sqlite_file(session)
            if database is not None:
                bells.ring(database)
        with self._lock:
            listeners = list(self._listeners)
        for loop, wake in listeners:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # that loop has closed
                self.forget(wake)


DOORBELL = Doorbell()


def _sqlite_file(session: Session) -> str | None:
    bind = session.bind  # an Engine, or a Connection (tests); the transaction may be over
    if bind is None:
        return None
    url = bind.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    return url.database


def ring_after_commit(session: Session) -> None:
    """Ring the doorbell when ``session``'s transaction commits (not when it rolls back)."""
    if not event.contains(session, "after_commit", DOORBELL.ring):
        event.listen(session, "after_commit", DOORBELL.ring)


class Publisher:
    """The stream's writer for one settle (one transaction, one ``now``)."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now

    def __call__(self, change: Changed) -> None:
        """Write the event of one settled change (after the loop's flush: ids are known)."""
        ticket, message = change.ticket, change.message
        type_ = events.change_type(change)
        if message is not None:
            self._add(
                type_, ticket, public=bool(message.public), actor=events.message_actor(message),
                message=message,
            )  # fmt: skip
            return
        if type_ in ("ticket_created", "ticket_imported"):  # who made it: on the timeline
            self._add(type_, ticket, public=True)
            return
        rows = self._timeline(ticket)
        changes = events.timeline_changes(rows)
        public = any(c["public"] for c in changes)
        self._add(type_, ticket, public=public, actor=events.timeline_actor(rows), changes=changes)

    def signals(self, ticket: Ticket, signals: Sequence[SlaSignal]) -> None:
        """Write the SLA warnings and breaches a settle fired (staff only)."""
        for signal in signals:
            self._add(signal.event, ticket, public=False, sla=signal)

    def presence(
        self,
        *,
        user_id: int,
        name: str,
        status: str,
        reason: str | None,
        since: datetime,
        cause: str,
    ) -> None:
        """Write an agent's presence change (staff only: no ticket, never public)."""
        body = events.presence_payload(
            at=self.now, user_id=user_id, name=name, status=status, reason=reason, since=since,
            cause=cause,
        )  # fmt: skip
        repository.add_event(
            self.session,
            {
                "created_at": self.now,
                "type": events.PRESENCE_CHANGED,
                "ticket_id": None,
                "queue_id": None,
                "organization_id": None,
                "public": False,
                "timeline_position": None,
                "payload": body,
            },
        )
        ring_after_commit(self.session)

    def chat(self, type_: str, ticket: Ticket, **data: Any) -> None:
        """A chat's signal (``events.CHAT_TYPES``: typing, read marks, its state), public: the
        visitor and the staff see it; ``data`` is added to the payload."""
        assert type_ in events.CHAT_TYPES, type_
        self._add(type_, ticket, public=True, chat=data)

    def delivery(self, ticket: Ticket, *, message_id: int | None, kind: str, state: str) -> None:
        """A reply's delivery state on WhatsApp or Telegram changed (staff only)."""
        self._add(
            "message_delivery", ticket, public=False,
            delivery={"message_id": message_id, "channel": kind, "state": state},
        )  # fmt: skip

    def _timeline(self, ticket: Ticket) -> Sequence[Any]:
        window_from = (ticket.timeline_count or 0) - _TIMELINE_WINDOW
        return repository.timeline_since_last_event(
            self.session, ticket.id, window_from=window_from, at=self.now
        )

    def _add(self, type_: str, ticket: Ticket, *, public: bool, **parts: Any) -> None:
        body = events.payload(type_, ticket, at=self.now, public=public, **parts)
        repository.add_event(
            self.session,
            {
                "created_at": self.now,
                "type": type_,
                "ticket_id": ticket.id,
                "queue_id": ticket.queue_id,
                "organization_id": ticket.organization_id,
                "public": public,
                "timeline_position": ticket.timeline_count or 0,
                "payload": body,
            },
        )
        ring_after_commit(self.session)
