"""The load benchmark's own HTTP/1.1 client on asyncio streams (bench/chat_load.py).

A general client (httpx) spent most of the benchmark's CPU at 500 visitors parsing 520 event
streams: this one reads a response head, a ``Content-Length`` or chunked body, and a stream's
events split on blank lines, nothing else. Loopback only; every call has a timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


class Closed(Exception):
    """The server closed the connection (or answered something that is not HTTP/1.1)."""


@dataclass
class Event:
    id: int | None
    type: str
    data: bytes


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    line = await reader.readline()
    if not line.startswith(b"HTTP/1."):
        raise Closed(repr(line[:80]))
    status = int(line.split(b" ", 2)[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            return status, headers
        if not line:
            raise Closed("connection closed in the head")
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise Closed("connection closed in a chunked body")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await reader.readline()
            return
        data = await reader.readexactly(size + 2)
        yield data[:-2]


def _request(host: str, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection (reopened when the server closes it), one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.opened = 0

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """(status, the JSON body or None). Raises OSError, Closed or TimeoutError."""
        body = b"" if json_body is None else json.dumps(json_body).encode()
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(method, path, headers or {}, body)
        except BaseException:
            self.close()
            raise

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        reused = self._streams is not None
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        reader, writer = self._streams
        writer.write(_request(f"{self.host}:{self.port}", method, path, headers, body))
        try:
            status, head = await _head(reader)
        except (Closed, ConnectionResetError):
            if not reused:
                raise
            # the server had closed the idle keep-alive connection: once more on a new one
            self.close()
            return await self._exchange(method, path, headers, body)
        if "content-length" in head:
            data = await reader.readexactly(int(head["content-length"]))
        elif head.get("transfer-encoding") == "chunked":
            data = b"".join([c async for c in _chunks(reader)])
        else:
            data = await reader.read()
        if head.get("connection", "").lower() == "close":
            self.close()
        is_json = head.get("content-type", "").startswith("application/")
        return status, (json.loads(data) if data and is_json else None)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def events(
    host: str, port: int, path: str, headers: dict[str, str], *, connect_timeout: float = 30
) -> AsyncIterator[Event]:
    """The events of one Server-Sent Events stream until the server ends it (then returns) or
    the connection breaks (OSError, Closed). Comments (keep-alives) with an ``id:`` come as
    events of type ``""``; an event ``open`` says the stream has started."""
    async with asyncio.timeout(connect_timeout):
        reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(_request(f"{host}:{port}", "GET", path, headers, b""))
        async with asyncio.timeout(connect_timeout):
            status, head = await _head(reader)
        if status != 200:
            raise Closed(f"stream answered {status}")
        if head.get("transfer-encoding") != "chunked":
            raise Closed("the stream is not chunked")
        yield Event(None, "open", b"")
        pending = b""
        async for chunk in _chunks(reader):
            pending += chunk
            while b"\n\n" in pending:
                block, pending = pending.split(b"\n\n", 1)
                event_id, kind, data = None, "", b""
                for line in block.split(b"\n"):
                    if line.startswith(b"id: "):
                        event_id = int(line[4:])
                    elif line.startswith(b"event: "):
                        kind = line[7:].decode()
                    elif line.startswith(b"data: "):
                        data = line[6:]
                if kind or event_id is not None:
                    yield Event(event_id, kind, data)
    finally:
        writer.close()
