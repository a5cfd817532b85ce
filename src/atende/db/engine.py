"""Engines and sessions.

SQLite runs in WAL mode with foreign keys on and a busy timeout; a write transaction starts with
``BEGIN IMMEDIATE`` so that concurrent writers wait for the lock instead of failing with
"database is locked" when they upgrade a read lock. Before that ``BEGIN IMMEDIATE`` a writer
takes the database's writer lock (`WriterLock`), so waiting writers get SQLite's single write
slot the moment it frees instead of sleeping in SQLite's busy handler (decision 0007).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

WRITE = "atende_write"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        parsed = make_url(url)
        in_memory = (
            parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
        )
        if not in_memory:
            # a file: connections are cheap, and the admission slots (api/admission.py: 24
            # per process), the group writer and the in-process worker must find one each
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 30)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


LOCK_TIMEOUT = 30.0  # seconds, as SQLite's busy timeout
_HELD = "atende_writer_lock_held"


class WriterLock:
    """SQLite's one write slot, handed over at once between threads and processes.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
    1, 2, 5, 10 ... up to 100 ms between tries, so under load a writer often sleeps long after
    the slot has freed (p50 ~230 ms at 16 clients, docs/performance.md). Writers of this process
    queue on a `threading.Lock` (woken the moment it is released); one writer per process then
    holds an exclusive ``flock`` on ``<database>-writer`` beside the database file, which other
    processes poll every half millisecond. The lock is taken before ``BEGIN IMMEDIATE`` and
    released after ``COMMIT`` or ``ROLLBACK``; a wait longer than `LOCK_TIMEOUT` fails like
    SQLite's own: "database is locked".
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float = LOCK_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        if not self._local.acquire(timeout=timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            fd = self._file()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError("database is locked") from None
                    time.sleep(0.0005)
        except BaseException:
            self._local.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._local.release()


_writer_locks: dict[str, WriterLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(database: str | None) -> WriterLock | None:
    """The writer lock of a database file (one per file and process); None in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + "-writer"
    with _writer_locks_guard:
        lock = _writer_locks.get(path)
        if lock is None:
            lock = _writer_locks[path] = WriterLock(path)
        return lock


def _release_writer(dbapi_connection: Any, lock: WriterLock) -> None:
    try:
        info = dbapi_connection.info  # a pool's connection proxy; not the first connect's
    except (AttributeError, NotImplementedError):
        return
    if info.pop(_HELD, False):
        lock.release()


def _hold_writer_lock(engine: Engine, lock: WriterLock) -> None:
    """Release the writer lock after the DBAPI's COMMIT or ROLLBACK has run (the engine's
    ``commit`` and ``rollback`` events fire before it, too early)."""
    dialect = engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(_self: Any, dbapi_connection: Any) -> None:
        try:
            plain_commit(dbapi_connection)
        finally:
            _release_writer(dbapi_connection, lock)

    def do_rollback(_self: Any, dbapi_connection: Any) -> None:
        try:
            plain_rollback(dbapi_connection)
        finally:
            _release_writer(dbapi_connection, lock)

    dialect.do_commit = types.MethodType(do_commit, dialect)  # type: ignore[method-assign]
    dialect.do_rollback = types.MethodType(do_rollback, dialect)  # type: ignore[method-assign]

    def _on_gone(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        if record is not None and record.info.pop(_HELD, False):
            lock.release()

    event.listen(engine, "close", _on_gone)  # a connection closed or invalidated mid-write
    event.listen(engine, "invalidate", _on_gone)


def _configure_sqlite(engine: Engine) -> None:
    lock = writer_lock(engine.url.database)
    if lock is not None:
        _hold_writer_lock(engine, lock)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN (pysqlite's own handling breaks SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only ('ÓTICA' stays 'ÓTICA'); case-insensitive
        # lookups must agree with Python's str.lower(), as PostgreSQL's lower() does.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE, True):
            if lock is not None and not conn.connection.info.get(_HELD):
                try:
                    lock.acquire()
                except sqlite3.OperationalError as exc:  # as SQLite's own busy timeout says it
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
                conn.connection.info[_HELD] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if lock is not None and conn.connection.info.pop(_HELD, False):
                    lock.release()
                raise
        else:
            conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def read_only(engine: Engine, *, autocommit: bool = False) -> Engine:
    """The same engine, but its transactions start deferred on SQLite (readers never block).

    ``autocommit``: on PostgreSQL each statement is its own transaction, which spares the
    ``BEGIN`` and ``ROLLBACK`` round trips of a session that only reads. Under READ COMMITTED
    each statement sees its own snapshot anyway; only for sessions that never write."""
    options: dict[str, Any] = {WRITE: False}
    if autocommit and engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return engine.execution_options(**options)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


TURN_SECONDS = 0.002  # after a chunk's commit on SQLite: time for a waiting writer to take its turn


def checkpoint(session: Session) -> None:
    """Commit what a long use case has done so far (the edge's call: the bulk import's chunks).

    On SQLite, one writer works at a time: the write slot is then left free for a moment so a
    waiting writer gets its turn."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(TURN_SECONDS)
