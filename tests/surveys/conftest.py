"""The surveys' world: an SMTP sink (aiosmtpd) the worker delivers to, a worker on the test's
transaction and clock, and helpers that read the e-mails' links and the survey page's form."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.settings import Settings
from atende.worker import Worker
from tests.jobs.conftest import Clock
from tests.notify.support import SmtpCollector, free_port

PUBLIC = "https://suporte.example.test"
V1 = "/api/v1"
LINK = re.compile(re.escape(PUBLIC) + r"/pesquisa/([A-Za-z0-9_.\-]+)\?nota=(\d+)")


@pytest.fixture
def smtp() -> Iterator[SmtpCollector]:
    collector = SmtpCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    collector.port = port  # type: ignore[attr-defined]
    yield collector
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: SmtpCollector) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-not-for-production",
        run_worker=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,  # type: ignore[attr-defined]
        mail_from="Suporte <suporte@example.test>",
        public_url=PUBLIC,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(settings: Settings, session_factory: sessionmaker[Session], clock: Clock) -> Worker:
    return Worker(settings, session_factory, clock=clock)


def run_jobs(worker: Worker) -> int:
    """Run due jobs until none is left (the survey job queues its e-mail's job). The worker's
    clock is moved to at least now: jobs queued "at once" are due, however slow the machine."""
    if isinstance(worker.clock, Clock):
        worker.clock.now = max(worker.clock.now, utcnow() + timedelta(seconds=5))
    total = 0
    for _ in range(10):
        done = worker.run_due_jobs()
        total += done
        if not done:
            break
    return total


@dataclass
class Mail:
    to: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        for part in self.message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        raise AssertionError("no text part")

    def links(self) -> dict[int, str]:
        """score -> the link's path (``/pesquisa/<token>?nota=N``)."""
        return {
            int(score): f"/pesquisa/{token}?nota={score}"
            for token, score in LINK.findall(self.text)
        }

    @property
    def token(self) -> str:
        found = {token for token, _ in LINK.findall(self.text)}
        assert len(found) == 1, found
        return found.pop()


def mails(smtp: SmtpCollector) -> list[Mail]:
    return [
        Mail(to, email.message_from_bytes(raw, policy=email.policy.default))
        for _from, to, raw in smtp.messages
    ]


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def checked_score(html: str) -> int | None:
    found = re.search(r'name="nota" value="(\d+)"(?: class="low")? checked', html)
    return int(found.group(1)) if found else None


def made(res: Any, status: int = 201) -> Any:
    assert res.status_code == status, res.text
    return res.json()


@dataclass
class World:
    queue: int
    org: int
    contact: int
    agent: Any
    other_agent: Any
    ticket: int


@pytest.fixture
def world(admin: Any, make_user: Any) -> World:
    """A queue with two agents, a customer of an organization and their ticket, assigned."""
    queue = made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))["id"]
    org = made(admin.post(f"{V1}/organizations", json={"name": "Padaria Pão Quente"}))["id"]
    contact = made(admin.post(f"{V1}/contacts", json={
        "name": "Joana Lojista", "email": "joana@padaria.example", "organization_id": org,
    }))["id"]  # fmt: skip
    agent = make_user("agent", name="Paulo Agente", queue_ids=[queue])
    other = make_user("agent", name="Rita Agente", queue_ids=[queue])
    return World(queue, org, contact, agent, other, new_ticket(admin, contact, queue, agent.id))


def new_ticket(admin: Any, contact: int, queue: int, assignee: int | None = None) -> int:
    ticket = made(admin.post(f"{V1}/tickets", json={
        "subject": "Caixa travado", "body": "O PDV não abre desde cedo.", "queue_id": queue,
        "contact_id": contact, "channel": "email",
    }))["id"]  # fmt: skip
    if assignee is not None:
        made(admin.patch(f"{V1}/tickets/{ticket}", json={"assignee_id": assignee}), 200)
    return int(ticket)


def set_status(user: Any, ticket: int, status: str) -> None:
    made(user.patch(f"{V1}/tickets/{ticket}", json={"status": status}), 200)


def timeline(user: Any, ticket: int) -> list[dict[str, Any]]:
    return made(user.get(f"{V1}/tickets/{ticket}/timeline"), 200)  # type: ignore[no-any-return]
