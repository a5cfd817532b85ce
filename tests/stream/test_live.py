"""The live stream across real server processes: events caused through one process reach
streams opened on another, each exactly once and in order, through a crash and restart of
either; nothing a reader may not read reaches them (an agent never sees another queue's
events, a contact never an internal note or another organization's ticket)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.stream.support import (
    V1,
    Listener,
    Received,
    Seeded,
    Server,
    seed,
    stream_rows,
    tickets_where,
    wait_until,
)

pytestmark = pytest.mark.slow


class Writer:
    """Changes made through one server with the admin's token; a request that fails (its
    server was killed) is retried on the next one. What committed is read from the database."""

    def __init__(self, base: str, s: Seeded) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {s.admin}"}, timeout=10
        )
        self.s = s
        self.failed = 0

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        for _ in range(100):
            try:
                res = self.client.request(method, url, **kwargs)
            except httpx.HTTPError:
                self.failed += 1
                time.sleep(0.1)
                continue
            assert res.status_code < 300, res.text
            return res.json() if res.content else None
        raise AssertionError(f"{method} {url} never got through")

    def ticket(self, queue: int, contact: int, subject: str) -> int:
        body = {"subject": subject, "body": "Não imprime.", "queue_id": queue,
                "contact_id": contact}  # fmt: skip
        return int(self.call("POST", f"{V1}/tickets", json=body)["id"])

    def round(self, n: int) -> list[int]:
        """A ticket in each queue for each organization, with a reply, a note, a change."""
        made = []
        for queue in (self.s.q1, self.s.q2):
            for contact in (self.s.contact_a, self.s.contact_b):
                t = self.ticket(queue, contact, f"Ticket {n} {queue}/{contact}")
                self.call("POST", f"{V1}/tickets/{t}/messages",
                          json={"body": f"Resposta {n}", "public": True})  # fmt: skip
                self.call("POST", f"{V1}/tickets/{t}/messages",
                          json={"body": f"NOTA INTERNA {n}", "public": False})  # fmt: skip
                self.call("PATCH", f"{V1}/tickets/{t}", json={"priority": "high"})
                made.append(t)
        return made


@contextmanager
def writing(writer: Writer, *, first_round: int) -> Iterator[None]:
    """Rounds of changes, one after the other, for the block."""
    stop = threading.Event()

    def rounds() -> None:
        n = first_round
        while not stop.is_set():
            writer.round(n)
            n += 1

    thread = threading.Thread(target=rounds)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _positions(events: list[Received]) -> list[int]:
    return [e.id for e in events]


def test_every_event_once_in_order_across_processes_crashes_and_restarts(
    shared_url: str, tmp_path: Path
) -> None:
    s = seed(shared_url)
    reader_server = Server(shared_url, tmp_path / "a").start()
    writer_server = Server(shared_url, tmp_path / "b").start()
    listeners = {
        "admin": Listener(lambda: reader_server.base, s.admin, name="admin"),
        "agent": Listener(lambda: reader_server.base, s.agent, name="agent"),
        "contact": Listener(lambda: reader_server.base, s.contact, name="contact"),
        # and one on the process that makes the changes (its own commits wake it)
        "admin_b": Listener(lambda: writer_server.base, s.admin, name="admin-b"),
    }
    try:
        for listener in listeners.values():
            listener.start()
        for listener in listeners.values():
            assert listener.connected.wait(30)
        writer = Writer(writer_server.base, s)
        moved = writer.ticket(s.q1, s.contact_a, "Vai para o financeiro")
        writer.round(1)

        def caught_up(*names: str) -> bool:
            top = stream_rows(shared_url)[-1][0]
            return all(listeners[n].last_id == top for n in names)

        wait_until(lambda: caught_up("admin", "admin_b"), what="phase 1 delivered")

        # the reading process crashes while changes go on, then comes back on its port
        with writing(writer, first_round=2):
            time.sleep(0.5)
            reader_server.kill()
            time.sleep(0.5)
            reader_server.start()
            time.sleep(0.5)
        # the writing process crashes in the middle of its requests, and comes back
        with writing(writer, first_round=20):
            time.sleep(0.5)
            writer_server.kill()
            writer_server.start()
            time.sleep(0.5)
        wait_until(lambda: caught_up("admin", "agent", "contact", "admin_b"), 60,
                   what="the changes around the crashes delivered")  # fmt: skip

        # a ticket leaves the agent's queue: its later events never reach them
        before_move = stream_rows(shared_url)[-1][0]
        writer.call("POST", f"{V1}/tickets/{moved}/transfer",
                    json={"queue_id": s.q2, "reason": "cobrança"})  # fmt: skip
        writer.call("POST", f"{V1}/tickets/{moved}/messages", json={"body": "Pago?"})
        writer.call("POST", f"{V1}/tickets/{moved}/messages",
                    json={"body": "NOTA pós-transferência", "public": False})  # fmt: skip
        writer.round(4)
        wait_until(lambda: caught_up("admin", "agent", "contact", "admin_b"), 60,
                   what="phase 4 delivered")  # fmt: skip
    finally:
        for listener in listeners.values():
            listener.stop()
        reader_server.stop()
        writer_server.stop()

    rows = stream_rows(shared_url)
    where = tickets_where(shared_url)
    everything = [r[0] for r in rows]
    assert len(everything) > 100
    # staff: every event, exactly once, in the stream's order, on both processes
    assert _positions(listeners["admin"].events) == everything
    assert _positions(listeners["admin_b"].events) == everything
    for e, row in zip(listeners["admin"].events, rows, strict=True):
        assert (e.event, e.data["type"], e.data["ticket_id"]) == (row[1], row[1], row[2])

    # the agent of Q1: the events of Q1's tickets, and of the moved one until it moved
    def agent_reads(row: tuple[int, str, int | None, bool]) -> bool:
        ticket = row[2]
        assert ticket is not None
        if ticket == moved:
            return row[0] <= before_move
        return where[ticket][0] == s.q1

    assert _positions(listeners["agent"].events) == [r[0] for r in rows if agent_reads(r)]
    assert all(e.data["queue_id"] == s.q1 for e in listeners["agent"].events)

    # the contact of A: the public events of A's tickets only
    contact_expected = [r[0] for r in rows if r[3] and where[r[2] or 0][1] == s.org_a]
    assert _positions(listeners["contact"].events) == contact_expected
    seen = listeners["contact"].events
    assert all(e.data["organization_id"] == s.org_a and e.data["public"] for e in seen)
    assert not [e for e in seen if e.event == "note_added" or "NOTA" in str(e.data)]

    # the crash was in the middle of the stream: the readers did reconnect
    assert listeners["admin"].connects >= 2 and listeners["admin_b"].connects >= 2
    assert writer.failed >= 1  # requests were cut off by the crash


def test_another_process_commit_wakes_the_stream_at_once_without_the_poll(
    shared_url: str, tmp_path: Path
) -> None:
    """With the safety-net poll set to a minute, an event committed through another server
    process still reaches an open stream within a second or two: PostgreSQL by NOTIFY, SQLite
    by the committing process's datagram to the other hubs (stream/bells.py)."""
    s = seed(shared_url)
    slow_poll = {"ATENDE_STREAM_POLL_SECONDS": "60"}
    reader_server = Server(shared_url, tmp_path / "a", env=slow_poll).start()
    writer_server = Server(shared_url, tmp_path / "b", env=slow_poll).start()
    listener = Listener(lambda: reader_server.base, s.admin, name="admin")
    try:
        listener.start()
        assert listener.connected.wait(30)
        writer = Writer(writer_server.base, s)
        for n in range(5):
            before = len(listener.events)
            sent = time.monotonic()
            made = writer.ticket(s.q1, s.contact_a, f"Acordar {n}")
            wait_until(lambda b=before: len(listener.events) > b, timeout=20, what="the event")
            took = time.monotonic() - sent
            assert listener.events[-1].data["ticket_id"] == made
            assert took < 5, f"event {n} took {took:.1f} s: woken by the 60 s poll, not at once"
    finally:
        listener.stop()
        reader_server.stop()
        writer_server.stop()
