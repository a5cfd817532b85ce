"""WhatsApp and Telegram under test: local fakes of the Graph API and the Bot API, the app's
settings pointed at them, signed webhook deliveries through the real routes, and a worker on
the test's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from atende.settings import Settings
from atende.worker import Worker
from tests.messaging import fakes
from tests.notify.support import SmtpCollector, free_port

FIXTURES = Path(__file__).parent / "fixtures"
#: the fixtures' customer wrote at 2026-12-02 14:00 UTC (``timestamp`` 1796220000)
WROTE_AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def positions_at_once(connection: Connection) -> None:
    """PostgreSQL gives a stream event its position at commit, and a test never commits: here
    at once (as tests/stream/conftest.py does), so the delivery events can be read."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET CONSTRAINTS stream_events_stamp IMMEDIATE")


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@pytest.fixture
def graph() -> Iterator[fakes.FakeGraph]:
    fake = fakes.FakeGraph()
    fake.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def bot_api() -> Iterator[fakes.FakeBotApi]:
    fake = fakes.FakeBotApi()
    fake.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def sink() -> Iterator[tuple[SmtpCollector, int]]:
    collector = SmtpCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def settings(
    tmp_path: Path,
    database_url: str,
    graph: fakes.FakeGraph,
    bot_api: fakes.FakeBotApi,
    sink: tuple[SmtpCollector, int],
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-not-for-production",
        run_worker=False,
        base_url="http://127.0.0.1:8000",
        public_url="https://atende.example",
        whatsapp_api_base=graph.base,
        whatsapp_api_version=fakes.VERSION,
        telegram_api_base=bot_api.base,
        webhook_timeout_seconds=5,
        smtp_host="127.0.0.1",
        smtp_port=sink[1],
        mail_from="Suporte Solis <suporte@suporte.example>",
    )


@pytest.fixture
def worker(settings: Settings, session_factory: sessionmaker[Session]) -> Worker:
    return Worker(settings, session_factory)


@pytest.fixture
def at_first_message() -> Iterator[None]:
    """The clock five minutes after the fixtures' customer wrote."""
    with time_machine.travel(WROTE_AT.replace(minute=5), tick=True):
        yield


WHATSAPP_TEMPLATES = [
    {"name": "retomar_atendimento", "language": "pt_BR",
     "body": "Olá, {{1}}! Temos novidades sobre o chamado {{2}}. Responda para continuar."},
]  # fmt: skip


@pytest.fixture
def whatsapp_channel(admin: Any) -> dict[str, Any]:
    r = admin.post("/api/v1/channels", json={
        "kind": "whatsapp", "name": "WhatsApp Suporte",
        "phone_number_id": fakes.PHONE_NUMBER_ID, "access_token": fakes.ACCESS_TOKEN,
        "app_secret": fakes.APP_SECRET, "verify_token": fakes.VERIFY_TOKEN,
        "templates": WHATSAPP_TEMPLATES,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def telegram_channel(admin: Any) -> dict[str, Any]:
    r = admin.post(
        "/api/v1/channels",
        json={"kind": "telegram", "name": "Bot Suporte", "bot_token": fakes.BOT_TOKEN},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def deliver(client: TestClient, whatsapp_channel: dict[str, Any]) -> Callable[..., Any]:
    """deliver(raw, signature=<right one>) -> the webhook's answer (Meta's POST)."""

    def _deliver(raw: bytes, *, signature: str | None = "right") -> Any:
        headers = {"Content-Type": "application/json"}
        if signature == "right":
            headers["X-Hub-Signature-256"] = fakes.sign(raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return client.post(path_of(whatsapp_channel["webhook_url"]), content=raw, headers=headers)

    return _deliver


def telegram_update(
    update_id: int, *, text: str | None = "Oi, preciso de ajuda", **more: Any
) -> bytes:
    message: dict[str, Any] = {
        "message_id": update_id - 900, "date": 1796220000,
        "from": {"id": 424242, "is_bot": False, "first_name": "Rafael", "last_name": "Souza",
                 "username": "rafa", "language_code": "pt-br"},
        "chat": {"id": 424242, "first_name": "Rafael", "type": "private"},
    }  # fmt: skip
    if text is not None:
        message["text"] = text
    message.update(more)
    return json.dumps({"update_id": update_id, "message": message}).encode()
