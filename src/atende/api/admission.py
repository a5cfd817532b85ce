"""Admission: how many requests of one server process may use the database at once.

A request's sync parts (authentication, the route, the commit) run in turns in the worker
threads (40 by default); between turns the request keeps what it holds: a pooled connection,
on SQLite the write slot (`db.engine.WriterLock`). Threads that wait for one of those hold a
thread while they wait. With more such requests than threads, every thread could be waiting
for a connection or the write slot while the request that holds it waits for a thread to
commit in: nothing moves until a 30 s timeout fails them (seen with 96 concurrent notes on
SQLite: "QueuePool limit ... reached", 500s).

So a request takes a slot on the event loop before its first database work and gives it back
after its commit or rollback, and at most `Settings.max_active_requests` of them (default 24,
fewer than the threads) hold one: the others wait on the event loop, holding nothing, and the
holders always find a thread. A route that streams a slow upload gives its slot back while it
reads (`paused`), having ended its transaction first. A request that waits `WAIT_SECONDS`
without getting a slot is answered 503 with ``Retry-After`` (the process is overloaded).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session

from atende.i18n import N_

WAIT_SECONDS = 30.0  # a request waiting longer than this for a slot gives up: 503


class Busy(Exception):
    """No slot freed within the wait: the process is overloaded (answered 503, Retry-After)."""

    MESSAGE = N_("no database slot freed within {seconds} s")

    def __init__(self, seconds: float) -> None:
        self.seconds = f"{seconds:g}"
        super().__init__(self.MESSAGE.format(seconds=self.seconds))


class Slot:
    """One request's place; `paused` gives it back for a while."""

    def __init__(self, semaphore: asyncio.Semaphore, wait: float) -> None:
        self._semaphore = semaphore
        self._wait = wait
        self.held = False

    async def take(self) -> None:
        try:
            async with asyncio.timeout(self._wait):
                await self._semaphore.acquire()
        except TimeoutError:
            raise Busy(self._wait) from None
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()

    @asynccontextmanager
    async def paused(self, session: Session | None = None) -> AsyncIterator[None]:
        """Without the slot for the block, then with one again (waiting for it like any
        request). ``session`` must have no transaction open: its connection or SQLite's
        write slot would be held by a request that holds no slot. A block that raises does
        not wait for a slot again: the request is ending."""
        if session is not None and session.in_transaction():
            raise RuntimeError("a slot is paused with a transaction open")
        self.give_back()
        yield
        await self.take()


class Admission:
    def __init__(self, limit: int, *, wait: float = WAIT_SECONDS) -> None:
        if limit < 1:
            raise ValueError("max_active_requests must be at least 1")
        self.limit = limit
        self.wait = wait
        # one semaphore per event loop: a server process has one; tests may run several
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = asyncio.Semaphore(self.limit)
        return found

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Hold a slot for the block, waiting on the event loop for one to free; `Busy`
        after `wait` seconds."""
        held = Slot(self._semaphore(), self.wait)
        await held.take()
        try:
            yield held
        finally:
            held.give_back()
