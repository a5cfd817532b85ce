"""Live chat under load: visitors and agents talking at once, loopback only, bounded.

    .venv/bin/python bench/chat_load.py [--url sqlite:////tmp/chat.db] [--visitors 50] \
        [--agents 20] [--seconds 30] [--workers 2] [--kill-at 20] [--window 15]

Starts ``atende serve --workers N`` on a scratch database (a SQLite file in a temporary folder
unless ``--url`` names an empty database the script may migrate), makes a widget, agents with
API tokens and ``--visitors`` visitors who each start a chat (chat ``i`` is agent ``i % A``'s).
Every visitor holds its chat's stream (``GET /chat/w/<key>/stream``) and every agent the live
stream (``GET /api/v1/stream``); for ``--seconds`` each visitor says something every 1–3 s
(``--interval``; ``POST .../messages`` with a client id) and each agent answers one of its
chats every 1–3 s (with an ``Idempotency-Key``). Each visitor and agent has its own two
connections, as a browser would: one for its stream, one keep-alive for its POSTs.

``--kill-at S``: S seconds into the talk the server worker process holding the most connections
is killed (SIGKILL, no goodbye) and ``serve``'s supervisor starts another; the talk goes on
until that one has served for ``AFTER_RESTART`` s (at most ``RESTART_CAP`` s past the end).
Streams reconnect with ``Last-Event-ID`` after 0.1–0.5 s (a browser waits the stream's
``retry:``, 2 s; the figure is the server's, not the wait's); a POST that fails (connection
lost, 5xx, a timeout) is sent again with the same client id / idempotency key until it is
answered (at most ``POST_DEADLINE`` s).

Measured, each way: from the first send of the POST to the message's event arriving on the
other side's stream (an upper bound: it includes the request's own work): p50, p99, max,
split into ``steady`` and ``around_restart`` (POSTs first sent from 2 s before the kill to
``--window`` s after it); that every message arrived exactly once on the streams (0 lost, 0
duplicated), and that the chats hold each message once (read back after the run). Also the
client's own CPU (a core is 1.0: near it, the client is the bottleneck) and the workers'.
``run()`` is what the CI's 50-visitor checks call (tests/chat/test_load.py), without timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chat_wire import Closed, Connection, Event, events
from sqlalchemy import select

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.chat.models import Chat
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember

V1 = "/api/v1"
GRACE_SECONDS = 10.0  # after the talk, how long late messages may still arrive
POST_DEADLINE = 30.0  # a POST is retried until answered, this long at most
MAX_VISITORS = 2000  # the client's hard cap (two connections each)
AFTER_RESTART = 5.0  # with a kill, the talk goes on this long after the replacement serves
RESTART_CAP = 120.0  # ... but no longer than this past the planned end
BROKEN = (OSError, Closed, TimeoutError, asyncio.IncompleteReadError, ValueError)


@dataclass
class Seeded:
    admin: str
    agents: list[tuple[int, str]]  # (user id, token)
    queue: int
    url: str


def seed(url: str, agents: int) -> Seeded:
    """Migrate ``url`` and add an admin, a queue and ``agents`` agents with API tokens."""
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with transaction(make_sessionmaker(engine)) as session:
        queue = Queue(
            name="Chat", description="", default_max_chats=1000, default_max_open_tickets=1000
        )
        admin = User(name="Admin", email="admin@solis.example", role="admin")
        people = [
            User(name=f"Agente {i}", email=f"a{i}@solis.example", role="agent")
            for i in range(agents)
        ]
        session.add_all([queue, admin, *people])
        session.flush()
        session.add_all(QueueMember(queue_id=queue.id, user_id=u.id) for u in people)
        _, admin_token = auth_service.create_token(session, user=admin, name="load", now=now)
        tokens = [
            (u.id, auth_service.create_token(session, user=u, name="load", now=now)[1])
            for u in people
        ]
        queue_id = queue.id
    engine.dispose()
    return Seeded(admin_token, tokens, queue_id, url)


def chat_tickets(url: str) -> list[int]:
    """The tickets of the chats going on (read from the database: the API lists 200 at most)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(Chat.ticket_id).order_by(Chat.id)).scalars().all()
    finally:
        engine.dispose()
    return list(found)


# --- the server's processes ----------------------------------------------------------------


class Served:
    """A running ``atende serve`` (the supervisor process) and its worker processes."""

    def __init__(self, proc: subprocess.Popen[bytes], base: str, tmp: Path) -> None:
        self.proc, self.base, self.tmp = proc, base, tmp

    def workers(self) -> list[int]:
        """The supervisor's worker processes (multiprocessing children, not its tracker)."""
        pid = self.proc.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        found = []
        for child in children:
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(int(child))
        return sorted(found)

    def serving(self) -> dict[int, int]:
        """The worker processes that have accepted a connection, and how many they hold open
        (their slots in the share file of ``atende/serving.py``'s Balance, made in this
        server's own temporary folder)."""
        found: dict[int, int] = {}
        for share in self.tmp.glob("atende-serve-*"):
            data = share.read_bytes()
            for i in range(0, len(data) - 7, 8):
                pid, held = struct.unpack_from("<II", data, i)
                if pid:
                    found[pid] = held
        return found

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time used so far by each live worker."""
        tick = os.sysconf("SC_CLK_TCK")
        out = {}
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, workers: int = 2, **settings: str) -> Iterator[Served]:
    """``atende serve --workers N`` on ``url`` for the block, its output in ``server.log`` of
    its own temporary folder (printed if it does not start)."""
    with tempfile.TemporaryDirectory(prefix="atende-chat-load-") as name:
        tmp = Path(name)
        port = _free_port()
        env = dict(
            os.environ, ATENDE_DATABASE_URL=url, ATENDE_RUN_WORKER="false",
            ATENDE_DATA_DIR=str(tmp), TMPDIR=str(tmp),
            # every simulated visitor comes from 127.0.0.1: lift the per-address limit
            ATENDE_CHAT_NEW_VISITORS_PER_ADDRESS="1000000", **settings,
        )  # fmt: skip
        cli = [sys.executable, "-c", "from atende.cli import app; app()"]
        cmd = [*cli, "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"]
        with (tmp / "server.log").open("wb") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        served = Served(proc, f"http://127.0.0.1:{port}", tmp)
        try:
            _wait_up(served, workers)
            yield served
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            _show_errors(tmp / "server.log")


def _show_errors(log: Path) -> None:
    """The server's tracebacks (answers 500), on stderr before its folder goes."""
    text = log.read_text(errors="replace")
    for i, part in enumerate(text.split("Traceback (most recent call last):")[1:4]):
        print(f"chat_load: server traceback {i + 1}:\n{part[-2500:]}", file=sys.stderr)


def _wait_up(served: Served, workers: int) -> None:
    async def probe() -> bool:
        host, port = _address(served.base)
        try:
            status, _ = await Connection(host, port).request("GET", "/openapi.json", timeout=1)
        except BROKEN:
            return False
        return status == 200

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError((served.tmp / "server.log").read_text()[-3000:])
        if len(served.workers()) == workers and asyncio.run(probe()):
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not start in 120 s")


def _address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    assert parts.hostname in ("127.0.0.1", "localhost"), "loopback only"
    return parts.hostname, int(parts.port or 80)


# --- what is measured ----------------------------------------------------------------------


def _percentiles(latencies: list[float]) -> dict[str, Any]:
    latencies = sorted(latencies)

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "messages": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


@dataclass
class Tally:
    """Sends and arrivals of one direction (times from ``time.monotonic``)."""

    sent: dict[int, float] = field(default_factory=dict)  # message id -> first POST sent at
    arrived: dict[int, float] = field(default_factory=dict)  # message id -> first arrival
    duplicates: int = 0
    failed: int = 0  # POSTs never answered with the message

    def arrive(self, message_id: int, at: float) -> None:
        if message_id in self.arrived:
            self.duplicates += 1
        else:
            self.arrived[message_id] = at

    def report(self, around: tuple[float, float] | None) -> dict[str, Any]:
        steady, near = [], []
        for m, t in self.sent.items():
            if m in self.arrived:
                inside = around is not None and around[0] <= t <= around[1]
                (near if inside else steady).append((self.arrived[m] - t) * 1000)
        out = {
            "messages": len(self.sent),
            "lost": sum(1 for m in self.sent if m not in self.arrived),
            "duplicated": self.duplicates,
            "posts_failed": self.failed,
            "steady": _percentiles(steady),
        }
        if around is not None:
            out["around_restart"] = _percentiles(near)
        return out


@dataclass
class Trouble:
    """What went wrong on the way (and was retried)."""

    stream_breaks: int = 0  # a stream's connection broke (or the server ended it)
    post_retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # answers other than 200/201
    errors: Counter[str] = field(default_factory=Counter)  # POSTs that got no answer, by why


# --- the talk ------------------------------------------------------------------------------


async def run(
    base: str,
    seeded: Seeded,
    *,
    visitors: int,
    seconds: float,
    seed_value: int = 7,
    served: Served | None = None,
    kill_at: float | None = None,
    window: float = 15.0,
    interval: tuple[float, float] = (1.0, 3.0),
) -> dict[str, Any]:
    """Talk for ``seconds`` (each visitor every ``interval`` s, each agent every 1–3 s),
    killing a worker of ``served`` ``kill_at`` seconds in, and return what was measured each
    way."""
    if not 0 < visitors <= MAX_VISITORS:
        raise ValueError(f"visitors must be 1..{MAX_VISITORS}, not {visitors}")
    if kill_at is not None and (served is None or not 0 <= kill_at < seconds):
        raise ValueError("kill_at needs the served server and a moment within the talk")
    host, port = _address(base)
    rng = random.Random(seed_value)
    to_agents, to_visitors, trouble = Tally(), Tally(), Trouble()
    admin = {"Authorization": f"Bearer {seeded.admin}"}
    setup = Connection(host, port)
    status, widget = await setup.request(
        "POST",
        f"{V1}/chat/widgets",
        headers=admin,
        json_body={"name": "Carga", "queue_id": seeded.queue, "inactivity_minutes": 0},
    )
    assert status == 201, (status, widget)
    base_path = f"/chat/w/{widget['key']}"
    sessions = await _start_chats(host, port, base_path, visitors)
    setup.close()
    tickets = await asyncio.to_thread(chat_tickets, seeded.url)
    assert len(tickets) == visitors, (visitors, len(tickets))
    owner = {t: i % len(seeded.agents) for i, t in enumerate(tickets)}
    stop, stop_streams = asyncio.Event(), asyncio.Event()

    async def follow(
        path: str, headers: dict[str, str], up: asyncio.Event, on: Callable[[Event], None]
    ) -> None:
        last: int | None = None
        while not stop_streams.is_set():
            sent = dict(headers) if last is None else {**headers, "Last-Event-ID": str(last)}
            try:
                async for event in events(host, port, path, sent):
                    if event.id is not None:
                        last = event.id
                    if event.type == "open":
                        up.set()
                    elif event.type:
                        on(event)
            except BROKEN:
                pass
            if stop_streams.is_set():
                return
            trouble.stream_breaks += 1
            await asyncio.sleep(rng.uniform(0.1, 0.5))

    def to_visitor(event: Event) -> None:
        if event.type == "message_sent":
            to_visitors.arrive(json.loads(event.data)["message"]["id"], time.monotonic())

    def to_agent(index: int) -> Callable[[Event], None]:
        def on(event: Event) -> None:
            if event.type == "message_received":
                data = json.loads(event.data)
                if owner.get(data["ticket_id"]) == index:
                    to_agents.arrive(data["message"]["id"], time.monotonic())

        return on

    async def post(
        conn: Connection, path: str, headers: dict[str, str], body: Any, tally: Tally
    ) -> None:
        first = time.monotonic()
        while time.monotonic() - first < POST_DEADLINE:
            try:
                status, data = await conn.request(
                    "POST", path, headers=headers, json_body=body, timeout=20
                )
            except BROKEN as exc:
                status, data = 0, None
                trouble.errors[type(exc).__name__] += 1
            if status in (200, 201):
                tally.sent[data["id"]] = first
                return
            if status:
                trouble.statuses[status] += 1
            if 400 <= status < 500 and status not in (409, 429):  # 409: being sent already
                break
            trouble.post_retries += 1
            await asyncio.sleep(rng.uniform(0.1, 0.3))
        tally.failed += 1

    async def visitor_talks(i: int, session: str) -> None:
        conn, n = Connection(host, port), 0
        headers = {"X-Chat-Session": session}
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(*interval))
            if stop.is_set():
                break
            n += 1
            said = {
                "client_id": f"v{i}m{n}x{secrets.token_hex(4)}",
                "body": f"Mensagem {n} do visitante {i}",
            }
            await post(conn, f"{base_path}/messages", headers, said, to_agents)
        conn.close()

    async def agent_talks(index: int, token: str) -> None:
        mine = [t for t, o in owner.items() if o == index]
        conn, n = Connection(host, port), 0
        while mine and not stop.is_set():
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            if stop.is_set():
                break
            n += 1
            ticket = rng.choice(mine)
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"a{index}r{n}"}
            said = {"body": f"Resposta {n} do agente {index}. Ficou alguma dúvida?"}
            await post(conn, f"{V1}/tickets/{ticket}/messages", headers, said, to_visitors)
        conn.close()

    streams, ready = [], []
    for session in sessions:
        up = asyncio.Event()
        ready.append(up)
        path = f"{base_path}/stream?s={session}"
        streams.append(asyncio.create_task(follow(path, {}, up, to_visitor)))
    for index, (_uid, token) in enumerate(seeded.agents):
        up = asyncio.Event()
        ready.append(up)
        headers = {"Authorization": f"Bearer {token}"}
        streams.append(asyncio.create_task(follow(f"{V1}/stream", headers, up, to_agent(index))))
    async with asyncio.timeout(120):
        await asyncio.gather(*(e.wait() for e in ready))
    await asyncio.sleep(1.0)
    cpu_before, server_before = _cpu(), served.cpu_seconds() if served else {}
    began = time.monotonic()
    print(f"chat_load: {visitors} visitors and their streams ready; talking", file=sys.stderr)
    talkers = [asyncio.create_task(visitor_talks(i, s)) for i, s in enumerate(sessions)]
    talkers += [asyncio.create_task(agent_talks(i, t)) for i, (_u, t) in enumerate(seeded.agents)]
    restart: dict[str, Any] = {}
    watch = None
    if kill_at is not None and served is not None:
        await asyncio.sleep(kill_at)
        watch = asyncio.create_task(_kill_one(served, restart))
    await asyncio.sleep(max(0.0, began + seconds - time.monotonic()))
    # with a kill: until the replacement has served for AFTER_RESTART s too (bounded)
    while watch is not None and time.monotonic() < began + seconds + RESTART_CAP:
        if "serving_at" in restart and time.monotonic() > restart["serving_at"] + AFTER_RESTART:
            break
        await asyncio.sleep(0.2)
    stop.set()
    async with asyncio.timeout(POST_DEADLINE + 15):
        await asyncio.gather(*talkers)
    talked = time.monotonic() - began
    cpu_used = _cpu() - cpu_before
    server_used = served.cpu_seconds() if served else {}
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and (
        len(to_agents.arrived) < len(to_agents.sent)
        or len(to_visitors.arrived) < len(to_visitors.sent)
    ):
        await asyncio.sleep(0.1)
    stop_streams.set()
    if watch is not None:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    stored = await _stored_twice(host, port, base_path, sessions)
    around = None
    if "killed_at" in restart:
        around = (restart["killed_at"] - 2.0, restart["killed_at"] + window)
        restart["killed_at"] = round(restart.pop("killed_at") - began, 2)
        restart.pop("serving_at", None)
    return {
        "visitor_to_agent": to_agents.report(around),
        "agent_to_visitor": to_visitors.report(around),
        "stored_twice": stored,
        "stream_breaks": trouble.stream_breaks,
        "post_retries": trouble.post_retries,
        "other_answers": dict(trouble.statuses),
        "post_errors": dict(trouble.errors),
        "restart": restart,
        "talked_s": round(talked, 1),
        "client_cpu_cores": round(cpu_used / talked, 2),
        "server_cpu_cores": {
            str(pid): round((t - server_before.get(pid, 0.0)) / talked, 2)
            for pid, t in server_used.items()
        },
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _start_chats(host: str, port: int, base_path: str, visitors: int) -> list[str]:
    """``visitors`` visitors who each start a chat (16 at a time): their sessions, in order."""
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> str:
        async with gate:
            conn = Connection(host, port)
            token = {"token": secrets.token_urlsafe(32)}
            status, opened = await conn.request("POST", f"{base_path}/session", json_body=token)
            assert status in (200, 201), (status, opened)
            session = opened["session"]
            status, started = await conn.request(
                "POST",
                f"{base_path}/chat",
                headers={"X-Chat-Session": session},
                json_body={"name": f"Visitante {i}", "email": f"v{i}@carga.example"},
            )
            assert status in (200, 201), (status, started)
            conn.close()
            return str(session)

    return list(await asyncio.gather(*(one(i) for i in range(visitors))))


async def _kill_one(served: Served, out: dict[str, Any]) -> None:
    """SIGKILL the worker holding the most connections; into ``out``: how long until the
    supervisor had started another, and until that one accepted its first connection (watched
    until cancelled)."""
    before = served.workers()
    held = served.serving()
    victim = max(before, key=lambda pid: held.get(pid, 0))
    out["killed_held_connections"] = held.get(victim, 0)
    killed = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    out.update(killed_pid=victim, killed_at=killed)
    new: int | None = None
    while True:
        now = served.workers()
        fresh = [p for p in now if p not in before]
        if new is None and fresh:
            new = fresh[0]
            out["new_pid"] = new
            out["started_after_s"] = round(time.monotonic() - killed, 2)
        if new is not None and new in served.serving():
            out["serving_at"] = time.monotonic()
            out["serving_after_s"] = round(out["serving_at"] - killed, 2)
            return
        await asyncio.sleep(0.05)


async def _stored_twice(host: str, port: int, base_path: str, sessions: list[str]) -> int:
    """Messages the chats hold more than once (the same body twice), read back as each
    visitor sees their chat."""
    twice = 0
    conn = Connection(host, port)
    for session in sessions:
        bodies: Counter[str] = Counter()
        after = 0
        while True:
            status, page = await conn.request(
                "GET", f"{base_path}/messages?after={after}", headers={"X-Chat-Session": session}
            )
            assert status == 200, (status, page)
            found = page["messages"]
            bodies.update(m["body"] for m in found if m["from"] in ("visitor", "agent"))
            if len(found) < 500:
                break
            after = found[-1]["id"]
        twice += sum(n - 1 for n in bodies.values())
    conn.close()
    return twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-at", type=float, help="kill a worker this many seconds in")
    parser.add_argument("--window", type=float, default=15.0, help="'around the restart' (s)")
    parser.add_argument(
        "--interval",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("LO", "HI"),
        help="each visitor says something every LO..HI s (agents: every 1..3 s)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atende-chat-db-") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'chat.db'}"
        seeded = seed(url, args.agents)
        with serve(url, args.workers) as served:
            load = os.getloadavg()
            result = asyncio.run(
                run(
                    served.base,
                    seeded,
                    visitors=args.visitors,
                    seconds=args.seconds,
                    served=served,
                    kill_at=args.kill_at,
                    window=args.window,
                    interval=tuple(args.interval),
                )
            )
    kind = url.split(":", 1)[0]
    settings = {k: v for k, v in vars(args).items() if k != "url"}
    print(json.dumps({"database": kind, **settings, "load_before": load, **result}, indent=2))


if __name__ == "__main__":
    main()
