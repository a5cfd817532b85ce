"""Every query of the stream: its events, who may read their tickets, subscriptions, cursors."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, union_all
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.stream.models import StreamCursor, StreamEvent, WebhookSubscription
from atende.tickets import repository as ticket_repository
from atende.tickets.models import Ticket, TicketEvent

K = TypeVar("K", bound=Hashable)

# SQLite refuses a compound SELECT of more than 500 parts; one part per reader
READERS_PER_QUERY = 200


# --- events -------------------------------------------------------------------------------


def events_after(
    session: Session, after: int, *, limit: int, upto: int | None = None
) -> Sequence[StreamEvent]:
    """The events placed after ``after`` (and at most ``upto``), in stream order.

    Positions are given in commit order (migration 0012), so what a reader sees after
    ``after`` never gains an event before one it already saw."""
    stmt = select(StreamEvent).where(StreamEvent.position > after)
    if upto is not None:
        stmt = stmt.where(StreamEvent.position <= upto)
    return session.scalars(stmt.order_by(StreamEvent.position).limit(limit)).all()


def ticket_events_after(
    session: Session, ticket_id: int, after: int, *, limit: int, upto: int | None = None
) -> Sequence[StreamEvent]:
    """The events of one ticket placed after ``after`` (and at most ``upto``), in order."""
    stmt = select(StreamEvent).where(
        StreamEvent.ticket_id == ticket_id, StreamEvent.position > after
    )
    if upto is not None:
        stmt = stmt.where(StreamEvent.position <= upto)
    return session.scalars(stmt.order_by(StreamEvent.position).limit(limit)).all()


def last_position(session: Session) -> int:
    """The newest event's position (0 when there is none)."""
    return int(session.scalar(select(func.max(StreamEvent.position))) or 0)


PRUNED = "pruned"  # the cursor row holding the newest position pruned


def pruned_through(session: Session) -> int:
    """The newest position deleted by the retention (0 when none was): a reader behind it has
    missed events."""
    found = session.scalar(select(StreamCursor.position).where(StreamCursor.name == PRUNED))
    return int(found or 0)


def prune(session: Session, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the oldest events made before ``before`` and move the
    ``pruned`` mark past them; the newest event always stays. Returns how many went."""
    newest = last_position(session)
    stmt = (
        select(StreamEvent.id, StreamEvent.position)
        .where(StreamEvent.created_at < before, StreamEvent.position < newest)
        .order_by(StreamEvent.position)
        .limit(limit)
    )
    found = session.execute(stmt).all()
    if not found:
        return 0
    session.execute(delete(StreamEvent).where(StreamEvent.id.in_([r.id for r in found])))
    mark = cursor(session, PRUNED, for_update=True)
    mark.position = max(mark.position, int(found[-1].position))
    return len(found)


def add_event(session: Session, values: dict[str, Any]) -> None:
    """Insert one event in the session's transaction, at once (a plain INSERT: this is on
    every change's path)."""
    session.connection().execute(_INSERT, values)


_INSERT = insert(StreamEvent)

# The timeline events written since the stream last told of a ticket (those of a change, and
# any written without one, e.g. an escalation), above a window's start; for a ticket never
# told of, only those written at the change's instant. Built once: on every change's path.
_TOLD = (
    select(func.max(StreamEvent.timeline_position))
    .where(StreamEvent.ticket_id == bindparam("ticket_id"))
    .scalar_subquery()
)
_SINCE_LAST_EVENT = (
    select(
        TicketEvent.kind,
        TicketEvent.actor_user_id,
        TicketEvent.actor_label,
        TicketEvent.public,
        TicketEvent.before,
        TicketEvent.after,
    )
    .where(
        TicketEvent.ticket_id == bindparam("ticket_id"),
        TicketEvent.position > bindparam("window_from"),
        or_(
            TicketEvent.position > _TOLD,
            and_(_TOLD.is_(None), TicketEvent.created_at == bindparam("at")),
        ),
    )
    .order_by(TicketEvent.position)
)


def timeline_since_last_event(
    session: Session, ticket_id: int, *, window_from: int, at: datetime
) -> Sequence[Any]:
    """What one change wrote on the ticket's timeline: kind, actor, visibility, before and
    after of each event since the stream last told of the ticket (see ``_SINCE_LAST_EVENT``)."""
    params = {"ticket_id": ticket_id, "window_from": window_from, "at": at}
    return session.execute(_SINCE_LAST_EVENT, params).all()


# --- who may read ---------------------------------------------------------------------------


def readable_ticket_ids(
    session: Session, readers: Mapping[K, Actor], ticket_ids: Collection[int]
) -> dict[K, frozenset[int]]:
    """For each reader, which of ``ticket_ids`` they may read now: the tickets area's own
    ``readable_tickets`` statement, one part per reader, in one query (a few for many
    readers). Those who see every ticket need no query."""
    ids = sorted(set(ticket_ids))
    everything = frozenset(ids)
    out: dict[K, frozenset[int]] = {}
    asked: list[tuple[K, Actor]] = []
    for key, actor in readers.items():
        if not ids:
            out[key] = frozenset()
        elif actor.sees_all_tickets:
            out[key] = everything
        else:
            asked.append((key, actor))
    asked.sort(key=lambda pair: repr(pair[0]))  # the same readers, the same (cached) statement
    for start in range(0, len(asked), READERS_PER_QUERY):
        chunk = asked[start : start + READERS_PER_QUERY]
        found: dict[int, set[int]] = {n: set() for n in range(len(chunk))}
        stmt = _readable_by(tuple(actor for _key, actor in chunk))
        for reader, ticket_id in session.execute(stmt, {"ids": ids}):
            found[int(reader)].add(int(ticket_id))
        for n, (key, _actor) in enumerate(chunk):
            out[key] = frozenset(found[n])
    return out


@lru_cache(maxsize=256)
def _readable_by(actors: tuple[Actor, ...]) -> Any:
    """The readers' statement, built once for the same readers (building a statement of tens
    of parts costs milliseconds; running it, a fraction of one): the ticket ids are bound."""
    ids: Any = bindparam("ids", expanding=True)
    parts = [
        ticket_repository.readable_tickets(actor)
        .with_only_columns(literal(n).label("reader"), Ticket.id.label("ticket_id"))
        .where(Ticket.id.in_(ids))
        for n, actor in enumerate(actors)
    ]
    return parts[0] if len(parts) == 1 else union_all(*parts)


# --- webhook subscriptions and cursors ---------------------------------------------------------


def subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()


def active_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.id)
    )
    return session.scalars(stmt).all()


def subscription(session: Session, subscription_id: int) -> WebhookSubscription | None:
    return session.get(WebhookSubscription, subscription_id)


def cursor(session: Session, name: str, *, for_update: bool) -> StreamCursor:
    """A consumer's cursor (made at 0 when missing), locked for the transaction on request."""
    stmt = select(StreamCursor).where(StreamCursor.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        found = StreamCursor(name=name, position=0)
        session.add(found)
        session.flush()
    return found
