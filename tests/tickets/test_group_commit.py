"""Group commit of quick creations (tickets/quick.py, `GroupWriter`): concurrent requests'
drafts are written together, each request gets its own answer, a batch that fails is redone
in full by each of its requests; and many concurrent creations over HTTP against two server
processes all land, complete, with distinct numbers."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.customers.models import Contact
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.tickets import quick
from atende.tickets.models import Message, Ticket, TicketEvent
from tests.conftest import test_db_kind
from tests.servers import running_server, seed_admin


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
    sessions = make_sessionmaker(make_engine("sqlite://"))

    async def many() -> list[bool]:
        async def one(n: int) -> bool:
            await asyncio.sleep(0.001 * (n % 5))
            drafted: Any = SimpleNamespace(actor="a", n=n)
            return await writer.write_async(
                sessions,  # the writes are faked: nothing but an empty commit reaches it
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

    # no connection to be had for a batch (a pool timeout): that batch is redone in full,
    # and the batches after it are written as usual
    monkeypatch.setattr(quick, "write", slow_write)
    engine = sessions.kw["bind"]
    plain_connect = engine.connect
    refused: list[int] = []

    def connect_once_refused() -> Any:
        if not refused:
            refused.append(1)
            time.sleep(0.05)  # meanwhile the other requests queue their drafts
            raise TimeoutError("QueuePool limit reached, connection timed out")
        return plain_connect()

    monkeypatch.setattr(engine, "connect", connect_once_refused)
    answers = asyncio.run(many())
    assert refused and False in answers and answers.count(True) > 30
    assert asyncio.run(many()) == [True] * 40


CLIENTS = 12
EACH = 20
FULL_CLIENTS = 48


def test_concurrent_creations_over_http_all_land_complete(server_url: str) -> None:
    token, queue_id = seed_admin(server_url)
    with running_server(server_url) as base:

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
    assert Counter(code for code, _ in results) == {201: CLIENTS * EACH}
    assert Counter(full) == {201: FULL_CLIENTS * 3}
    ids = [tid for _, tid in results]
    assert len(set(ids)) == CLIENTS * EACH
    engine = make_engine(server_url)
    sessions = make_sessionmaker(engine)
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


def test_a_batch_waiting_on_a_row_lock_holds_up_the_next_creations_briefly(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a batch whose contact is locked by a long transaction gives up after
    `quick.BATCH_LOCK_TIMEOUT` and its request waits on its own (full path), so a creation for
    another contact, queued behind it in the same process, is written meanwhile."""
    if test_db_kind() != "postgres":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer, decision 0007)")
    import psycopg

    from tests.test_cli import api

    monkeypatch.setattr(quick, "BATCH_LOCK_TIMEOUT", 0.3)
    engine = make_engine(server_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        user = User(name="Ana", email="ana@solis.example", role="admin")
        locked, free = Contact(name="Bia"), Contact(name="Caio")
        session.add_all([user, locked, free])
        session.flush()
        _, token = auth_service.create_token(session, user=user, name="load", now=utcnow())
        locked_id, free_id = locked.id, free.id
    engine.dispose()
    with api(server_url, tmp_path, token) as client, ThreadPoolExecutor(2) as pool:
        for contact in (locked_id, free_id):  # this process knows both contacts now
            made = client.post("/api/v1/tickets", json={"subject": "Oi", "contact_id": contact})
            assert made.status_code == 201, made.text
        holder = psycopg.connect(server_url.replace("+psycopg", ""))
        try:
            holder.execute("SELECT id FROM contacts WHERE id = %s FOR UPDATE", (locked_id,))
            waiting = pool.submit(
                client.post, "/api/v1/tickets", json={"subject": "NF", "contact_id": locked_id}
            )
            time.sleep(0.1)  # its batch is waiting for the lock
            other = pool.submit(
                client.post, "/api/v1/tickets", json={"subject": "PIX", "contact_id": free_id}
            )
            assert other.result(timeout=20).status_code == 201  # while the lock is still held
            assert not waiting.done()  # that one waits for the lock, on its own
        finally:
            holder.rollback()
            holder.close()
        assert waiting.result(timeout=20).status_code == 201
    with transaction(sessions) as session:
        subjects = Counter(session.scalars(select(Ticket.subject)).all())
    assert subjects == {"Oi": 2, "NF": 1, "PIX": 1}
