"""Real ``atende serve`` processes on one database, and SSE clients that behave like a browser's
``EventSource``: they reconnect after any failure, sending ``Last-Event-ID``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.customers.models import Contact, Organization
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue, QueueMember

V1 = "/api/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``atende serve --workers 1`` on ``url`` (one process: killing it kills the server)."""

    url: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = dict(
            os.environ,
            ATENDE_DATABASE_URL=self.url,
            ATENDE_RUN_WORKER="false",
            ATENDE_DATA_DIR=str(self.data_dir),
            ATENDE_SECRET_KEY="stream-tests",
            ATENDE_STREAM_KEEPALIVE_SECONDS="1",
        )
        env.update(self.env)
        cmd = [sys.executable, "-c", "from atende.cli import app; app()", "serve",
               "--port", str(self.port), "--workers", "1", "--no-access-log"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"server exited: {err[-3000:]}")
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start in 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as in a crash."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM and wait; returns how long the shutdown took."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        start = time.monotonic()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.monotonic() - start


@dataclass
class Seeded:
    admin: str  # tokens
    agent: str
    contact: str
    agent_token_id: int
    q1: int
    q2: int
    org_a: int
    org_b: int
    contact_a: int
    contact_b: int


def seed(url: str) -> Seeded:
    """Migrate ``url``; an admin, an agent of Q1 only, a portal user of organization A."""
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with transaction(make_sessionmaker(engine)) as session:
        q1, q2 = Queue(name="Suporte N1", description=""), Queue(name="Financeiro", description="")
        org_a, org_b = Organization(name="Padaria A"), Organization(name="Mercado B")
        session.add_all([q1, q2, org_a, org_b])
        session.flush()
        contact_a = Contact(name="Lia", email="lia@padaria-a.com.br", organization_id=org_a.id)
        contact_b = Contact(name="Rui", email="rui@mercado-b.com.br", organization_id=org_b.id)
        session.add_all([contact_a, contact_b])
        session.flush()
        admin = User(name="Ana", email="ana@solis.example", role="admin")
        agent = User(name="Beto", email="beto@solis.example", role="agent")
        portal = User(name="Lia", email="lia@padaria-a.com.br", role="contact",
                      contact_id=contact_a.id)  # fmt: skip
        session.add_all([admin, agent, portal])
        session.flush()
        session.add(QueueMember(queue_id=q1.id, user_id=agent.id))
        tokens = {}
        for user in (admin, agent, portal):
            token, secret = auth_service.create_token(session, user=user, name="t", now=now)
            tokens[user.role] = (token.id, secret)
        seeded = Seeded(
            tokens["admin"][1], tokens["agent"][1], tokens["contact"][1], tokens["agent"][0],
            q1.id, q2.id, org_a.id, org_b.id, contact_a.id, contact_b.id,
        )  # fmt: skip
    engine.dispose()
    return seeded


def stream_rows(url: str) -> list[tuple[int, str, int | None, bool]]:
    """Every event in the database: (position, type, ticket id, public), in stream order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT position, type, ticket_id, public FROM stream_events ORDER BY position"
                )
            ).all()
    finally:
        engine.dispose()
    return [(int(p), str(t), None if i is None else int(i), bool(pub)) for p, t, i, pub in found]


def tickets_where(url: str) -> dict[int, tuple[int | None, int | None]]:
    """Each ticket's (queue id, organization id) now."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT id, queue_id, organization_id FROM tickets")).all()
    finally:
        engine.dispose()
    return {int(i): (q, o) for i, q, o in found}


@dataclass(frozen=True)
class Received:
    id: int
    event: str
    data: dict[str, Any]


class Listener(threading.Thread):
    """An SSE client that reconnects (``Last-Event-ID``) until stopped, like EventSource."""

    def __init__(self, base: Callable[[], str], token: str, *, name: str) -> None:
        super().__init__(name=f"sse-{name}", daemon=True)
        self.base = base
        self.token = token
        self.events: list[Received] = []
        self.last_id: int | None = None
        self.connects = 0
        self.refusals: list[int] = []
        self.stopping = threading.Event()
        self.connected = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            headers = {"Authorization": f"Bearer {self.token}"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = str(self.last_id)
            try:
                timeout = httpx.Timeout(5.0, read=5.0)
                with (
                    httpx.Client(timeout=timeout) as client,
                    client.stream("GET", f"{self.base()}{V1}/stream", headers=headers) as res,
                ):
                    if res.status_code != 200:
                        self.refusals.append(res.status_code)
                        time.sleep(0.2)
                        continue
                    self.connects += 1
                    self.connected.set()
                    self._read(res)
            except httpx.HTTPError:
                pass
            time.sleep(0.1)

    def _read(self, res: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in res.iter_lines():
            if self.stopping.is_set():
                return
            if line == "":
                self._dispatch(fields)
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")

    def _dispatch(self, fields: dict[str, str]) -> None:
        if "id" in fields:
            self.last_id = int(fields["id"])
        if "data" in fields:
            data = json.loads(fields["data"])
            self.events.append(Received(int(fields["id"]), fields.get("event", ""), data))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")
