"""The job worker: claims due jobs from the table, runs them, retries with backoff, parks the
hopeless ones as dead; and runs the periodic sweeps (SLA deadlines, auto-close, time rules).

Delivery is at least once: a job is claimed with a lease (``locked_until``); a worker that dies
mid-job (SIGKILL, power cut) leaves it ``running`` until the lease runs out, then any worker
claims it again. Handlers make the effect exactly once with the job's idempotency key.

On PostgreSQL any number of workers run at once: the claim takes rows ``FOR UPDATE SKIP
LOCKED``, so two workers never hold the same job. On SQLite a claim is one ``BEGIN IMMEDIATE``
transaction, so concurrent workers are safe too, just serialised.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from atende.channels import imap_idle, imap_poll
from atende.db.base import utcnow
from atende.db.engine import transaction
from atende.jobs import registry, repository
from atende.jobs.models import Job
from atende.jobs.registry import JobContext, PermanentFailure
from atende.reports import rollup
from atende.routing import presence
from atende.settings import Settings
from atende.stream import sweeps as stream_sweeps
from atende.tickets import text_index
from atende.workflows import inbound, sweeps
from atende.workflows import surveys as survey_workflows

log = logging.getLogger("atende.worker")

BATCH = 20
MAX_BACKOFF = timedelta(hours=1)
MAX_ERROR_CHARS = 4000

Sweep = Callable[[sessionmaker[Session], datetime], int]


@dataclass
class Periodic:
    name: str
    every: float
    run: Sweep
    last: float = field(default=float("-inf"))


def backoff(attempt: int) -> timedelta:
    """Delay before retry number ``attempt`` (1-based): 10 s, 20 s, 40 s, ... up to 1 h, ±10 %."""
    base = min(10 * 2 ** (attempt - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.9, 1.1))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


def default_sweeps(settings: Settings | None = None) -> list[Periodic]:
    """The periodic sweeps every worker runs (each is safe to run in several workers at once)."""
    timeout = (
        settings.presence_timeout_minutes
        if settings is not None
        else presence.DEFAULT_TIMEOUT_MINUTES
    )
    threads = settings.sweep_threads if settings is not None else sweeps.SWEEP_THREADS
    retention = (
        settings.stream_retention_days
        if settings is not None
        else stream_sweeps.DEFAULT_RETENTION_DAYS
    )
    return [
        Periodic("sla", 1.0, partial(sweeps.sla_deadlines, threads=threads)),
        Periodic("auto_close", 5.0, sweeps.auto_close),
        Periodic("time_rules", 60.0, sweeps.time_rules),
        Periodic("absences", 30.0, sweeps.absences_due),
        Periodic("presence_idle", 60.0, partial(sweeps.presence_idle, timeout_minutes=timeout)),
        Periodic("text_index", 1.0, text_index.sweep),
        Periodic("report_rollup", 5.0, rollup.sweep),
        *channel_sweeps(settings),
        Periodic("stream_webhooks", 1.0, stream_sweeps.deliver_webhooks),
        Periodic("chat_idle", 30.0, sweeps.end_idle_chats),
        Periodic("stream_prune", 3600.0, partial(stream_sweeps.prune, retention_days=retention)),
        *_survey_sweeps(settings),
    ]


def _survey_sweeps(settings: Settings | None) -> list[Periodic]:
    """Relationship NPS campaigns and their reminders (they sign links: need the settings), and
    the weekly report digests (they link to the dashboards)."""
    if settings is None:
        return []
    return [
        Periodic(
            "survey_campaigns", 60.0, partial(survey_workflows.campaigns_due, settings=settings)
        ),
        Periodic(
            "survey_reminders", 300.0, partial(survey_workflows.reminders_due, settings=settings)
        ),
        Periodic("report_digests", 300.0, partial(survey_workflows.digests_due, settings=settings)),
    ]


def channel_sweeps(settings: Settings | None) -> list[Periodic]:
    """The inbound pipeline's sweeps (docs/channels.md): ingest the queued items, poll IMAP."""
    if settings is None:
        return []
    return [  # a poll's messages are ingested in the same round
        Periodic("imap", settings.imap_poll_seconds, partial(imap_poll.sweep, settings=settings)),
        Periodic("inbound", 0.5, partial(inbound.sweep, settings=settings)),
    ]


class Worker:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        name: str | None = None,
        sweeps: list[Periodic] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.name = name or worker_name()
        self.sweeps = default_sweeps(settings) if sweeps is None else sweeps
        self.clock = clock
        self.stop = threading.Event()
        dialect = sessions.kw["bind"].dialect.name if "bind" in sessions.kw else "sqlite"
        self.skip_locked = dialect == "postgresql"
        self.watchers: imap_idle.Watchers | None = None  # while it runs (run_forever)

    # --- jobs ------------------------------------------------------------------------------

    def claim(self, limit: int = BATCH) -> list[Job]:
        now = self.clock()
        until = now + timedelta(seconds=self.settings.job_lease_seconds)
        with transaction(self.sessions) as session:
            repository.bury_exhausted(session, now=now, max_attempts=self.settings.job_max_attempts)
            ids = repository.claimable_ids(
                session, now=now, limit=limit, skip_locked=self.skip_locked
            )
            if not ids:
                return []
            jobs = list(repository.mark_running(session, ids, worker=self.name, until=until))
            for job in jobs:
                session.expunge(job)
            return jobs

    def run_job(self, job: Job) -> str:
        """Run one claimed job; returns its new state (done, queued for retry, dead)."""
        handler = registry.get(job.kind)
        error: str | None = None
        permanent = False
        retry_after: float | None = None
        if handler is None:
            error, permanent = f"no handler for job kind {job.kind!r}", True
        else:
            ctx = JobContext(
                settings=self.settings,
                sessions=self.sessions,
                job_id=job.id,
                kind=job.kind,
                key=job.idempotency_key or f"job-{job.id}",
                attempt=job.attempts,
            )
            try:
                handler(ctx, dict(job.payload or {}))
            except PermanentFailure as exc:
                error, permanent = f"{type(exc).__name__}: {exc}", True
            except Exception as exc:  # any failure is retried; the traceback is kept
                error = "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]
                hint = getattr(exc, "retry_after", None)  # e.g. HTTP Retry-After, Telegram 429
                if isinstance(hint, int | float) and hint > 0:
                    retry_after = float(min(hint, MAX_BACKOFF.total_seconds()))
        now = self.clock()
        if error is None:
            values: dict[str, object] = {
                "state": "done", "finished_at": now, "locked_by": None, "locked_until": None,
                "last_error": "",
            }  # fmt: skip
        elif permanent or job.attempts >= self.settings.job_max_attempts:
            values = {
                "state": "dead", "finished_at": now, "locked_by": None, "locked_until": None,
                "last_error": error[-MAX_ERROR_CHARS:],
            }  # fmt: skip
        else:
            delay = backoff(job.attempts)
            if retry_after is not None:
                delay = max(delay, timedelta(seconds=retry_after))
            values = {
                "state": "queued", "run_at": now + delay, "locked_by": None,
                "locked_until": None, "last_error": error,
            }  # fmt: skip
        with transaction(self.sessions) as session:
            held = repository.finish(session, job.id, worker=self.name, values=values)
        state = str(values["state"])
        if error is not None:
            log.warning("job %s (%s) attempt %s failed -> %s: %s", job.id, job.kind,
                        job.attempts, state, error.strip().splitlines()[-1])  # fmt: skip
        if not held:
            log.warning("job %s: lease lost before it finished (another worker took it)", job.id)
        return state

    def run_due_jobs(self, limit: int = BATCH) -> int:
        """Claim and run one batch; returns how many jobs ran."""
        jobs = self.claim(limit)
        self.run_claimed(jobs)
        return len(jobs)

    def run_claimed(self, jobs: list[Job]) -> None:
        for job in jobs:
            if self.stop.is_set():
                self._release(job)
                continue
            # the batch shares one lease: renew it for this job, or skip a job another worker
            # took over meanwhile (running it here too would double its effect)
            until = self.clock() + timedelta(seconds=self.settings.job_lease_seconds)
            with transaction(self.sessions) as session:
                held = repository.renew(session, job.id, worker=self.name, until=until)
            if held:
                self.run_job(job)
            else:
                log.warning("job %s: lease taken over by another worker; not run here", job.id)

    def _release(self, job: Job) -> None:
        """Give back a claimed job not started (shutting down): not an attempt."""
        with transaction(self.sessions) as session:
            repository.finish(
                session, job.id, worker=self.name,
                values={"state": "queued", "locked_by": None, "locked_until": None,
                        "attempts": max(job.attempts - 1, 0)},
            )  # fmt: skip

    # --- sweeps ----------------------------------------------------------------------------

    def run_sweeps(self, monotonic: float, *, force: bool = False) -> dict[str, int]:
        done: dict[str, int] = {}
        for sweep in self.sweeps:
            if not force and monotonic - sweep.last < sweep.every:
                continue
            sweep.last = monotonic
            try:
                done[sweep.name] = sweep.run(self.sessions, self.clock())
            except Exception:
                log.exception("sweep %s failed (it runs again next time)", sweep.name)
        return done

    def drain(self, *, rounds: int = 50) -> int:
        """Run sweeps and jobs until nothing is due (tests, ``atende jobs run``)."""
        total = 0
        for _ in range(rounds):
            self.run_sweeps(time.monotonic(), force=True)
            ran = self.run_due_jobs()
            total += ran
            if ran == 0:
                break
        return total

    # --- loop ------------------------------------------------------------------------------

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        watchers = self._watch_mailboxes()
        try:
            self._loop()
        finally:
            if watchers is not None:
                watchers.close()
        log.info("worker %s stopped", self.name)

    def _watch_mailboxes(self) -> imap_idle.Watchers | None:
        """A running worker watches the mailboxes (IDLE, or a poll of its own where the server
        has none) instead of polling them all in its ``imap`` sweep, which then only keeps
        the watchers in step with the mailboxes (``channels/imap_idle.py``)."""
        for sweep in self.sweeps:
            if sweep.name == "imap":
                watchers = imap_idle.Watchers(self.settings, self.sessions, clock=self.clock)
                sweep.run, sweep.every = watchers.look, imap_idle.LOOK_SECONDS
                self.watchers = watchers
                return watchers
        return None

    def _loop(self) -> None:
        while not self.stop.is_set():
            busy = False
            try:
                self.run_sweeps(time.monotonic())
                busy = self.run_due_jobs() > 0
            except Exception:
                log.exception("worker %s: round failed; retrying shortly", self.name)
            if not busy:
                self.stop.wait(self.settings.worker_poll_seconds)


def start_in_thread(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, name=f"atende-worker-{worker.name}")
    thread.daemon = True
    thread.start()
    return thread
