"""The live stream of one server process: one reader of ``stream_events`` for every open stream.

The hub keeps the newest events in memory (``BUFFER_EVENTS``), in position order, as batches
read together. It reads new ones when woken: by the in-process doorbell after a commit
(``publish.DOORBELL``), by PostgreSQL ``NOTIFY atende_stream`` (a ``LISTEN`` connection of its
own; other processes' commits), on SQLite by a datagram from the committing process
(``bells.Bell``), and by a timer (``poll_seconds``: a safety net). For each batch it asks once
which of its tickets each reader may read (``repository.readable_ticket_ids``: one query for
all readers), so a new event reaches 200 open streams with one query, not 200.

A reader follows from a position: from the database in pages while it is behind the buffer
(a reconnection with ``Last-Event-ID``), then from the buffer, then waiting for news. Whether
the reader may read an event's ticket is decided when it is delivered: the batch's answer if it
is fresh (``FRESH_SECONDS``), else asked again. Idle readers hold no database connection.

A reader of one ticket (a chat's visitor) is woken only by that ticket's events: the hub files
each new event under its ticket (a `Watch`, kept while the ticket has readers) and wakes that
ticket's readers alone, so 500 visitors cost a new event one dictionary look-up, not 500
wake-ups and 500 filters of the batch (docs/performance.md, "Live chat").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import psycopg
from sqlalchemy.orm import Session, sessionmaker

from atende.auth.actor import Actor
from atende.stream import repository, views
from atende.stream.bells import Bell
from atende.stream.models import StreamEvent
from atende.stream.publish import DOORBELL

log = logging.getLogger("atende.stream")

CHANNEL = "atende_stream"  # migration 0012's NOTIFY
BUFFER_EVENTS = 4096
FETCH_LIMIT = 500
PAGE = 200  # events per page of a replay from the database
FRESH_SECONDS = 1.0  # a batch's readability answer older than this is asked again
SQLITE_POLL_SECONDS = 0.05  # a small indexed read; sets the latency across processes
POSTGRES_POLL_SECONDS = 5.0  # NOTIFY wakes the hub; the timer only covers a lost connection
LISTEN_RETRY_SECONDS = 1.0
WATCH_EVENTS = 256  # the newest events of a watched ticket kept (older ones: from the database)

T = TypeVar("T")
Query = Callable[[Callable[[Session], T]], Awaitable[T]]
"""Runs a function with a read session in a worker thread (the edge decides how: admission)."""


@dataclass(frozen=True)
class Item:
    position: int
    type: str
    ticket_id: int | None
    public: bool
    payload: dict[str, Any]

    # the message as each audience sees it, encoded once for all the readers of the process
    encoded: dict[str, bytes | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, row: StreamEvent) -> Item:
        assert row.position is not None
        return cls(int(row.position), row.type, row.ticket_id, bool(row.public), row.payload)

    def message(self, audience: views.Audience) -> bytes | None:
        """The SSE message ``audience`` gets, or None."""
        if audience not in self.encoded:
            data = views.shape({"id": self.position, **self.payload}, public=self.public,
                               audience=audience)  # fmt: skip
            self.encoded[audience] = (
                None if data is None else views.sse(self.position, self.type, data)
            )
        return self.encoded[audience]


@dataclass(frozen=True)
class Batch:
    items: tuple[Item, ...]
    readable: dict[Hashable, frozenset[int]]
    fetched: float

    @property
    def last(self) -> int:
        return self.items[-1].position


@dataclass
class Reader:
    """One open stream: who reads (refreshed by the edge while it lasts)."""

    actor: Actor
    ticket_id: int | None = None  # a reader of one ticket (a chat's visitor): its events only

    @property
    def key(self) -> Hashable:
        return views.reader_key(self.actor)


@dataclass(eq=False)
class Watch:
    """The newest events of one ticket that has readers of its own: every event of the ticket
    after ``since`` that the hub has read is in ``items``, in order."""

    since: int
    items: deque[Item] = field(default_factory=deque)
    readers: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, item: Item) -> None:
        self.items.append(item)
        if len(self.items) > WATCH_EVENTS:
            self.since = self.items.popleft().position

    def after(self, cursor: int) -> list[Item]:
        """The items after position ``cursor`` (``cursor`` at or past ``since``)."""
        found: list[Item] = []
        for item in reversed(self.items):
            if item.position <= cursor:
                break
            found.append(item)
        found.reverse()
        return found

    def wake(self) -> None:
        arrived, self.arrived = self.arrived, asyncio.Event()
        arrived.set()


@dataclass(frozen=True)
class Step:
    """What a reader gets next: the SSE messages of the events it may read, the position of
    the last of them, and how far the stream went (past events it may not read, too). No
    messages: the events were not for the reader, or a wait ended quietly."""

    messages: bytes
    last_sent: int | None
    cursor: int
    quiet: bool = False  # a wait without news ended (time for a keep-alive)


class DataVersion:
    """SQLite: whether any other connection committed since the last look (``PRAGMA
    data_version`` on a connection of its own, outside the pool: a read of the database's
    header, no query), so that an idle poll costs microseconds."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._seen = self._read()

    def _read(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def __call__(self) -> bool:
        now = self._read()
        changed, self._seen = now != self._seen, now
        return changed

    def close(self) -> None:
        self._conn.close()


@dataclass
class Hub:
    sessions: sessionmaker[Session]
    listen_conninfo: str | None = None  # PostgreSQL: LISTEN for other processes' commits
    changed: DataVersion | None = None  # SQLite: a timer's look costs nothing when idle
    bell: Bell | None = None  # SQLite: other processes' commits ring it (stream/bells.py)
    poll_seconds: float = SQLITE_POLL_SECONDS
    buffer_events: int = BUFFER_EVENTS
    last: int = 0
    floor: int = 0  # the buffer holds every event after floor, up to last
    _batches: deque[Batch] = field(default_factory=deque)
    _buffered: int = 0
    _readers: list[Reader] = field(default_factory=list)  # of every ticket they may read
    _watches: dict[int, Watch] = field(default_factory=dict)  # readers of one ticket, by ticket
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _started: asyncio.Event | None = None
    closed: bool = False

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start reading (once; later calls wait until the first has found the stream's end)."""
        started = self._started
        if started is not None:
            await started.wait()
            if self._tasks:
                return
        started = self._started = asyncio.Event()
        try:
            self.last = self.floor = await asyncio.to_thread(self._read_last)
        except BaseException:
            self._started = None  # the next stream tries again
            raise
        finally:
            started.set()
        for watch in self._watches.values():  # subscribed before the end was known
            watch.since = max(watch.since, self.last)
        loop = asyncio.get_running_loop()
        DOORBELL.listen(loop, self._wake)
        if self.bell is not None:
            self.bell.listen(loop, self._wake.set)
        self._tasks.append(loop.create_task(self._pump(), name="atende-stream-pump"))
        if self.listen_conninfo is not None:
            self._tasks.append(loop.create_task(self._listen(), name="atende-stream-listen"))

    def close(self) -> None:
        """Stop: every reader's ``follow`` ends (the server is going down)."""
        if self.closed:
            return
        self.closed = True
        DOORBELL.forget(self._wake)
        if self.changed is not None:
            self.changed.close()
        if self.bell is not None:
            self.bell.close()
        for task in self._tasks:
            task.cancel()
        self._announce()
        for watch in self._watches.values():
            watch.wake()

    def subscribe(self, actor: Actor, *, ticket_id: int | None = None) -> Reader:
        """A new reader; with ``ticket_id`` it reads that ticket's events only (the edge has
        checked that ``actor`` may read it: no readability question is asked)."""
        reader = Reader(actor, ticket_id)
        if ticket_id is None:
            self._readers.append(reader)
            return reader
        watch = self._watches.get(ticket_id)
        if watch is None:
            watch = self._watches[ticket_id] = Watch(since=self.last)
        watch.readers += 1
        return reader

    def unsubscribe(self, reader: Reader) -> None:
        if reader.ticket_id is None:
            with contextlib.suppress(ValueError):
                self._readers.remove(reader)
            return
        watch = self._watches.get(reader.ticket_id)
        if watch is not None:
            watch.readers -= 1
            if watch.readers <= 0:
                del self._watches[reader.ticket_id]

    @property
    def readers(self) -> int:
        return len(self._readers) + sum(w.readers for w in self._watches.values())

    # --- reading the table -----------------------------------------------------------------

    def _read_last(self) -> int:
        with self.sessions() as session:
            return repository.last_position(session)

    def _read(self, after: int, readers: dict[Hashable, Actor]) -> Batch | None:
        with self.sessions() as session:
            rows = repository.events_after(session, after, limit=FETCH_LIMIT)
            if not rows:
                return None
            items = tuple(Item.of(r) for r in rows)
            ids = {i.ticket_id for i in items if i.ticket_id is not None}
            readable = repository.readable_ticket_ids(session, readers, ids) if readers else {}
        return Batch(items, dict(readable), time.monotonic())

    async def _pump(self) -> None:
        while not self.closed:
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                if self.changed is not None and not self.changed():
                    continue  # nobody committed anything since the last look
            self._wake.clear()
            try:
                await self._fetch()
            except Exception:
                log.exception("stream: reading new events failed; trying again")
                await asyncio.sleep(LISTEN_RETRY_SECONDS)

    async def _fetch(self) -> None:
        while not self.closed:
            readers = {r.key: r.actor for r in self._readers}
            batch = await asyncio.to_thread(self._read, self.last, readers)
            if batch is None:
                return
            self._file(batch)
            self._batches.append(batch)
            self._buffered += len(batch.items)
            self.last = batch.last
            while self._buffered > self.buffer_events and len(self._batches) > 1:
                old = self._batches.popleft()
                self._buffered -= len(old.items)
                self.floor = old.last
            self._announce()
            if len(batch.items) < FETCH_LIMIT:
                return

    def _file(self, batch: Batch) -> None:
        """File the batch's events of watched tickets under their tickets and wake those
        tickets' readers (each once)."""
        watches = self._watches
        if not watches:
            return
        woken: dict[int, Watch] = {}
        for item in batch.items:
            if item.ticket_id is not None and (watch := watches.get(item.ticket_id)):
                watch.add(item)
                woken[item.ticket_id] = watch
        for watch in woken.values():
            watch.wake()

    def _announce(self) -> None:
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()

    async def _listen(self) -> None:
        """LISTEN for commits of every process (the payload, a position, only wakes us)."""
        assert self.listen_conninfo is not None
        while not self.closed:
            try:
                conn = await psycopg.AsyncConnection.connect(self.listen_conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._wake.set()  # what was committed while nobody listened
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("stream: LISTEN %s failed (%s); again in a moment", CHANNEL, exc)
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    # --- following -------------------------------------------------------------------------

    async def follow(
        self, reader: Reader, after: int, *, wait: float, query: Query[Any]
    ) -> AsyncIterator[Step]:
        """The events after position ``after`` that ``reader`` may read, in order, then new ones
        as they come; an empty step after ``wait`` seconds without any. Ends when the hub
        closes."""
        if reader.ticket_id is not None:
            async for step in self._follow_ticket(reader, reader.ticket_id, after, wait, query):
                yield step
            return
        cursor = after
        while not self.closed:
            if cursor < self.floor:  # behind the buffer: from the database
                page = partial(replay, actor=reader.actor, after=cursor, upto=self.floor,
                               ticket_id=reader.ticket_id)  # fmt: skip
                step = await query(page)
                cursor = step.cursor
                yield step
                continue
            if cursor < self.last:
                for batch in self._after(cursor):
                    if cursor < self.floor:  # the buffer moved on meanwhile
                        break
                    step = await self._from_batch(reader, batch, cursor, query)
                    cursor = step.cursor
                    yield step
                continue
            arrived = self._arrived
            try:
                async with asyncio.timeout(wait):
                    await arrived.wait()
            except TimeoutError:
                yield Step(b"", None, cursor, quiet=True)

    async def _follow_ticket(
        self, reader: Reader, ticket_id: int, after: int, wait: float, query: Query[Any]
    ) -> AsyncIterator[Step]:
        """``follow`` for a reader of one ticket: woken by that ticket's events only."""
        watch = self._watches[ticket_id]
        only = frozenset({ticket_id})
        cursor, quiet = after, False
        while not self.closed:
            if cursor < watch.since:  # behind what the watch holds: from the database
                page = partial(
                    replay, actor=reader.actor, after=cursor, upto=watch.since, ticket_id=ticket_id
                )
                step = await query(page)
                cursor = step.cursor
                yield step
                continue
            items = watch.after(cursor)
            # every event of the ticket up to the hub's last is in the watch: none is left
            cursor = max(cursor, self.last)
            if items:
                yield deliverable(items, reader.actor, only, cursor=cursor)
                continue
            if quiet:
                quiet = False
                yield Step(b"", None, cursor, quiet=True)
                continue
            arrived = watch.arrived
            try:
                async with asyncio.timeout(wait):
                    await arrived.wait()
            except TimeoutError:
                quiet = True

    def _after(self, cursor: int) -> list[Batch]:
        """The buffered batches with events after ``cursor`` (a live reader: the last one)."""
        batches = self._batches
        start = len(batches)
        while start > 0 and batches[start - 1].last > cursor:
            start -= 1
        return [batches[i] for i in range(start, len(batches))]

    async def _from_batch(
        self, reader: Reader, batch: Batch, cursor: int, query: Query[Any]
    ) -> Step:
        items = [i for i in batch.items if i.position > cursor]
        actor = reader.actor
        readable = batch.readable.get(reader.key)
        if readable is None or time.monotonic() - batch.fetched > FRESH_SECONDS:
            ids = {i.ticket_id for i in items if i.ticket_id is not None}
            ask = partial(repository.readable_ticket_ids, readers={0: actor}, ticket_ids=ids)
            readable = (await query(ask))[0]
        return deliverable(items, actor, readable, cursor=batch.last)


def replay(
    session: Session, actor: Actor, after: int, upto: int, ticket_id: int | None = None
) -> Step:
    """One page of the events after ``after`` (up to ``upto``) that ``actor`` may read, from
    the database; its cursor is the last event read (or ``upto`` when none is left). With
    ``ticket_id``: that ticket's events only (a reader of one ticket)."""
    if ticket_id is not None:
        rows = repository.ticket_events_after(session, ticket_id, after, limit=PAGE, upto=upto)
        if not rows or len(rows) < PAGE:
            found = [Item.of(r) for r in rows]
            step = deliverable(found, actor, frozenset({ticket_id}), cursor=upto)
            return step
        items = [Item.of(r) for r in rows]
        return deliverable(items, actor, frozenset({ticket_id}), cursor=items[-1].position)
    rows = repository.events_after(session, after, limit=PAGE, upto=upto)
    if not rows:
        return Step(b"", None, upto)
    items = [Item.of(r) for r in rows]
    ids = {i.ticket_id for i in items if i.ticket_id is not None}
    readable = repository.readable_ticket_ids(session, {0: actor}, ids)[0]
    return deliverable(items, actor, readable, cursor=items[-1].position)


def deliverable(
    items: Sequence[Item], actor: Actor, readable: frozenset[int], *, cursor: int
) -> Step:
    """The messages of the items ``actor`` may have, as they may see them."""
    audience = views.audience(actor)
    out: list[bytes] = []
    last = None
    for item in items:
        if audience is None or (item.ticket_id is not None and item.ticket_id not in readable):
            continue
        encoded = item.message(audience)
        if encoded is not None:
            out.append(encoded)
            last = item.position
    return Step(b"".join(out), last, cursor)
