"""Admission (api/admission.py): at most N requests of a server process use the database at
once, the rest wait on the event loop; so more concurrent writes than worker threads all
complete instead of starving each other until a 30 s timeout (they did: 96 concurrent notes
on SQLite failed with "QueuePool limit ... reached")."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.api.admission import Admission, Busy, Slot
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.settings import Settings
from atende.tickets.models import Message, Ticket, TicketEvent
from tests.servers import running_server, seed_admin


async def _peak(admission: Admission, requests: int) -> int:
    """How many of ``requests`` concurrent requests held a slot at once, at most."""
    inside = peak = 0

    async def one() -> None:
        nonlocal inside, peak
        async with admission.slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(one() for _ in range(requests)))
    return peak


def test_no_more_than_the_limit_hold_a_slot_and_every_waiter_gets_one() -> None:
    assert asyncio.run(_peak(Admission(3), 50)) == 3


def test_a_paused_slot_lets_another_request_in_and_a_cancelled_wait_leaks_nothing() -> None:
    admission = Admission(1)

    async def main() -> list[str]:
        order: list[str] = []
        entered = asyncio.Event()

        async def uploader() -> None:
            async with admission.slot() as slot:
                async with slot.paused():  # the slow upload: the slot is free meanwhile
                    await entered.wait()
                order.append("uploader back")

        async def other() -> None:
            async with admission.slot():
                order.append("other in")
                entered.set()

        await asyncio.gather(uploader(), other())

        # a request cancelled while waiting to get its slot back gives back nothing twice
        paused, retaking = asyncio.Event(), asyncio.Event()

        async def cancelled() -> None:
            async with admission.slot() as slot:
                async with slot.paused():
                    paused.set()
                    await retaking.wait()
                order.append("never: the slot is not taken back")

        task = asyncio.create_task(cancelled())
        await paused.wait()
        async with admission.slot():  # the paused slot, taken by another request
            retaking.set()
            await asyncio.sleep(0.01)  # the task now waits to take a slot back
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        order.append(f"peak {await _peak(admission, 5)}")
        return order

    assert asyncio.run(main()) == ["other in", "uploader back", "peak 1"]


def test_a_request_that_waits_too_long_is_told_the_server_is_busy() -> None:
    admission = Admission(1, wait=0.05)

    async def main() -> None:
        async with admission.slot():
            with pytest.raises(Busy, match=r"no database slot freed within 0\.05 s"):
                async with admission.slot():
                    pass
        async with admission.slot():  # the one that gave up holds nothing
            pass

    asyncio.run(main())


def test_busy_is_answered_503_with_retry_after(app: Any, admin: Any) -> None:
    class Full(Admission):
        @asynccontextmanager
        async def slot(self) -> AsyncIterator[Slot]:
            raise Busy(30)
            yield  # pragma: no cover

    plain = app.state.admission
    app.state.admission = Full(1)
    try:
        answers = [
            admin.get("/api/v1/tickets"),
            admin.post("/api/v1/contacts", json={}),
            admin.post("/api/v1/tickets", json={"subject": "PDV"}),
            # an unreadable body of an unknown caller: the 401 check needs a slot too
            admin.post("/api/v1/tickets", content=b"{", headers={"Authorization": "x"}),
        ]
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
            assert answer.json()["code"] == "busy"
    finally:
        app.state.admission = plain


def test_a_slot_is_not_paused_with_a_transaction_open(db: Session) -> None:
    async def main() -> None:
        async with Admission(1).slot() as slot:
            db.execute(select(1))
            with pytest.raises(RuntimeError, match="transaction open"):
                async with slot.paused(db):
                    pass

    asyncio.run(main())


def test_the_limit_stays_below_the_worker_threads() -> None:
    with pytest.raises(ValueError, match="max_active_requests"):
        Settings(max_active_requests=40)
    with pytest.raises(ValueError, match="max_active_requests"):
        Admission(0)


CONCURRENT = 160  # more than a process's worker threads (40) and pooled connections


def test_more_concurrent_writes_than_threads_all_complete(server_url: str) -> None:
    token, queue_id = seed_admin(server_url)
    with running_server(server_url) as base:

        async def load() -> tuple[Counter[int], Counter[int]]:
            headers = {"Authorization": f"Bearer {token}"}
            # a new connection per request: a kept-alive one idle for 5 s while the others
            # finish may be closed by the server just as it is reused (a plain HTTP race)
            limits = httpx.Limits(max_connections=CONCURRENT * 2, max_keepalive_connections=0)
            async with httpx.AsyncClient(
                base_url=base, headers=headers, timeout=60, limits=limits
            ) as client:
                created = await asyncio.gather(
                    *(
                        client.post(
                            "/api/v1/tickets",
                            json={"subject": f"Pedido {n}", "queue_id": queue_id},
                        )
                        for n in range(CONCURRENT)
                    )
                )
                ids = [r.json()["id"] for r in created]
                notes = await asyncio.gather(
                    *(
                        client.post(
                            f"/api/v1/tickets/{tid}/messages",
                            json={"body": "Cliente retornou por telefone", "public": False},
                        )
                        for tid in ids
                    )
                )
                edits = await asyncio.gather(
                    *(
                        client.patch(f"/api/v1/tickets/{tid}", json={"priority": "high"})
                        for tid in ids
                    )
                )
            return Counter(r.status_code for r in notes), Counter(r.status_code for r in edits)

        notes, edits = asyncio.run(load())
    assert notes == {201: CONCURRENT}
    assert edits == {200: CONCURRENT}
    engine = make_engine(server_url)
    with transaction(make_sessionmaker(engine)) as session:
        stored_notes = session.scalar(
            select(func.count()).select_from(Message).where(Message.public.is_(False))
        )
        high = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.priority == "high")
        )
        kinds = Counter(session.scalars(select(TicketEvent.kind)).all())
    engine.dispose()
    assert stored_notes == CONCURRENT
    assert high == CONCURRENT
    assert kinds["priority"] == CONCURRENT


def test_a_slow_import_upload_holds_up_no_other_write(server_url: str) -> None:
    """The import reads its body after authenticating: the authentication's transaction ends
    first and the request gives its admission slot back, so neither SQLite's write slot nor
    the only admission slot (one process, ``ATENDE_MAX_ACTIVE_REQUESTS=1``) is held while a
    slow client sends lines."""
    token, _ = seed_admin(server_url)
    with running_server(server_url, workers=1, ATENDE_MAX_ACTIVE_REQUESTS="1") as base:

        async def run() -> list[str]:
            finished: list[str] = []
            edit_done = asyncio.Event()
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
                ticket = (await client.post("/api/v1/tickets", json={"subject": "Boleto"})).json()

                async def slow_lines() -> AsyncIterator[bytes]:
                    for n in range(3):
                        yield (json.dumps({"subject": f"Importado {n}"}) + "\n").encode()
                        if n == 0:  # the upload is under way: another write must go through
                            await asyncio.wait_for(edit_done.wait(), timeout=20)

                async def importer() -> None:
                    r = await client.post(
                        "/api/v1/tickets/import",
                        content=slow_lines(),
                        headers={"Content-Type": "application/x-ndjson"},
                    )
                    assert r.status_code == 200, r.text
                    assert r.json()["created"] == 3, r.text
                    finished.append("import")

                async def edit() -> None:
                    await asyncio.sleep(0.3)  # after the import has authenticated
                    r = await client.patch(
                        f"/api/v1/tickets/{ticket['id']}", json={"priority": "urgent"}
                    )
                    assert r.status_code == 200, r.text
                    finished.append("edit")
                    edit_done.set()

                await asyncio.gather(importer(), edit())
            return finished

        assert asyncio.run(run()) == ["edit", "import"]
