"""Reliability of the job worker on PostgreSQL, with real processes and a real SMTP receiver.

* A worker killed with SIGKILL in the middle of a batch loses no job: its leased jobs are
  claimed again by the next worker once the lease runs out, every e-mail arrives, and a message
  is sent twice at most for the one job that was in flight (the receiver de-duplicates it by its
  ``Message-ID``, which is derived from the job's idempotency key).
* Two workers (threads in one process, or two ``atende worker`` processes) never run the same
  job: claims are ``FOR UPDATE SKIP LOCKED``, so each job runs exactly once.

Each test works on a scratch database of its own, named after the test database
(``<name>_kill``, ``<name>_pair``, ``<name>_procs``), migrated from empty and dropped at the end.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from atende.db.engine import make_engine, make_sessionmaker, normalise_url, transaction
from atende.db.migrate import upgrade
from atende.jobs import outbox, registry
from atende.jobs.models import Job
from atende.jobs.registry import JobContext
from atende.notify import email as notify_email
from atende.settings import Settings
from atende.worker import Worker
from tests.conftest import test_db_kind

pytestmark = [
    pytest.mark.skipif(
        test_db_kind() != "postgres",
        reason="PostgreSQL only: concurrent claims (FOR UPDATE SKIP LOCKED) by several worker "
        "processes and scratch databases; SQLite serialises workers (covered in test_worker.py)",
    ),
    pytest.mark.slow,
]

BASE_URL = "https://helpdesk.example.test"
SECRET = "reliability-test-secret-key-0123456789"
LEASE_SECONDS = 5  # the smallest lease the settings accept
DEADLINE_SECONDS = 60.0


# --------------------------------------------------------------------------------------------
# Scratch databases
# --------------------------------------------------------------------------------------------


@dataclass
class Scratch:
    url: str
    engine: Engine

    def job_states(self) -> Counter[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Job.state, func.count()).group_by(Job.state)).all()
        return Counter({state: int(n) for state, n in rows})


@contextmanager
def scratch_database(database_url: str, suffix: str) -> Iterator[Scratch]:
    """A migrated, empty database ``<test database>_<suffix>`` on the same server (dropped at
    the end, even with connections still open)."""
    import psycopg

    base = make_url(normalise_url(database_url)).set(drivername="postgresql")
    scratch = f"{base.database}_{suffix}"
    server = base.set(database="postgres").render_as_string(hide_password=False)
    url = base.set(database=scratch).render_as_string(hide_password=False)

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    drop()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:  # the upgrade's one-off jobs: the test counts its own
            conn.execute(text("DELETE FROM jobs WHERE idempotency_key LIKE 'migration-%'"))
        yield Scratch(url, engine)
    finally:
        engine.dispose()
        drop()


@pytest.fixture
def scratch_db(database_url: str) -> Iterator[Callable[[str], Scratch]]:
    """``scratch_db("kill")``: a fresh migrated database, dropped after the test."""
    with ExitStack() as stack:
        yield lambda suffix: stack.enter_context(scratch_database(database_url, suffix))


def settings_for(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "data_dir": tmp_path / "data",
        "secret_key": SECRET,
        "base_url": BASE_URL,
        "run_worker": False,
        **overrides,
    }
    return Settings(**values)


def enqueue_emails(db: Scratch, keys: list[str]) -> None:
    """One committed ``notify.email`` job per key (one transaction, as a burst of changes)."""
    with transaction(make_sessionmaker(db.engine)) as session:
        for n, key in enumerate(keys):
            outbox.enqueue(
                session,
                notify_email.KIND,
                idempotency_key=key,
                to=["x@example.test"],
                subject=f"Chamado #{n}: resposta",
                text=f"Mensagem {n}",
            )


def wait_for(
    condition: Callable[[], bool],
    *,
    what: str,
    watch: Sequence[WorkerProcess] = (),
    timeout: float = DEADLINE_SECONDS,
) -> None:
    """Poll ``condition`` until true; fails on timeout or if a watched worker exits."""
    deadline = time.monotonic() + timeout
    while True:
        for worker in watch:
            worker.check_running()
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)


# --------------------------------------------------------------------------------------------
# An SMTP receiver that records every message and is slow to acknowledge
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    message_id: str
    key: str
    recipients: tuple[str, ...]


@dataclass
class SlowRecorder:
    """An aiosmtpd handler: records each message as soon as its data has arrived, then waits
    ``delay`` seconds before answering 250 (so a worker always has a message in flight; a
    worker killed in that window never learns that the receiver has the message)."""

    delay: float = 0.03
    _deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        delivery = Delivery(
            message_id=str(message["Message-ID"]),
            key=str(message["X-Atende-Idempotency-Key"]),
            recipients=tuple(envelope.rcpt_tos),
        )
        with self._lock:
            self._deliveries.append(delivery)
        await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def count(self) -> int:
        with self._lock:
            return len(self._deliveries)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[SlowRecorder, int]]:
    recorder = SlowRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


def check_deliveries(deliveries: list[Delivery], keys: list[str], settings: Settings) -> int:
    """Every job's message arrived, each Message-ID is its job's; returns the raw duplicates."""
    by_id: dict[str, set[str]] = defaultdict(set)
    for d in deliveries:
        by_id[d.message_id].add(d.key)
        assert d.message_id == notify_email.message_id(d.key, settings), d
        assert d.recipients == ("x@example.test",), d
    assert all(len(k) == 1 for k in by_id.values()), "a Message-ID carried two job keys"
    assert {d.key for d in deliveries} == set(keys), "some job's e-mail never arrived"
    assert len(by_id) == len(keys)
    return len(deliveries) - len(by_id)


# --------------------------------------------------------------------------------------------
# ``atende worker`` processes
# --------------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def check_running(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited early ({self.process.returncode}):\n{self.output()}")

    def stop(self) -> str:
        """SIGTERM, then its log once it has exited with status 0 (fails otherwise)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the worker ignored SIGTERM:\n{self.output()}")
        output = self.output()
        assert self.process.returncode == 0, output
        return output


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], WorkerProcess]]:
    """``spawn_worker(env) -> WorkerProcess``: ``atende worker`` in a child process with exactly
    ``env`` (its log in a file); any still running at the end is killed."""
    started: list[WorkerProcess] = []

    def spawn(env: dict[str, str]) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        command = [sys.executable, "-c", "from atende.cli import app; app()", "worker"]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(process, log)
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def worker_env(
    url: str, smtp_port: int, tmp_path: Path, *, lease_seconds: int | None = None
) -> dict[str, str]:
    """The environment of an ``atende worker`` (any ATENDE_* of the caller's is left out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    env |= {
        "ATENDE_DATABASE_URL": url,
        "ATENDE_DATA_DIR": str(tmp_path / "data"),
        "ATENDE_SECRET_KEY": SECRET,
        "ATENDE_BASE_URL": BASE_URL,
        "ATENDE_SMTP_HOST": "127.0.0.1",
        "ATENDE_SMTP_PORT": str(smtp_port),
        "ATENDE_WORKER_POLL_SECONDS": "0.1",
    }
    if lease_seconds is not None:
        env["ATENDE_JOB_LEASE_SECONDS"] = str(lease_seconds)
    return env


def pid_of(worker_name: str) -> int:
    """The process id in a worker's name (``host:pid:random``)."""
    return int(worker_name.rsplit(":", 2)[1])


# --------------------------------------------------------------------------------------------
# A killed worker loses nothing
# --------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_batch_loses_no_job_and_repeats_at_most_the_one_in_flight(
    scratch_db: Callable[[str], Scratch],
    smtp: tuple[SlowRecorder, int],
    spawn_worker: Callable[[dict[str, str]], WorkerProcess],
    tmp_path: Path,
) -> None:
    recorder, port = smtp
    db = scratch_db("kill")
    keys = [f"reliability:kill:{n}" for n in range(150)]
    enqueue_emails(db, keys)
    env = worker_env(db.url, port, tmp_path, lease_seconds=LEASE_SECONDS)

    first = spawn_worker(env)
    wait_for(lambda: recorder.count() >= 30, what="the first 30 e-mails", watch=[first])
    os.kill(first.pid, signal.SIGKILL)
    assert first.process.wait(timeout=10) == -signal.SIGKILL
    sent_before_kill = recorder.count()

    left = db.job_states()
    assert sent_before_kill < len(keys), "the worker finished before it could be killed"
    assert set(left) <= {"queued", "running", "done"}, left
    assert left["done"] < len(keys), left
    assert left["running"] > 0, f"the killed worker held no leased job: {left}"

    second = spawn_worker(env)
    wait_for(
        lambda: db.job_states()["done"] == len(keys),
        what=f"every job to be done after the restart (lease {LEASE_SECONDS} s)",
        watch=[second],
    )
    assert "Traceback" not in second.stop()

    assert db.job_states() == Counter({"done": len(keys)})
    deliveries = recorder.deliveries()
    duplicates = check_deliveries(deliveries, keys, settings_for(db.url, tmp_path))
    # A worker runs one job at a time: only the job in flight at the kill may be sent again.
    assert duplicates <= 1, (
        f"{duplicates} raw duplicate(s) received; at most 1 job was in flight at the kill"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(select(Job.idempotency_key, Job.attempts)).all()
    attempts: dict[str | None, int] = {key: n for key, n in rows}
    twice = [key for key, n in Counter(d.key for d in deliveries).items() if n > 1]
    assert all(attempts[key] == 2 for key in twice), (twice, attempts)
    print(
        f"\nSIGKILL after {sent_before_kill} of {len(keys)} e-mails (jobs then: {dict(left)}); "
        f"received {len(deliveries)} messages, {len(deliveries) - duplicates} distinct "
        f"Message-IDs, {duplicates} raw duplicate(s); "
        f"{sum(1 for n in attempts.values() if n > 1)} job(s) claimed twice"
    )


# --------------------------------------------------------------------------------------------
# Two workers never run the same job
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    job_id: int
    worker: str
    start: float
    end: float


RUNS: list[Run] = []
RUNS_LOCK = threading.Lock()


def _record_run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Each worker runs in a thread named after it: record which ran the job, and when."""
    start = time.monotonic()
    time.sleep(0.003)
    end = time.monotonic()
    with RUNS_LOCK:
        RUNS.append(Run(ctx.job_id, threading.current_thread().name, start, end))


registry.handler("test.concurrency")(_record_run)


def test_two_workers_in_threads_run_each_job_exactly_once(
    scratch_db: Callable[[str], Scratch], tmp_path: Path
) -> None:
    db = scratch_db("pair")
    count = 300
    with transaction(make_sessionmaker(db.engine)) as session:
        job_ids = {
            outbox.enqueue(session, "test.concurrency", idempotency_key=f"pair:{n}", n=n).id
            for n in range(count)
        }
    with RUNS_LOCK:
        RUNS.clear()

    settings = settings_for(db.url, tmp_path, worker_poll_seconds=0.05)
    engines = [make_engine(db.url), make_engine(db.url)]  # one pool each, as two processes
    workers = [
        Worker(settings, make_sessionmaker(eng), name=name, sweeps=[])
        for eng, name in zip(engines, ("worker-a", "worker-b"), strict=True)
    ]
    threads = [threading.Thread(target=w.run_forever, name=w.name) for w in workers]
    try:
        for thread in threads:
            thread.start()
        wait_for(lambda: db.job_states()["done"] == count, what=f"{count} jobs to be done")
    finally:
        for w in workers:
            w.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for eng in engines:
            eng.dispose()
    assert not any(t.is_alive() for t in threads)

    with RUNS_LOCK:
        runs = list(RUNS)
    by_job: dict[int, list[Run]] = defaultdict(list)
    for run in runs:
        by_job[run.job_id].append(run)
    overlapping = [
        (a, b)
        for job_runs in by_job.values()
        for i, a in enumerate(job_runs)
        for b in job_runs[i + 1 :]
        if a.worker != b.worker and a.start < b.end and b.start < a.end
    ]
    assert overlapping == [], f"a job ran in both workers at once: {overlapping[:3]}"
    twice = {job_id: len(r) for job_id, r in by_job.items() if len(r) > 1}
    assert twice == {}, f"jobs that ran more than once: {twice}"
    assert set(by_job) == job_ids
    per_worker = Counter(run.worker for run in runs)
    assert set(per_worker) == {"worker-a", "worker-b"}, f"jobs run per worker: {per_worker}"
    print(f"\njobs run per worker: {dict(per_worker)}")
    assert db.job_states() == Counter({"done": count})


def test_two_worker_processes_send_each_email_exactly_once(
    scratch_db: Callable[[str], Scratch],
    smtp: tuple[SlowRecorder, int],
    spawn_worker: Callable[[dict[str, str]], WorkerProcess],
    tmp_path: Path,
) -> None:
    recorder, port = smtp
    db = scratch_db("procs")
    keys = [f"reliability:procs:{n}" for n in range(200)]
    enqueue_emails(db, keys)
    # the default lease (300 s): no crash here, so no job may ever be claimed twice
    env = worker_env(db.url, port, tmp_path)
    workers = [spawn_worker(env), spawn_worker(env)]

    # Watch who holds leased jobs while they run (a worker's name carries its pid).
    holders_seen: set[int] = set()
    both_at_once = False

    def all_done() -> bool:
        nonlocal both_at_once
        with db.engine.connect() as conn:
            names = conn.execute(
                select(Job.locked_by).where(Job.state == "running").distinct()
            ).scalars()
            holders = {pid_of(name) for name in names if name is not None}
        holders_seen.update(holders)
        both_at_once = both_at_once or len(holders) == 2
        return db.job_states()["done"] == len(keys)

    wait_for(all_done, what=f"{len(keys)} jobs to be done", watch=workers)
    for w in workers:
        assert "Traceback" not in w.stop()

    deliveries = recorder.deliveries()
    duplicates = check_deliveries(deliveries, keys, settings_for(db.url, tmp_path))
    assert duplicates == 0, f"{duplicates} e-mail(s) sent twice without any crash"
    assert len(deliveries) == len(keys)
    assert holders_seen == {w.pid for w in workers}, (holders_seen, [w.pid for w in workers])
    assert both_at_once, "the two workers never held jobs at the same time"
    assert db.job_states() == Counter({"done": len(keys)})
