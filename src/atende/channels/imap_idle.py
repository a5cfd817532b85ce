"""Watching IMAP mailboxes with IDLE (RFC 2177), polling the ones whose server lacks it.

A running worker keeps one watcher thread per active mailbox. The watcher logs in, opens the
folder read-only, stores what arrived since the last UID (as a poll does: ``BODY.PEEK[]``, the
UIDVALIDITY and last UID stored with each batch, before anything is acknowledged), then IDLEs;
an ``EXISTS`` or ``RECENT`` wakes it to fetch the new UIDs, and IDLE is issued again well
before the 29-minute limit. A dropped connection is re-established with a growing pause (1 s
up to 60 s), the failure kept on the mailbox meanwhile (``last_error``). A server that does not
advertise IDLE, or refuses it, is polled every ``ATENDE_IMAP_POLL_SECONDS`` by the same thread.

:class:`Watchers` is the worker's side: every few seconds it compares the active mailboxes with
its watchers and stops the watcher of a mailbox deactivated, deleted or pointed elsewhere by
an admin (a new one starts with the new settings). A mailbox is watched by one worker only: the
watcher's lease is, on PostgreSQL, an advisory lock on one connection of the worker, on SQLite
an exclusive ``flock`` on a file of the data directory; when that worker dies its connection or
its file descriptors end, the lock with them, and another worker takes the mailbox at its next
look. Stored items are unique by their provider id, so even two watchers of one mailbox would
store each message once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from atende.channels import imap_poll, repository
from atende.channels.models import ImapMailbox
from atende.db.engine import transaction
from atende.settings import Settings

log = logging.getLogger("atende.imap")

RENEW_SECONDS = 25 * 60  # IDLE again before the server's 29-minute limit (RFC 2177 §3)
CHECK_SECONDS = 1.0  # how long one wait for the server lasts: a stop is noticed this fast
LOOK_SECONDS = 2.0  # how often the worker compares the mailboxes with its watchers
MAX_PAUSE = 60.0  # the longest pause before reconnecting
WAKING = (b"EXISTS", b"RECENT")

Clock = Callable[[], datetime]


class _NoIdle(Exception):
    """The server does not advertise IDLE, or refused it: poll instead."""


def fingerprint(box: ImapMailbox) -> tuple[object, ...]:
    """What a watcher was started with: a change of any of it restarts the watcher."""
    return (box.host, box.port, box.tls, box.username, box.password_encrypted, box.folder)


class Watcher(threading.Thread):
    """One mailbox: IDLE, or polling when the server has no IDLE; reconnects until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        mailbox_id: int,
        *,
        settings: Settings,
        clock: Clock,
        print_: tuple[object, ...],
    ) -> None:
        super().__init__(name=f"atende-imap-{mailbox_id}", daemon=True)
        self.sessions, self.mailbox_id = sessions, mailbox_id
        self.settings, self.clock, self.print_ = settings, clock, print_
        self.halt = threading.Event()
        self.mode = "starting"  # idle | poll | reconnecting | stopped

    def stop(self) -> None:
        self.halt.set()

    def run(self) -> None:
        pause = 1.0
        try:
            while not self.halt.is_set():
                try:
                    self._idle()
                    return  # stopped, or the mailbox is gone or inactive
                except _NoIdle as why:
                    log.info("mailbox %s: %s; polling it instead", self.mailbox_id, why)
                    self._poll()
                    return
                except (IMAPClientError, OSError) as exc:
                    self.mode = "reconnecting"
                    log.warning("mailbox %s: %s; again in %.0f s", self.mailbox_id, exc, pause)
                    imap_poll.finish(self.sessions, self.mailbox_id, now=self.clock(),
                                     error=imap_poll.describe(exc))  # fmt: skip
                    self.halt.wait(pause)
                    pause = min(pause * 2, MAX_PAUSE)
        except Exception:  # the database, or a bug: the worker's next look starts another
            log.exception("mailbox %s: the watcher stopped", self.mailbox_id)
        finally:
            self.mode = "stopped"

    def _idle(self) -> None:
        box = imap_poll.load(self.sessions, self.mailbox_id, settings=self.settings,
                             now=self.clock())  # fmt: skip
        if box is None:  # gone or inactive (the worker stops us), or its password unreadable:
            self.halt.wait(self.settings.imap_poll_seconds)  # not tried again at once
            return
        client, uidvalidity = imap_poll.connect(box)
        try:
            if not client.has_capability("IDLE"):
                raise _NoIdle("the server does not advertise IDLE")
            self._catch_up(client, uidvalidity)
            while not self.halt.is_set():
                try:
                    client.idle()
                except IMAPClientAbortError:  # the connection, not the command
                    raise
                except IMAPClientError as exc:  # a NO or BAD to IDLE
                    raise _NoIdle(f"IDLE refused: {exc}") from exc
                self.mode = "idle"
                woken = self._wait(client)
                client.idle_done()
                if woken or not self.halt.is_set():
                    self._catch_up(client, uidvalidity)
        finally:
            imap_poll.logout(client)

    def _wait(self, client: IMAPClient) -> bool:
        """IDLE until the server announces mail, the renewal is due or the watcher stops."""
        renew = time.monotonic() + RENEW_SECONDS
        empty = 0  # answers with nothing in them, at once: the server closed the connection
        while not self.halt.is_set() and time.monotonic() < renew:
            asked = time.monotonic()
            responses = client.idle_check(timeout=CHECK_SECONDS)
            for response in responses:
                if len(response) > 1 and response[1] in WAKING:
                    return True
                if response and response[0] == b"BYE":
                    raise IMAPClientAbortError(f"the server ended the session: {response!r}")
            quick = not responses and time.monotonic() - asked < CHECK_SECONDS / 2
            empty = empty + 1 if quick else 0
            if empty >= 3:
                raise IMAPClientAbortError("the server closed the connection")
        return False

    def _catch_up(self, client: IMAPClient, uidvalidity: int) -> None:
        now = self.clock()
        stored = imap_poll.fetch_new(client, self.sessions, self.mailbox_id, uidvalidity, now=now)
        imap_poll.finish(self.sessions, self.mailbox_id, now=now, error="")
        if stored:
            log.info("mailbox %s: %s new e-mail(s)", self.mailbox_id, stored)

    def _poll(self) -> None:
        self.mode = "poll"
        while not self.halt.is_set():
            imap_poll.poll(self.sessions, self.mailbox_id, settings=self.settings,
                           now=self.clock())  # fmt: skip
            self.halt.wait(self.settings.imap_poll_seconds)


class _Leases:
    """Which mailboxes this worker may watch: on PostgreSQL an advisory lock each, on one
    autocommit connection of its own; on SQLite (one machine) an exclusive ``flock`` on a file
    per mailbox in the data directory. Either ends with the process that held it."""

    def __init__(self, engine: Engine | None, lock_dir: Path) -> None:
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.connection: Connection | None = None
        self.lock_dir = lock_dir
        self.files: dict[int, int] = {}  # mailbox id -> the locked file's descriptor (SQLite)

    def take(self, mailbox_id: int) -> bool:
        if self.engine is None:
            return self._take_file(mailbox_id)
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return repository.take_watch_lock(self.connection, mailbox_id)

    def _take_file(self, mailbox_id: int) -> bool:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / f"mailbox-{mailbox_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another worker watches it
            os.close(fd)
            return False
        self.files[mailbox_id] = fd
        return True

    def check(self) -> None:
        """Raise SQLAlchemyError when the connection (and so every lock on it) is lost."""
        if self.connection is not None:
            repository.ping(self.connection)

    def release(self, mailbox_id: int) -> None:
        fd = self.files.pop(mailbox_id, None)
        if fd is not None:
            os.close(fd)  # the lock goes with the descriptor
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                repository.release_watch_lock(self.connection, mailbox_id)

    def close(self) -> None:
        for mailbox_id in list(self.files):
            self.release(mailbox_id)
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.close()
            self.connection = None


class Watchers:
    """The worker's watchers, kept in step with the active mailboxes by :meth:`look`."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], *, clock: Clock):
        self.settings, self.sessions, self.clock = settings, sessions, clock
        bind = sessions.kw.get("bind")
        self.leases = _Leases(
            bind if isinstance(bind, Engine) else None, settings.data_dir / "imap-watchers"
        )
        self.running: dict[int, Watcher] = {}

    def watching(self) -> dict[int, str]:
        """The mailboxes this worker watches, and how (idle, poll, reconnecting, starting)."""
        return {box_id: w.mode for box_id, w in self.running.items() if w.is_alive()}

    def look(self, sessions: sessionmaker[Session], now: datetime) -> int:
        """Stop the watchers of mailboxes gone, inactive or changed; start one for each active
        mailbox nobody watches. Returns how many this worker watches (a worker sweep)."""
        with transaction(sessions) as session:
            wanted = {b.id: fingerprint(b) for b in repository.mailboxes(session, active_only=True)}
        for box_id, watcher in list(self.running.items()):
            if wanted.get(box_id) != watcher.print_ or not watcher.is_alive():
                self._stop(box_id)
        try:
            self.leases.check()
            for box_id, print_ in wanted.items():
                if box_id not in self.running and self.leases.take(box_id):
                    watcher = Watcher(sessions, box_id, settings=self.settings,
                                      clock=self.clock, print_=print_)  # fmt: skip
                    self.running[box_id] = watcher
                    watcher.start()
        except SQLAlchemyError:  # the lease connection is lost: so are its locks
            log.warning("IMAP watchers: the lease connection is lost", exc_info=True)
            self.leases.close()  # its locks are gone: nothing to give back
            self.close()
        return len(self.running)

    def _stop(self, box_id: int) -> None:
        watcher = self.running.pop(box_id)
        watcher.stop()
        watcher.join(timeout=CHECK_SECONDS * 5)
        self.leases.release(box_id)

    def close(self) -> None:
        """Stop every watcher (the worker stops) and give the leases back."""
        for watcher in self.running.values():
            watcher.stop()
        for box_id in list(self.running):
            self._stop(box_id)
        self.leases.close()
