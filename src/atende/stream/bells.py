"""SQLite: wake the live-stream hubs of the other processes on the same database at once.

PostgreSQL wakes them by ``NOTIFY`` in the commit itself (migration 0012). SQLite has no such
thing, and a hub that only polls learns of another process's commit up to a poll interval
late. So each hub of a SQLite file database binds a UNIX datagram socket in a private folder
named after the database file (``<tmp>/atende-bells-<hash>/<pid>.<n>``), and a process that
committed stream events sends one byte to each socket but its own. The byte says nothing (the
hub reads the table to learn what happened); a lost byte costs a poll interval. A socket whose
process has gone refuses the byte and is removed. The poll stays as the safety net.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

_counter = itertools.count(1)
_dirs: dict[str, Path] = {}
_dirs_lock = threading.Lock()


def folder(database: str) -> Path:
    """The bells' folder of the SQLite database file ``database`` (made, private)."""
    key = os.path.realpath(database)
    with _dirs_lock:
        found = _dirs.get(key)
        if found is not None:
            return found
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        path = Path(tempfile.gettempdir()) / f"atende-bells-{digest}"
        path.mkdir(mode=0o700, exist_ok=True)
        _dirs[key] = path
        return path


class Bell:
    """One hub's socket: ``on_ring`` is called (in the event loop) when another process rang."""

    def __init__(self, database: str) -> None:
        self.path = folder(database) / f"{os.getpid()}.{next(_counter)}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sock.bind(str(self.path))
        self._loop: object | None = None

    def listen(self, loop: object, on_ring: Callable[[], None]) -> None:
        def drain() -> None:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                while self._sock.recv(64):
                    pass
            on_ring()

        loop.add_reader(self._sock.fileno(), drain)  # type: ignore[attr-defined]
        self._loop = loop

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._sock.fileno())  # type: ignore[attr-defined]
        self._sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


_sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
_sender.setblocking(False)
_send_lock = threading.Lock()


def ring(database: str) -> None:
    """Wake every other process's hub on ``database`` (after a commit that wrote events)."""
    mine = f"{os.getpid()}."
    try:
        names = os.listdir(folder(database))
    except OSError:
        return
    base = folder(database)
    for name in names:
        if name.startswith(mine):
            continue  # this process's hubs: the in-process doorbell
        target = str(base / name)
        try:
            with _send_lock:
                _sender.sendto(b"!", target)
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(OSError):
                os.unlink(target)  # its process has gone
        except (BlockingIOError, OSError):
            pass  # a full queue already holds a byte: that hub will read anyway
