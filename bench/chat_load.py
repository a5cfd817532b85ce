"""Live chat under load: visitors and agents talking at once, loopback only, bounded.

    .venv/bin/python bench/chat_load.py [--url sqlite:////tmp/chat.db] [--visitors 50] \
        [--agents 20] [--seconds 30] [--workers 2]

Starts ``atende serve --workers N`` on a scratch database (a SQLite file in a temporary folder
unless ``--url`` names an empty database the script may migrate), makes a widget, agents with
API tokens and ``--visitors`` visitors who each start a chat (chat ``i`` is agent ``i % A``'s).
Every visitor holds its chat's stream (``GET /chat/w/<key>/stream``) and every agent the live
stream (``GET /api/v1/stream``); for ``--seconds`` each visitor says something every 1–3 s
(``POST .../messages`` with a client id) and each agent answers one of its chats every 1–3 s.

Measured, each way: from the POST being sent to the message's event arriving on the other
side's stream (an upper bound: it includes the request's own work): p50, p99, max; and that
every message arrived exactly once (0 lost, 0 duplicated). ``run()`` is what the CI's
50-visitor check calls (tests/chat/test_load.py), without timing assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember

V1 = "/api/v1"
GRACE_SECONDS = 5.0  # after the talk, how long late messages may still arrive


@dataclass
class Seeded:
    admin: str
    agents: list[tuple[int, str]]  # (user id, token)
    queue: int


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
    return Seeded(admin_token, tokens, queue_id)


@dataclass
class Tally:
    """Sends and arrivals of one direction."""

    sent: dict[int, float] = field(default_factory=dict)  # message id -> POST sent at
    arrived: dict[int, float] = field(default_factory=dict)  # message id -> first arrival
    duplicates: int = 0

    def arrive(self, message_id: int, at: float) -> None:
        if message_id in self.arrived:
            self.duplicates += 1
        else:
            self.arrived[message_id] = at

    def report(self) -> dict[str, Any]:
        latencies = sorted(
            (self.arrived[m] - t) * 1000 for m, t in self.sent.items() if m in self.arrived
        )
        lost = sum(1 for m in self.sent if m not in self.arrived)

        def pct(p: float) -> float | None:
            if not latencies:
                return None
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

        return {
            "messages": len(self.sent),
            "lost": lost,
            "duplicated": self.duplicates,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": round(latencies[-1], 1) if latencies else None,
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        }


async def events(
    client: httpx.AsyncClient, url: str, **kwargs: Any
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The (type, data) of a Server-Sent Events stream, as they come."""
    async with client.stream("GET", url, timeout=None, **kwargs) as response:
        response.raise_for_status()
        kind, data = "", ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and kind:
                yield kind, json.loads(data)
                kind, data = "", ""


async def run(
    base: str, seeded: Seeded, *, visitors: int, seconds: float, seed_value: int = 7
) -> dict[str, Any]:
    """Talk for ``seconds`` and return what was measured each way."""
    rng = random.Random(seed_value)
    to_agents, to_visitors = Tally(), Tally()
    limits = httpx.Limits(max_connections=visitors * 2 + len(seeded.agents) * 2 + 20)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        admin = {"Authorization": f"Bearer {seeded.admin}"}
        widget = (
            await client.post(
                f"{V1}/chat/widgets",
                headers=admin,
                json={"name": "Carga", "queue_id": seeded.queue, "inactivity_minutes": 0},
            )
        ).json()
        base_path = f"/chat/w/{widget['key']}"
        sessions: list[str] = []
        tickets: list[int] = []
        for i in range(visitors):
            opened = await client.post(
                f"{base_path}/session", json={"token": secrets.token_urlsafe(32)}
            )
            session = opened.json()["session"]
            started = await client.post(
                f"{base_path}/chat",
                headers={"X-Chat-Session": session},
                json={"name": f"Visitante {i}", "email": f"v{i}@carga.example"},
            )
            started.raise_for_status()
            listing = await client.get(f"{base_path}/messages", headers={"X-Chat-Session": session})
            sessions.append(session)
            tickets.append(listing.json()["position"])  # replaced below by the ticket id
        chats = (await client.get(f"{V1}/chats", headers=admin)).json()
        by_chat = {c["id"]: c["ticket_id"] for c in chats}
        tickets = [by_chat[k] for k in sorted(by_chat)]
        owner = {t: i % len(seeded.agents) for i, t in enumerate(tickets)}
        stop = asyncio.Event()
        ready: list[asyncio.Event] = []

        async def visitor_stream(session: str, up: asyncio.Event) -> None:
            url = f"{base_path}/stream?s={session}"
            up.set()
            async for kind, data in events(client, url):
                if kind == "message_sent":
                    to_visitors.arrive(data["message"]["id"], time.perf_counter())

        async def agent_stream(index: int, token: str, up: asyncio.Event) -> None:
            up.set()
            async for kind, data in events(
                client, f"{V1}/stream", headers={"Authorization": f"Bearer {token}"}
            ):
                if kind == "message_received" and owner.get(data["ticket_id"]) == index:
                    to_agents.arrive(data["message"]["id"], time.perf_counter())

        async def visitor_talks(i: int, session: str) -> None:
            n = 0
            while not stop.is_set():
                await asyncio.sleep(rng.uniform(1, 3))
                if stop.is_set():
                    return
                n += 1
                sent = time.perf_counter()
                r = await client.post(
                    f"{base_path}/messages",
                    headers={"X-Chat-Session": session},
                    json={
                        "client_id": f"v{i}m{n}x{secrets.token_hex(4)}",
                        "body": f"Mensagem {n} do visitante {i}",
                    },
                )
                if r.status_code == 201:
                    to_agents.sent[r.json()["id"]] = sent

        async def agent_talks(index: int, token: str) -> None:
            mine = [t for t, o in owner.items() if o == index]
            n = 0
            while mine and not stop.is_set():
                await asyncio.sleep(rng.uniform(1, 3))
                if stop.is_set():
                    return
                n += 1
                ticket = rng.choice(mine)
                sent = time.perf_counter()
                r = await client.post(
                    f"{V1}/tickets/{ticket}/messages",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"body": f"Resposta {n}. Ficou alguma dúvida?"},
                )
                if r.status_code == 201:
                    to_visitors.sent[r.json()["id"]] = sent

        streams = []
        for session in sessions:
            up = asyncio.Event()
            ready.append(up)
            streams.append(asyncio.create_task(visitor_stream(session, up)))
        for index, (_uid, token) in enumerate(seeded.agents):
            up = asyncio.Event()
            ready.append(up)
            streams.append(asyncio.create_task(agent_stream(index, token, up)))
        await asyncio.gather(*(e.wait() for e in ready))
        await asyncio.sleep(1.0)  # every stream has connected
        talkers = [asyncio.create_task(visitor_talks(i, s)) for i, s in enumerate(sessions)]
        talkers += [
            asyncio.create_task(agent_talks(i, t)) for i, (_u, t) in enumerate(seeded.agents)
        ]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*talkers, return_exceptions=True)
        deadline = time.perf_counter() + GRACE_SECONDS
        while time.perf_counter() < deadline and (
            len(to_agents.arrived) < len(to_agents.sent)
            or len(to_visitors.arrived) < len(to_visitors.sent)
        ):
            await asyncio.sleep(0.1)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return {"visitor_to_agent": to_agents.report(), "agent_to_visitor": to_visitors.report()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atende-chat-load-") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'chat.db'}"
        seeded = seed(url, args.agents)
        port = _free_port()
        env = dict(
            os.environ, ATENDE_DATABASE_URL=url, ATENDE_RUN_WORKER="false", ATENDE_DATA_DIR=tmp,
            # every simulated visitor comes from 127.0.0.1: lift the per-address limit
            ATENDE_CHAT_NEW_VISITORS_PER_ADDRESS="1000000",
        )  # fmt: skip
        cmd = [
            sys.executable,
            "-c",
            "from atende.cli import app; app()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        server = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            result = asyncio.run(run(base, seeded, visitors=args.visitors, seconds=args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    kind = url.split(":", 1)[0]
    print(
        json.dumps(
            {
                "database": kind,
                "workers": args.workers,
                "visitors": args.visitors,
                "agents": args.agents,
                "seconds": args.seconds,
                **result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
