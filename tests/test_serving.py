"""`atende serve` turns Nagle's algorithm off on every connection (with --workers N asyncio
leaves it on, and each keep-alive answer then waited ~40 ms for a delayed ACK)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from atende.serving import NoDelayHttpToolsProtocol


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default


def test_the_protocol_sets_tcp_nodelay_on_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    try:
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        reached: list[Any] = []
        monkeypatch.setattr(
            "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol.connection_made",
            lambda self, transport: reached.append(transport),
        )
        protocol = NoDelayHttpToolsProtocol.__new__(NoDelayHttpToolsProtocol)
        protocol.connection_made(_Transport(conn))  # type: ignore[arg-type]
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert len(reached) == 1  # uvicorn's own set-up still runs
    finally:
        for s in (conn, client, server):
            s.close()


def test_serve_runs_uvicorn_with_that_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    from atende import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli, "migrate", lambda: None)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))
    cli.serve(host="127.0.0.1", port=8123, workers=2)
    assert seen["http"] == "atende.serving:NoDelayHttpToolsProtocol"
    assert seen["workers"] == 2
    assert seen["loop"] == "uvloop"  # a dependency: the faster event loop is always there
    assert seen["access_log"] is True
    assert seen["proxy_headers"] is False
