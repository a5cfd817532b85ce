"""`atende serve` turns Nagle's algorithm off on every connection (with --workers N asyncio
leaves it on, and each keep-alive answer then waited ~40 ms for a delayed ACK)."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from atende.serving import Balance, NoDelayHttpToolsProtocol, create_share
from tests.routing.test_concurrent_pull import _free_port, _serve, _wait_up
from tests.servers import seed_admin


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


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _established(pid: int, port: int) -> int:
    """Connections to ``port`` that process ``pid`` holds open (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    inodes.add(fields[9])
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
    return held


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_keep_alive_clients_are_spread_over_the_worker_processes(
    server_url: str, tmp_path: Path
) -> None:
    """Four keep-alive clients creating tickets at once end up two per process of
    `atende serve --workers 2`, so both cores work (before: often three or four on one)."""
    token, queue_id = seed_admin(server_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(server_url, port, tmp_path / "data", workers=2)
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.Client(base_url=base, headers=headers, timeout=30) for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(client: httpx.Client) -> list[int]:
        barrier.wait()
        body = {"subject": "Nota fiscal", "body": "erro 999", "queue_id": queue_id}
        return [client.post("/api/v1/tickets", json=body).status_code for _ in range(25)]

    try:
        _wait_up(base, proc)
        with ThreadPoolExecutor(4) as pool:
            codes = [c for got in pool.map(work, clients) for c in got]
        assert set(codes) == {201}
        held = {pid: _established(pid, port) for pid in _children(proc.pid)}
        assert sorted(n for n in held.values() if n) == [2, 2], held
    finally:
        for client in clients:
            client.close()
        proc.terminate()
        proc.wait(timeout=30)


def test_a_process_over_its_share_closes_after_answering(tmp_path: Path) -> None:
    """Three processes, seven connections: a process holding four (fair share three) asks
    its client to reconnect; one holding three does not."""
    share = create_share(str(tmp_path))
    mine = Balance(share, workers=3)
    for _ in range(4):
        mine.opened()
    other = Balance.__new__(Balance)
    other.__dict__.update(mine.__dict__)  # a second slot of the same file
    other._slot, other._open = mine._slot + 1, 0
    for _ in range(3):
        other.opened()
    assert mine.over_share()  # 4 > ceil(7 / 3) = 3
    assert not other.over_share()
    mine.closed()
    mine.closed()
    assert not mine.over_share()  # 2 of 5: ceil(5 / 3) = 2


def test_the_connections_of_a_dead_process_are_not_counted(tmp_path: Path) -> None:
    """Two processes; one is killed holding 40 connections, whose clients reconnect to the
    survivor: the survivor, now holding 41, is over its share of those alive (ceil(41 / 2)),
    so the replacement gets connections as they come back."""
    share = create_share(str(tmp_path))
    mine = Balance(share, workers=2)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(share, "r+b") as f:  # the killed process's slot, as it left it
        f.seek((mine._slot + 1) * 8)
        f.write(struct.pack("<II", dead.pid, 40))
    for _ in range(41):
        mine.opened()
    assert mine.over_share()
