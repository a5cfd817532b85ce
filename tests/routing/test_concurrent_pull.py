"""Two agents pulling from one queue at the same instant never get the same ticket: real
concurrent HTTP requests to `atende serve` (two processes) on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from atende.agents.models import AgentPresence, User
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember
from atende.tickets.models import Ticket
from tests.conftest import scratch_postgres, test_db_kind

pytestmark = pytest.mark.skipif(
    test_db_kind() != "postgres",
    reason="PostgreSQL only: concurrent pulls by several server processes (SKIP LOCKED); "
    "SQLite serialises writers",
)

AGENTS = 6
TICKETS = 40
CAPACITY = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    with scratch_postgres(database_url, "pull") as url:
        yield url


def _seed(url: str) -> tuple[int, list[str], list[int]]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    tokens: list[str] = []
    with transaction(sessions) as session:
        queue = Queue(name="Suporte N1", description="", default_max_open_tickets=CAPACITY)
        session.add(queue)
        session.flush()
        for i in range(AGENTS):
            user = User(name=f"Agente {i}", email=f"agente{i}@solis.example", role="agent")
            session.add(user)
            session.flush()
            session.add(QueueMember(queue_id=queue.id, user_id=user.id))
            session.add(AgentPresence(user_id=user.id, status="online", since=now))
            _, secret = auth_service.create_token(session, user=user, name="pull", now=now)
            tokens.append(secret)
        for i in range(TICKETS):
            session.add(
                Ticket(subject=f"Chamado {i}", status="new", channel="email", queue_id=queue.id,
                       created_at=now, updated_at=now, queue_entered_at=now, timeline_count=0)
            )  # fmt: skip
        queue_id = queue.id
    with transaction(sessions) as session:
        ids = list(session.scalars(select(Ticket.id).order_by(Ticket.id)))
    engine.dispose()
    return queue_id, tokens, ids


def _serve(
    url: str, port: int, data_dir: Path, workers: int = 2, **settings: str
) -> subprocess.Popen[bytes]:
    """`atende serve` on ``url`` at ``port`` with its own ``data_dir`` (a test's tmp_path:
    servers of parallel test processes share no directory)."""
    env = dict(os.environ, ATENDE_DATABASE_URL=url, ATENDE_RUN_WORKER="false", **settings)
    env["ATENDE_DATA_DIR"] = str(data_dir)
    cli = [sys.executable, "-c", "from atende.cli import app; app()"]
    cmd = [*cli, "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"server exited: {err[-2000:]}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start in 60 s")


def test_concurrent_pulls_never_hand_one_ticket_to_two_agents(
    scratch_url: str, tmp_path: Path
) -> None:
    queue_id, tokens, ticket_ids = _seed(scratch_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(scratch_url, port, tmp_path / "data")
    try:
        _wait_up(base, proc)

        def pull(token: str) -> list[tuple[int, Any]]:
            got = []
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
                for _ in range(CAPACITY + 2):  # more than the capacity allows
                    r = c.post(f"/api/v1/queues/{queue_id}/next", timeout=30)
                    got.append((r.status_code, r.json()["id"] if r.status_code == 200 else None))
            return got

        with ThreadPoolExecutor(max_workers=AGENTS) as pool:
            results = list(pool.map(pull, tokens))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    statuses = Counter(code for agent in results for code, _ in agent)
    taken = [tid for agent in results for code, tid in agent if code == 200]
    assert statuses[500] == 0, statuses
    assert len(taken) == len(set(taken)), "a ticket was handed to two agents"
    assert len(taken) == min(TICKETS, AGENTS * CAPACITY), (statuses, results)
    assert all(sum(1 for c, _ in agent if c == 200) == CAPACITY for agent in results)
    assert statuses[409] == AGENTS * 2  # each told clearly it is at capacity
    engine = make_engine(scratch_url)
    with transaction(make_sessionmaker(engine)) as session:
        owners = {i: a for i, a in session.execute(select(Ticket.id, Ticket.assignee_id))}
    engine.dispose()
    assert sorted(t for t, o in owners.items() if o is not None) == sorted(taken)
    assert set(owners) == set(ticket_ids)
