"""The durable job worker: outbox, claims, retries with backoff, dead jobs, API and CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.jobs import outbox, registry
from atende.jobs.models import Job
from atende.jobs.registry import JobContext, PermanentFailure
from atende.worker import Worker
from tests.jobs.conftest import Clock

CALLS: list[tuple[str, dict[str, Any], int]] = []


@registry.handler("test.ok")
def _ok(ctx: JobContext, payload: dict[str, Any]) -> None:
    CALLS.append((ctx.key, payload, ctx.attempt))


@registry.handler("test.flaky")
def _flaky(ctx: JobContext, payload: dict[str, Any]) -> None:
    CALLS.append((ctx.key, payload, ctx.attempt))
    if ctx.attempt < int(payload["succeed_on"]):
        raise ConnectionError(f"attempt {ctx.attempt}: server unreachable")


@registry.handler("test.hopeless")
def _hopeless(ctx: JobContext, payload: dict[str, Any]) -> None:
    CALLS.append((ctx.key, payload, ctx.attempt))
    raise PermanentFailure("address rejected: nobody@invalid")


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def _job(db: Session, job_id: int) -> Job:
    db.expire_all()
    job = db.get(Job, job_id)
    assert job is not None
    return job


def test_a_job_runs_once_and_is_done(db: Session, make_worker: Callable[..., Worker]) -> None:
    job = outbox.enqueue(db, "test.ok", idempotency_key="reply:1", ticket_id=7, n=1)
    db.commit()
    worker = make_worker(sweeps=[])
    assert worker.run_due_jobs() == 1
    assert CALLS == [("reply:1", {"ticket_id": 7, "n": 1}, 1)]
    done = _job(db, job.id)
    assert (done.state, done.attempts, done.ticket_id) == ("done", 1, 7)
    assert done.finished_at is not None and done.locked_by is None
    assert worker.run_due_jobs() == 0
    assert len(CALLS) == 1


def test_a_job_exists_only_if_its_transaction_commits(
    db: Session, make_worker: Callable[..., Worker]
) -> None:
    outbox.enqueue(db, "test.ok", idempotency_key="rolled-back")
    db.rollback()
    assert make_worker(sweeps=[]).run_due_jobs() == 0
    assert CALLS == []


def test_the_same_idempotency_key_is_enqueued_once(db: Session) -> None:
    first = outbox.enqueue(db, "test.ok", idempotency_key="notify:9")
    second = outbox.enqueue(db, "test.ok", idempotency_key="notify:9")
    db.flush()
    assert first.id == second.id
    assert len(db.scalars(select(Job).where(Job.idempotency_key == "notify:9")).all()) == 1


def test_a_job_not_due_yet_waits(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    outbox.enqueue(db, "test.ok", run_at=clock.now + timedelta(minutes=5))
    db.commit()
    worker = make_worker(sweeps=[])
    assert worker.run_due_jobs() == 0
    clock.now += timedelta(minutes=5)
    assert worker.run_due_jobs() == 1


def test_failures_retry_with_growing_backoff_then_succeed(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    job = outbox.enqueue(db, "test.flaky", succeed_on=3)
    db.commit()
    worker = make_worker(sweeps=[])
    delays = []
    for attempt in (1, 2):
        assert worker.run_due_jobs() == 1
        row = _job(db, job.id)
        assert row.state == "queued" and row.attempts == attempt
        assert f"attempt {attempt}: server unreachable" in row.last_error
        delays.append((row.run_at - clock.now).total_seconds())
        assert worker.run_due_jobs() == 0  # not before its backoff
        clock.now = row.run_at
    assert 9 <= delays[0] <= 11 and 18 <= delays[1] <= 22
    assert worker.run_due_jobs() == 1
    row = _job(db, job.id)
    assert (row.state, row.attempts, row.last_error) == ("done", 3, "")


def test_after_max_attempts_a_job_is_dead_and_can_be_retried(
    db: Session, make_worker: Callable[..., Worker], clock: Clock, admin: Any
) -> None:
    job = outbox.enqueue(db, "test.flaky", succeed_on=99)
    db.commit()
    worker = make_worker(sweeps=[])
    for _ in range(worker.settings.job_max_attempts):
        assert worker.run_due_jobs() == 1
        clock.now += timedelta(hours=2)
    row = _job(db, job.id)
    assert row.state == "dead" and row.attempts == worker.settings.job_max_attempts
    assert "server unreachable" in row.last_error

    dead = admin.get("/api/v1/jobs?state=dead").json()["items"]
    assert [j["id"] for j in dead] == [job.id]
    assert admin.get("/api/v1/jobs/counts").json()["dead"] == 1
    r = admin.post(f"/api/v1/jobs/{job.id}/retry")
    assert r.status_code == 200 and r.json()["state"] == "queued"
    assert admin.post(f"/api/v1/jobs/{job.id}/retry").status_code == 200  # still queued: fine


def test_a_permanent_failure_is_dead_at_once(
    db: Session, make_worker: Callable[..., Worker]
) -> None:
    job = outbox.enqueue(db, "test.hopeless")
    db.commit()
    make_worker(sweeps=[]).run_due_jobs()
    row = _job(db, job.id)
    assert row.state == "dead" and row.attempts == 1
    assert "address rejected: nobody@invalid" in row.last_error


def test_an_unknown_kind_is_dead_with_a_clear_error(
    db: Session, make_worker: Callable[..., Worker]
) -> None:
    job = outbox.enqueue(db, "no.such.kind")
    db.commit()
    make_worker(sweeps=[]).run_due_jobs()
    row = _job(db, job.id)
    assert row.state == "dead" and "no handler for job kind 'no.such.kind'" in row.last_error


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    job = outbox.enqueue(db, "test.ok", idempotency_key="lease")
    db.commit()
    dead_worker = make_worker(sweeps=[], name="died")
    claimed = dead_worker.claim()
    assert [j.id for j in claimed] == [job.id]  # ... and then the process was killed
    other = make_worker(sweeps=[], name="other")
    assert other.run_due_jobs() == 0  # still leased
    clock.now += timedelta(seconds=other.settings.job_lease_seconds + 1)
    assert other.run_due_jobs() == 1
    assert CALLS == [("lease", {}, 2)]  # the same key: the receiver can de-duplicate
    assert _job(db, job.id).state == "done"


def test_retrying_a_done_job_is_refused_and_jobs_are_admin_only(
    db: Session, make_worker: Callable[..., Worker], admin: Any, make_user: Any
) -> None:
    job = outbox.enqueue(db, "test.ok", secret="s3cr3t", url="https://hooks.example/x")
    db.commit()
    make_worker(sweeps=[]).run_due_jobs()
    r = admin.post(f"/api/v1/jobs/{job.id}/retry")
    assert r.status_code == 409 and "done" in r.json()["detail"]
    shown = admin.get(f"/api/v1/jobs/{job.id}").json()
    assert shown["payload"] == {"secret": "***", "url": "https://hooks.example/***"}
    supervisor = make_user("supervisor")
    assert supervisor.get("/api/v1/jobs").status_code == 403
    assert admin.get("/api/v1/jobs/999999").status_code == 404
    assert admin.get("/api/v1/jobs?state=bogus").status_code == 422


def test_stopping_gives_back_claimed_jobs_not_started(
    db: Session, make_worker: Callable[..., Worker]
) -> None:
    ids = [outbox.enqueue(db, "test.ok", n=i).id for i in range(3)]
    db.commit()
    worker = make_worker(sweeps=[])
    worker.stop.set()
    worker.run_due_jobs()
    assert CALLS == []
    rows = [_job(db, i) for i in ids]
    assert {(r.state, r.attempts, r.locked_by) for r in rows} == {("queued", 0, None)}


class _SlowDown(Exception):
    retry_after = 600


@registry.handler("test.rate_limited")
def _rate_limited(ctx: JobContext, payload: dict[str, Any]) -> None:
    raise _SlowDown("429 Too Many Requests")


def test_a_retry_after_hint_from_the_receiver_is_honoured(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    job = outbox.enqueue(db, "test.rate_limited")
    db.commit()
    make_worker(sweeps=[]).run_due_jobs()
    row = _job(db, job.id)
    assert row.state == "queued"
    assert (row.run_at - clock.now).total_seconds() >= 600  # not the 10 s default backoff


ORDER: list[int] = []
MEANWHILE: list[Callable[[], None]] = []


@registry.handler("test.slow")
def _slow(ctx: JobContext, payload: dict[str, Any]) -> None:
    ORDER.append(int(payload["n"]))
    while MEANWHILE:  # what happens elsewhere while this job runs
        MEANWHILE.pop()()


def test_a_job_left_waiting_in_a_batch_past_its_lease_is_not_run_twice(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    ORDER.clear()
    for n in range(2):
        outbox.enqueue(db, "test.slow", n=n)
    db.commit()
    first = make_worker(sweeps=[], name="first")
    second = make_worker(sweeps=[], name="second")

    lease = first.settings.job_lease_seconds
    jobs = first.claim()  # both jobs, one lease
    clock.now += timedelta(seconds=lease - 10)  # job 0 starts late in that lease (renewed)

    def job_0_runs_20_seconds() -> None:
        clock.now += timedelta(seconds=20)
        assert second.run_due_jobs() == 1  # job 1's lease ran out: another worker takes it

    MEANWHILE.append(job_0_runs_20_seconds)
    first.run_claimed(jobs)  # runs job 0, then must skip job 1
    assert ORDER == [0, 1]


def test_a_job_that_kills_its_worker_every_time_ends_dead(
    db: Session, make_worker: Callable[..., Worker], clock: Clock
) -> None:
    job = outbox.enqueue(db, "test.ok", idempotency_key="crasher")
    db.commit()
    for attempt in range(make_worker(sweeps=[]).settings.job_max_attempts):
        dying = make_worker(sweeps=[], name=f"dies-{attempt}")
        assert [j.id for j in dying.claim()] == [job.id]  # ... and the process is killed
        clock.now += timedelta(seconds=dying.settings.job_lease_seconds + 1)
    assert make_worker(sweeps=[]).run_due_jobs() == 0
    row = _job(db, job.id)
    assert row.state == "dead" and "stopped (crash or kill) on every attempt" in row.last_error
    assert CALLS == []
