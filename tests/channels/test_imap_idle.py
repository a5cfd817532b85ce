"""IMAP IDLE against a real dovecot, with a running worker on a real database: a message put
in the mailbox becomes a ticket within seconds although the poll interval is an hour; a dropped
connection is made again and nothing is taken twice; an admin's change restarts or stops the
watcher; a server without IDLE is polled; one worker watches a mailbox, and when its process is
killed (or, on PostgreSQL, its lease connection ends) another takes the mailbox over."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from atende.auth.actor import SYSTEM
from atende.channels import imap_idle, mailboxes
from atende.channels.models import ImapMailbox, InboundItem
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.settings import Settings
from atende.tickets.models import Ticket
from atende.worker import Worker, channel_sweeps, start_in_thread
from tests.channels.conftest import customer_mail
from tests.channels.dovecot import Imap, dovecot_server
from tests.conftest import test_db_kind
from tests.servers import seed_admin

CLI = [sys.executable, "-c", "from atende.cli import app; app()"]
NO_IDLE = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT"


@pytest.fixture
def real(server_url: str, tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """Settings (an hour between polls) and sessions on a migrated database of its own."""
    seed_admin(server_url)
    engine = make_engine(server_url)
    settings = Settings(
        database_url=server_url, data_dir=tmp_path / "data", run_worker=False,
        secret_key="idle-test-secret-key", mail_from="Suporte <suporte@suporte.example>",
        imap_poll_seconds=3600,
    )  # fmt: skip
    yield settings, make_sessionmaker(engine)
    engine.dispose()


def _place(imap: Imap, raw: bytes) -> None:
    client = IMAPClient(imap.host, port=imap.port, ssl=False)
    client.login(imap.user, imap.password)
    client.append("INBOX", raw)
    client.logout()


def _connect(real: tuple[Settings, sessionmaker[Session]], imap: Imap) -> int:
    settings, sessions = real
    with transaction(sessions) as session:
        box = mailboxes.create(
            session, actor=SYSTEM, secret_key=settings.resolved_secret_key, now=utcnow(),
            data={"name": "Suporte", "host": imap.host, "port": imap.port, "tls": False,
                  "username": imap.user, "password": imap.password},
        )  # fmt: skip
        return box.id


def _change(real: tuple[Settings, sessionmaker[Session]], box_id: int, **changes: Any) -> None:
    settings, sessions = real
    with transaction(sessions) as session:
        mailboxes.update(session, actor=SYSTEM, mailbox_id=box_id, changes=changes,
                         secret_key=settings.resolved_secret_key, now=utcnow())  # fmt: skip


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with transaction(sessions) as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
        items = session.scalar(select(func.count()).select_from(InboundItem)) or 0
    return tickets, items


def _within(seconds: float, what: str, check: Callable[[], bool]) -> float:
    """Wait until ``check()``; the seconds it took (fails naming ``what`` after ``seconds``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"{what}: not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def running(
    real: tuple[Settings, sessionmaker[Session]],
) -> Iterator[Callable[[], tuple[Worker, threading.Thread]]]:
    started: list[tuple[Worker, threading.Thread]] = []

    def start() -> tuple[Worker, threading.Thread]:
        settings, sessions = real
        worker = Worker(settings, sessions, sweeps=channel_sweeps(settings))
        started.append((worker, start_in_thread(worker)))
        return started[-1]

    yield start
    for worker, thread in started:
        worker.stop.set()
        thread.join(timeout=30)


def test_mail_arriving_while_the_worker_idles_is_a_ticket_within_seconds(
    real: tuple[Settings, sessionmaker[Session]], running: Any
) -> None:
    settings, sessions = real
    with dovecot_server() as imap:
        box_id = _connect(real, imap)
        worker, thread = running()
        watching = lambda: worker.watchers.watching() if worker.watchers else {}  # noqa: E731
        _within(15, "the watcher idles", lambda: watching() == {box_id: "idle"})

        _place(imap, customer_mail("Chegou agora", subject="Primeiro")[0])
        took = _within(10, "the first e-mail is a ticket", lambda: _counts(sessions) == (1, 1))
        assert took < 10 < settings.imap_poll_seconds  # IDLE, not the hourly poll

        # the connection drops (the server's session dies): made again, nothing taken twice
        assert imap.drop_connections() >= 1
        _place(imap, customer_mail("Depois da queda", subject="Segundo")[0])
        _within(30, "the second e-mail after the reconnection", lambda: _counts(sessions) == (2, 2))
        _within(10, "the watcher idles again", lambda: watching() == {box_id: "idle"})
        with transaction(sessions) as session:
            box = session.get(ImapMailbox, box_id)
            assert box is not None
            assert (box.last_uid, box.last_error) == (2, "")
        # BODY.PEEK[]: still unread for the people who read the mailbox too
        client = IMAPClient(imap.host, port=imap.port, ssl=False)
        client.login(imap.user, imap.password)
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == [1, 2]
        client.logout()

        # an admin changes the mailbox: its watcher restarts with the new settings
        assert worker.watchers is not None
        before = worker.watchers.running[box_id]
        _change(real, box_id, password=imap.password)
        watchers = worker.watchers
        _within(15, "a new watcher", lambda: watchers.running.get(box_id) not in (None, before))
        assert not before.is_alive()
        _within(10, "the new watcher idles", lambda: watching() == {box_id: "idle"})
        _place(imap, customer_mail("Terceiro", subject="Terceiro")[0])
        _within(10, "the third e-mail", lambda: _counts(sessions) == (3, 3))

        # ... and deactivates it: the watcher stops
        watcher = worker.watchers.running[box_id]
        _change(real, box_id, active=False)
        _within(15, "the watcher stops", lambda: watching() == {} and not watcher.is_alive())

        # the worker stops cleanly, with its watchers
        _change(real, box_id, active=True)
        _within(15, "watched again", lambda: watching() == {box_id: "idle"})
        last = worker.watchers.running[box_id]
        worker.stop.set()
        thread.join(timeout=20)
        assert not thread.is_alive() and not last.is_alive()
        assert _counts(sessions) == (3, 3)


def test_a_server_without_idle_is_polled(
    real: tuple[Settings, sessionmaker[Session]], running: Any
) -> None:
    settings, sessions = real
    settings.imap_poll_seconds = 1.0
    with dovecot_server(extra=NO_IDLE) as imap:
        box_id = _connect(real, imap)
        worker, _ = running()
        _within(15, "the mailbox is polled",
                lambda: worker.watchers is not None
                and worker.watchers.watching() == {box_id: "poll"})  # fmt: skip
        _place(imap, customer_mail("Sem IDLE", subject="Por sondagem")[0])
        _within(15, "the polled e-mail is a ticket", lambda: _counts(sessions) == (1, 1))
        time.sleep(2.5)  # more polls: nothing taken twice
        assert _counts(sessions) == (1, 1)


@pytest.mark.skipif(
    test_db_kind() != "postgres", reason="a lease connection is PostgreSQL's (SQLite: a file lock)"
)
def test_one_worker_watches_a_mailbox_and_another_takes_over_when_it_dies(
    real: tuple[Settings, sessionmaker[Session]],
) -> None:
    settings, sessions = real
    with dovecot_server() as imap:
        box_id = _connect(real, imap)
        first = imap_idle.Watchers(settings, sessions, clock=utcnow)
        second = imap_idle.Watchers(settings, sessions, clock=utcnow)
        try:
            assert first.look(sessions, utcnow()) == 1
            assert second.look(sessions, utcnow()) == 0  # the first holds the lease
            _within(15, "the first idles", lambda: first.watching() == {box_id: "idle"})
            # the first worker's process dies: its database connection ends, its lease too
            assert first.leases.connection is not None
            pid = first.leases.connection.scalar(text("SELECT pg_backend_pid()"))
            with transaction(sessions) as session:
                session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            _within(10, "the second takes over", lambda: second.look(sessions, utcnow()) == 1)
            assert first.look(sessions, utcnow()) == 0  # it sees its lease is gone
            _within(15, "the second idles", lambda: second.watching() == {box_id: "idle"})
            _place(imap, customer_mail("Com o segundo", subject="Assumido")[0])
            _within(15, "stored by the second", lambda: _counts(sessions)[1] == 1)
        finally:
            first.close()
            second.close()


def test_a_worker_process_killed_leaves_its_mailbox_to_another(
    real: tuple[Settings, sessionmaker[Session]], server_url: str
) -> None:
    """`atende worker` watches the mailbox (its lease: an advisory lock on PostgreSQL, a file
    lock on SQLite); a second worker leaves it alone; the process is killed (SIGKILL: nothing
    given back on purpose) and the second takes the mailbox over."""
    settings, sessions = real
    with dovecot_server() as imap:
        box_id = _connect(real, imap)
        env = dict(
            os.environ, ATENDE_DATABASE_URL=server_url, ATENDE_DATA_DIR=str(settings.data_dir),
            ATENDE_SECRET_KEY=settings.secret_key or "", ATENDE_IMAP_POLL_SECONDS="3600",
            ATENDE_MAIL_FROM=settings.mail_from,
        )  # fmt: skip
        proc = subprocess.Popen([*CLI, "worker"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
        second = imap_idle.Watchers(settings, sessions, clock=utcnow)
        try:
            _place(imap, customer_mail("Pelo processo", subject="Primeiro")[0])
            _within(60, "the worker process ingests it", lambda: _counts(sessions) == (1, 1))
            assert second.look(sessions, utcnow()) == 0  # the process holds the lease
            proc.kill()
            proc.wait(timeout=30)
            _within(15, "the second takes over", lambda: second.look(sessions, utcnow()) == 1)
            _within(15, "the second idles", lambda: second.watching() == {box_id: "idle"})
            _place(imap, customer_mail("Depois da queda do processo", subject="Segundo")[0])
            _within(15, "stored by the second", lambda: _counts(sessions)[1] == 2)
        finally:
            second.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
