"""Group commit of quick creations (tickets/quick.py, `GroupWriter`): concurrent requests'
drafts are written together, each request gets its own answer, a batch that fails is redone
in full by each of its requests; and many concurrent creations over HTTP against two server
processes all land, complete, with distinct numbers."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue
from atende.tickets import quick
from atende.tickets.models import Message, Ticket, TicketEvent
from tests.conftest import scratch_postgres, test_db_kind
from tests.routing.test_concurrent_pull import _free_port, _serve, _wait_up


class _FakeSession:
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


def test_requests_on_an_event_loop_wait_for_their_batch_without_a_thread_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    batches: list[list[int]] = []

    def slow_write(session: Any, drafts: Any) -> list[Any]:
        batches.append([d.n for d in drafts])
        time.sleep(0.01)
        return list(drafts)

    monkeypatch.setattr(quick, "write", slow_write)
    writer = quick.GroupWriter()

    async def many() -> list[bool]:
        async def one(n: int) -> bool:
            await asyncio.sleep(0.001 * (n % 5))
            drafted: Any = SimpleNamespace(actor="a", n=n)
            return await writer.write_async(
                _FakeSession,  # type: ignore[arg-type]
                drafted,
                touches=None,
                apply_touches=lambda session, touches: None,
            )

        return await asyncio.gather(*(one(n) for n in range(40)))

    assert asyncio.run(many()) == [True] * 40
    assert sorted(n for batch in batches for n in batch) == list(range(40))
    assert len(batches) < 40  # written in groups
    monkeypatch.setattr(quick, "write", lambda session, drafts: None)  # copies changed
    assert asyncio.run(many()) == [False] * 40  # then redone in full by each request

    def failing_write(session: Any, drafts: Any) -> list[Any]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(quick, "write", failing_write)
    assert asyncio.run(many()) == [False] * 40


@pytest.fixture
def server_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if test_db_kind() == "sqlite":
        yield f"sqlite:///{tmp_path / 'group.db'}"
        return
    with scratch_postgres(database_url, "group") as url:
        yield url


CLIENTS = 12
EACH = 20
FULL_CLIENTS = 48


def test_concurrent_creations_over_http_all_land_complete(server_url: str) -> None:
    engine = make_engine(server_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        user = User(name="Ana", email="ana@solis.example", role="admin")
        queue = Queue(name="Suporte N1", description="")
        session.add_all([user, queue])
        session.flush()
        _, token = auth_service.create_token(session, user=user, name="load", now=utcnow())
        queue_id = queue.id
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(server_url, port)
    try:
        _wait_up(base, proc)

        def create(n: int) -> list[tuple[int, int | None]]:
            got = []
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
                for i in range(EACH):
                    body = {"subject": f"Cliente {n} chamado {i}", "body": "Não emite NF-e",
                            "channel": "chat", "queue_id": queue_id, "tags": [f"c{n}"]}  # fmt: skip
                    r = c.post("/api/v1/tickets", json=body, timeout=60)
                    got.append((r.status_code, r.json().get("id")))
            return got

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = [x for part in pool.map(create, range(CLIENTS)) for x in part]

        def full_path(n: int) -> list[int]:  # a new requester each: the route and the use case
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
                return [
                    c.post("/api/v1/tickets", timeout=60, json={
                        "subject": f"Novo cliente {n}.{i}", "queue_id": queue_id,
                        "requester": {"name": f"Cliente {n}", "email": f"c{n}.{i}@loja.example"},
                    }).status_code
                    for i in range(3)
                ]  # fmt: skip

        # more requests at once than a server process has pooled connections: none may wait
        # for a second connection while holding one (the pool would run dry: 500 after 30 s)
        with ThreadPoolExecutor(max_workers=FULL_CLIENTS) as pool:
            full = [x for part in pool.map(full_path, range(FULL_CLIENTS)) for x in part]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert Counter(code for code, _ in results) == {201: CLIENTS * EACH}
    assert Counter(full) == {201: FULL_CLIENTS * 3}
    ids = [tid for _, tid in results]
    assert len(set(ids)) == CLIENTS * EACH
    with transaction(sessions) as session:
        counts = dict(
            session.execute(
                select(Ticket.timeline_count, func.count()).group_by(Ticket.timeline_count)
            ).all()
        )
        events = session.scalar(select(func.count()).select_from(TicketEvent))
        messages = session.scalar(select(func.count()).select_from(Message))
    engine.dispose()
    # each: the created event, the opening message (if any), the SLA policy event
    assert counts == {3: CLIENTS * EACH, 2: FULL_CLIENTS * 3}
    assert events == 2 * (CLIENTS * EACH + FULL_CLIENTS * 3)
    assert messages == CLIENTS * EACH
