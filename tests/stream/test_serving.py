"""The live stream in a real server process: idle streams hold no database slot, a revoked
token or an ended session ends its stream, the web session opens one, a stopping server ends
its streams at once, and subscribed webhooks arrive signed at a receiver (the worker runs in
the process)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from atende.agents.models import User
from atende.auth.passwords import hash_password
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.notify.webhook import verify
from tests.notify.support import HttpServer
from tests.stream.conftest import shared_database
from tests.stream.support import V1, Listener, Seeded, Server, seed, wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with shared_database(database_url, tmp_path_factory.mktemp("serving")) as made:
        yield made


@pytest.fixture(scope="module")
def seeded(url: str) -> Seeded:
    s = seed(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        session.add(User(name="Web", email="web@solis.example", role="supervisor",
                         password_hash=hash_password(PASSWORD)))  # fmt: skip
    engine.dispose()
    return s


@pytest.fixture(scope="module")
def server(url: str, seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One process, one admission slot, its worker running, webhooks to 127.0.0.1 allowed."""
    running = Server(
        url,
        tmp_path_factory.mktemp("data"),
        env={
            "ATENDE_MAX_ACTIVE_REQUESTS": "1",
            "ATENDE_RUN_WORKER": "true",
            "ATENDE_WORKER_POLL_SECONDS": "0.2",
            "ATENDE_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
        },
    ).start()
    yield running
    running.stop()


def api(server: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)  # fmt: skip


def test_idle_streams_hold_no_database_slot(server: Server, seeded: Seeded) -> None:
    listeners = [Listener(lambda: server.base, seeded.admin, name=f"idle{i}") for i in range(6)]
    for listener in listeners:
        listener.start()
    try:
        for listener in listeners:
            assert listener.connected.wait(30)
        # six open streams, one slot: every request still gets through at once
        with api(server, seeded.admin) as client:
            for _ in range(10):
                start = time.monotonic()
                assert client.get(f"{V1}/users/me").status_code == 200
                assert time.monotonic() - start < 2
            made = client.post(f"{V1}/tickets", json={"subject": "Com 6 streams", "body": "x",
                                                      "queue_id": seeded.q1})  # fmt: skip
            assert made.status_code == 201, made.text
        wait_until(lambda: all(any(e.data["ticket_id"] == made.json()["id"] for e in li.events)
                               for li in listeners), what="the event on every stream")  # fmt: skip
    finally:
        for listener in listeners:
            listener.stop()


def test_a_revoked_token_ends_its_stream(server: Server, seeded: Seeded) -> None:
    with api(server, seeded.admin) as admin:
        made = admin.post(f"{V1}/tokens", json={"name": "console"})
        assert made.status_code == 201, made.text
        token, token_id = made.json()["token"], made.json()["id"]
        listener = Listener(lambda: server.base, token, name="revoked")
        listener.start()
        try:
            assert listener.connected.wait(30)
            assert admin.delete(f"{V1}/tokens/{token_id}").status_code == 204
            # within a keep-alive (1 s here) the stream ends; reconnecting is refused
            wait_until(lambda: 401 in listener.refusals, 15, what="the stream to end")
            assert listener.connects == 1
        finally:
            listener.stop()


def test_the_web_session_opens_a_stream(server: Server, seeded: Seeded) -> None:
    with httpx.Client(base_url=server.base, timeout=10) as browser:
        page = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        res = browser.post("/login", data={"email": "web@solis.example", "password": PASSWORD,
                                           "csrf_token": token.group(1)})  # fmt: skip
        assert res.status_code in (200, 303), res.text
        assert browser.cookies.get("atende_session")
        with browser.stream("GET", f"{V1}/stream", headers={"Accept": "text/event-stream"}) as s:
            assert s.status_code == 200
            assert s.headers["content-type"].startswith("text/event-stream")
            lines = s.iter_lines()
            assert next(lines).startswith("retry:")
            # an event made meanwhile arrives on it
            with api(server, seeded.admin) as admin:
                made = admin.post(f"{V1}/tickets", json={"subject": "Pelo cookie", "body": "x",
                                                         "queue_id": seeded.q1})  # fmt: skip
            deadline = time.monotonic() + 20  # keep-alives come every second
            for line in lines:
                assert time.monotonic() < deadline, "no event on the session's stream"
                if line.startswith("data: "):
                    assert json.loads(line[6:])["ticket_id"] == made.json()["id"]
                    break


def test_subscribed_webhooks_arrive_signed_and_others_do_not(
    server: Server, seeded: Seeded
) -> None:
    receiver = HttpServer()
    receiver.start()
    try:
        with api(server, seeded.admin) as admin:
            sub = admin.post(f"{V1}/webhooks", json={
                "url": receiver.url("/atende"), "event_types": ["ticket_created", "note_added"],
            })  # fmt: skip
            assert sub.status_code == 201, sub.text
            secret = sub.json()["secret"]
            t = admin.post(f"{V1}/tickets", json={"subject": "Webhook", "body": "x",
                                                  "queue_id": seeded.q2}).json()["id"]  # fmt: skip
            admin.post(f"{V1}/tickets/{t}/messages", json={"body": "Olá", "public": True})
            admin.post(f"{V1}/tickets/{t}/messages", json={"body": "nota", "public": False})
        # in stream order: once the note (the last) arrived, the reply was passed over
        wait_until(lambda: len(receiver.requests) >= 2, 30, what="two deliveries")
        time.sleep(0.5)
        got = receiver.requests
        assert [r.headers["X-Atende-Event"] for r in got] == ["ticket_created", "note_added"]
        for request in got:
            assert verify(secret, request.headers["X-Atende-Timestamp"], request.body,
                          request.headers["X-Atende-Signature"], now=time.time())  # fmt: skip
            body = json.loads(request.body)
            assert body["data"]["ticket_id"] == t and body["event"] == body["data"]["type"]
            assert request.headers["Idempotency-Key"] == (
                f"webhook:{sub.json()['id']}:{body['data']['id']}"
            )
            assert not verify("whsec_wrong", request.headers["X-Atende-Timestamp"],
                              request.body, request.headers["X-Atende-Signature"],
                              now=time.time())  # fmt: skip
    finally:
        receiver.stop()


def test_a_stopping_server_ends_its_streams_at_once(
    url: str, seeded: Seeded, tmp_path: Path
) -> None:
    extra = Server(url, tmp_path / "stop", env={"ATENDE_STREAM_KEEPALIVE_SECONDS": "30"}).start()
    listeners = [Listener(lambda: extra.base, seeded.agent, name=f"stop{i}") for i in range(3)]
    for listener in listeners:
        listener.start()
    try:
        for listener in listeners:
            assert listener.connected.wait(30)
        took = extra.stop()
        assert extra.proc is not None and extra.proc.returncode == 0
        # the open streams would hold it for the 10 s graceful timeout (and keep-alives of 30 s)
        assert took < 8, f"the shutdown waited {took:.1f} s for the open streams"
    finally:
        for listener in listeners:
            listener.stop()
    engine = make_engine(url)
    with engine.connect() as conn:  # nothing was left behind by the streams
        assert conn.execute(text("SELECT count(*) FROM stream_cursors")).scalar_one() == 2
    engine.dispose()
