"""Uvicorn glue for ``atende serve``."""

from __future__ import annotations

import asyncio
import socket
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


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """HTTP/1.1 (httptools' C parser) with TCP_NODELAY on every connection.

    With ``--workers N`` uvicorn hands each process a shared socket, and asyncio then leaves
    Nagle's algorithm on: every keep-alive answer waited ~40 ms for the client's delayed ACK
    (docs/performance.md, "Tickets over HTTP", finding 1).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _no_delay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        _drain()
        super().shutdown()
