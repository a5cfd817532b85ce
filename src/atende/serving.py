"""Uvicorn glue for ``atende serve``."""

from __future__ import annotations

import asyncio
import fcntl
import mmap
import os
import socket
import struct
import tempfile
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_on_drain: list[Callable[[], None]] = []


def on_drain(callback: Callable[[], None]) -> None:
    """Call ``callback`` when the server starts shutting down, before it waits for the open
    connections to finish: the live streams (api/stream.py) end then, so a restart does not
    wait for them to time out; their clients reconnect elsewhere with Last-Event-ID."""
    _on_drain.append(callback)


def _drain() -> None:
    for callback in list(_on_drain):
        callback()


SHARE_ENV = "ATENDE_SERVE_SHARE"
WORKERS_ENV = "ATENDE_SERVE_WORKERS"
_SLOTS = 64  # server processes at most (`atende serve --workers` allows 64)
_SLOT = struct.Struct("<II")  # pid, open connections
_ALL = struct.Struct(f"<{2 * _SLOTS}I")


def create_share(directory: str | None = None) -> str:
    """A zeroed file of one slot per server process, for `Balance` (made by `atende serve`
    before the worker processes start; the caller removes it when they have stopped)."""
    fd, path = tempfile.mkstemp(prefix="atende-serve-", dir=directory)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(_ALL.size))
    return path


class Balance:
    """Spreads keep-alive connections evenly over the server processes.

    With ``--workers N`` the processes share one listening socket, and whichever wakes first
    accepts every connection waiting: four keep-alive clients that connect at once usually all
    land on one process, and the others idle while it queues their requests (one core busy of
    N). Each process counts its open connections in its slot of a small shared file; a process
    holding more than its fair share (the total over N, rounded up) answers the next request
    with ``Connection: close``. The client reconnects, and the idle process, whose event loop is
    free, accepts first. Readers never lock: each slot has one writer, and a stale count only
    delays a hand-over by one request.
    """

    def __init__(self, path: str, workers: int) -> None:
        self.workers = max(1, workers)
        self._fd = os.open(path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, _ALL.size)
        self._slot = self._claim()
        self._open = 0

    def _claim(self) -> int:
        """A free slot (or one of a process that has died) for this process."""
        pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for slot in range(_SLOTS):
                owner, _ = _SLOT.unpack_from(self._map, slot * _SLOT.size)
                if owner == 0 or owner == pid or not _alive(owner):
                    _SLOT.pack_into(self._map, slot * _SLOT.size, pid, 0)
                    return slot
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        raise RuntimeError("more server processes than connection slots")

    def opened(self) -> None:
        self._open += 1
        _SLOT.pack_into(self._map, self._slot * _SLOT.size, os.getpid(), self._open)

    def closed(self) -> None:
        self._open = max(0, self._open - 1)
        _SLOT.pack_into(self._map, self._slot * _SLOT.size, os.getpid(), self._open)

    def over_share(self) -> bool:
        """Does this process hold more connections than its fair share? The connections of a
        process that died (killed, its slot not yet claimed by its replacement) are gone and
        not counted: otherwise the survivor, holding them all after their clients reconnect,
        would never hand any to the replacement."""
        if self._open <= 1:
            return False
        counts: tuple[int, ...] = _ALL.unpack_from(self._map, 0)
        me = os.getpid()
        total = 0
        for pid, held in zip(counts[0::2], counts[1::2], strict=True):
            if held and (pid == me or _alive(pid)):
                total += held
        return bool(self._open > -(-total // self.workers))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_balance: Balance | None = None
_balance_checked = False


def balance() -> Balance | None:
    """This process's `Balance`, when `atende serve` runs several worker processes."""
    global _balance, _balance_checked
    if not _balance_checked:
        _balance_checked = True
        path, workers = os.environ.get(SHARE_ENV), int(os.environ.get(WORKERS_ENV) or 1)
        if path and workers > 1 and os.path.exists(path):
            _balance = Balance(path, workers)
    return _balance


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """HTTP/1.1 (httptools' C parser) with TCP_NODELAY on every connection, and keep-alive
    connections spread over the worker processes (`Balance`).

    With ``--workers N`` uvicorn hands each process a shared socket, and asyncio then leaves
    Nagle's algorithm on: every keep-alive answer waited ~40 ms for the client's delayed ACK
    (docs/performance.md, "Tickets over HTTP", finding 1).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _no_delay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]
        shared = balance()
        if shared is not None:
            shared.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        shared = balance()
        if shared is not None:
            shared.closed()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        shared = balance()
        if (
            shared is not None
            and self.cycle is not None
            and not self.cycle.response_complete
            and shared.over_share()
        ):
            # answer this request, then close: the client reconnects to an idler process
            self.cycle.keep_alive = False

    def shutdown(self) -> None:
        _drain()
        super().shutdown()
