"""Latency of the live stream: from a change's commit to the clients of ``GET /api/v1/stream``,
with many streams open on one server process.

    .venv/bin/python bench/stream_latency.py [--url sqlite:////tmp/stream.db] \
        [--streams 200] [--changes 300] [--rate 20] [--cross-process]

Starts ``atende serve --workers 1`` (the reader) on a scratch database (a SQLite file in a
temporary folder unless ``--url`` names an empty database the script may migrate), opens
``--streams`` event streams on it as a mix of readers (a quarter admins and supervisors, half
agents of the queue the tickets go to, 25 distinct ones, a quarter contacts of the
organization, 10 distinct ones), then makes ``--changes`` changes through the API at
``--rate`` per second (a ticket creation, then an internal note on it, alternately). With
``--cross-process`` the changes go through a second server process (PostgreSQL: NOTIFY;
SQLite: the reader polls every 50 ms, ``ATENDE_STREAM_POLL_SECONDS``).

For each event each stream receives: the time from the change's request being sent to the
event's arrival (an upper bound of commit-to-client: it includes the request's own work), and
from the response's arrival (a lower bound: the commit happened before the response). Prints
percentiles of both, and checks every stream got exactly the events it may read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.customers.models import Contact, Organization
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember

V1 = "/api/v1"


@dataclass
class Readers:
    admin: str
    tokens: list[tuple[str, str]]  # (role, token) of every stream
    queue: int
    contact: int


def seed(url: str, streams: int) -> Readers:
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with transaction(make_sessionmaker(engine)) as session:
        queue = Queue(name="Suporte N1", description="")
        org = Organization(name="Padaria")
        session.add_all([queue, org])
        session.flush()
        contacts = [
            Contact(name=f"Cliente {i}", email=f"c{i}@padaria.com.br", organization_id=org.id)
            for i in range(10)
        ]
        session.add_all(contacts)
        session.flush()
        users = [User(name="Admin", email="admin@solis.example", role="admin")]
        users += [User(name=f"Sup {i}", email=f"s{i}@solis.example", role="supervisor")
                  for i in range(4)]  # fmt: skip
        users += [User(name=f"Agente {i}", email=f"a{i}@solis.example", role="agent")
                  for i in range(25)]  # fmt: skip
        users += [User(name=f"Portal {i}", email=f"c{i}@padaria.com.br", role="contact",
                       contact_id=c.id) for i, c in enumerate(contacts)]  # fmt: skip
        session.add_all(users)
        session.flush()
        for user in users:
            if user.role == "agent":
                session.add(QueueMember(queue_id=queue.id, user_id=user.id))
        secrets: dict[str, list[str]] = {}
        for user in users:
            _, secret = auth_service.create_token(session, user=user, name="bench", now=now)
            secrets.setdefault("staff" if user.role in ("admin", "supervisor") else user.role,
                               []).append(secret)  # fmt: skip
        tokens = []
        for i in range(streams):
            kind = ("staff", "agent", "agent", "contact")[i % 4]
            pool = secrets[kind]
            tokens.append((kind, pool[i % len(pool)]))
        readers = Readers(secrets["staff"][0], tokens, queue.id, contacts[0].id)
    engine.dispose()
    return readers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, ATENDE_DATABASE_URL=url, ATENDE_RUN_WORKER="false",
               ATENDE_DATA_DIR=str(data), ATENDE_SECRET_KEY="bench")  # fmt: skip
    cmd = [sys.executable, "-c", "from atende.cli import app; app()", "serve", "--port",
           str(port), "--workers", "1", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


@dataclass
class Stream:
    role: str
    token: str
    got: dict[tuple[str, int], float] = field(default_factory=dict)  # (kind, id) -> arrival


async def follow(base: str, stream: Stream, opened: list[int]) -> None:
    """A lean SSE client (plain asyncio, HTTP/1.1 chunks): the clients' own work should not
    be what is measured."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {V1}/stream HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {stream.token}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    opened[0] += 1
    pending = b""
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            return
        pending += (await reader.readexactly(size + 2))[:-2]
        *blocks, pending = pending.split(b"\n\n")
        now = time.perf_counter()
        for block in blocks:
            at = block.find(b"\ndata: ")
            if at < 0:
                continue
            data = json.loads(block[at + 7 :])
            if data["type"] == "ticket_created":
                stream.got[("ticket", data["ticket_id"])] = now
            elif data["type"] == "note_added":
                stream.got[("note", data["message"]["id"])] = now


def drive(base: str, readers: Readers, changes: int, rate: float,
          sent: dict[tuple[str, int], tuple[float, float]]) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {readers.admin}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        ticket = 0
        start = time.perf_counter()
        for i in range(changes):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            t0 = time.perf_counter()
            if i % 2 == 0:
                res = client.post(f"{V1}/tickets", json={
                    "subject": f"Bench {i}", "body": "x", "queue_id": readers.queue,
                    "contact_id": readers.contact})  # fmt: skip
                key = ("ticket", res.json()["id"])
                ticket = res.json()["id"]
            else:
                res = client.post(f"{V1}/tickets/{ticket}/messages",
                                  json={"body": f"nota {i}", "public": False})  # fmt: skip
                key = ("note", res.json()["id"])
            assert res.status_code == 201, res.text
            sent[key] = (t0, time.perf_counter())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    url = args.url or f"sqlite:///{folder / 'stream.db'}"
    readers = seed(url, args.streams)
    reader, base = serve(url, folder / "a")
    writer, write_base = serve(url, folder / "b") if args.cross_process else (None, base)
    try:
        streams = [Stream(role, token) for role, token in readers.tokens]
        opened = [0]
        tasks = [asyncio.create_task(follow(base, s, opened)) for s in streams]
        while opened[0] < len(streams):
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        sent: dict[tuple[str, int], tuple[float, float]] = {}
        driver = threading.Thread(
            target=drive, args=(write_base, readers, args.changes, args.rate, sent)
        )
        cpu_server, cpu_client = cpu_seconds(reader.pid), time.process_time()
        driver.start()
        while driver.is_alive():
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        cpu_server = cpu_seconds(reader.pid) - cpu_server
        cpu_client = time.process_time() - cpu_client
        for task in tasks:
            task.cancel()
    finally:
        for proc in (reader, writer):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    upper, lower, missing, extra = [], [], 0, 0
    for s in streams:
        for key, (t0, t1) in sent.items():
            due = s.role != "contact" or key[0] == "ticket"  # contacts never get notes
            if key not in s.got:
                missing += due
                continue
            extra += not due
            upper.append((s.got[key] - t0) * 1000)
            lower.append((s.got[key] - t1) * 1000)
    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    how = "another process" if args.cross_process else "the same process"
    print(f"{kind}: {len(streams)} streams, {len(sent)} changes at {args.rate:g}/s through "
          f"{how}: {len(upper)} deliveries, {missing} missing, {extra} not allowed")  # fmt: skip
    print(f"  CPU during the changes: server process {cpu_server:.1f} s, clients "
          f"{cpu_client:.1f} s")  # fmt: skip
    for label, values in (("from request sent", upper), ("from response (≈commit)", lower)):
        print(f"  {label:>24}: p50 {percentile(values, 50):6.1f} ms  p90 "
              f"{percentile(values, 90):6.1f}  p99 {percentile(values, 99):6.1f}  max "
              f"{max(values):6.1f}  mean {statistics.fmean(values):6.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an empty database (default: a scratch SQLite file)")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--cross-process", action="store_true",
                        help="make the changes through a second server process")  # fmt: skip
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
