"""The e-mail channel under test: a real SMTP receiver on a free port, a local SMTP sink for
what Atende sends (aiosmtpd), and a worker on the test's transaction."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from atende.settings import Settings
from atende.worker import Worker
from tests.notify.support import SmtpCollector, free_port

CORPUS = Path(__file__).parent / "corpus"
DOMAIN = "suporte.example"
SUPPORT = f"suporte@{DOMAIN}"


@pytest.fixture
def sink() -> Iterator[tuple[SmtpCollector, int]]:
    collector = SmtpCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, sink: tuple[SmtpCollector, int]) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-not-for-production",
        run_worker=False,
        base_url="https://atende.example",
        smtp_host="127.0.0.1",
        smtp_port=sink[1],
        mail_from=f"Suporte Solis <{SUPPORT}>",
        inbound_smtp_port=free_port(),
        inbound_smtp_domains=f"{DOMAIN}, outro.example",
    )


@pytest.fixture
def receiver(settings: Settings, client: TestClient) -> int:
    """The SMTP receiver's port: the app (as `atende serve` runs it, on the test's
    transaction) listens there while the test client is open."""
    assert settings.inbound_smtp_port is not None
    with smtplib.SMTP("127.0.0.1", settings.inbound_smtp_port, timeout=10) as smtp:
        assert smtp.noop()[0] == 250
    return settings.inbound_smtp_port


@pytest.fixture
def worker(settings: Settings, session_factory: sessionmaker[Session]) -> Worker:
    return Worker(settings, session_factory)


@pytest.fixture
def smtp_send(receiver: int) -> Callable[..., Any]:
    """smtp_send(raw, to=SUPPORT, sender=...) -> the SMTP answer's text, through the receiver."""

    def _send(raw: bytes, *, to: str = SUPPORT, sender: str = "cliente@gmail.example") -> Any:
        with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as smtp:
            return smtp.sendmail(sender, [to], raw)

    return _send


def customer_mail(
    body: str,
    *,
    subject: str = "Nota fiscal não sai",
    sender: str = "Marina Costa <marina@gmail.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[bytes, str]:
    """A plain customer e-mail to the support address: (raw bytes, its Message-ID)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg_id = make_msgid(domain="mail.gmail.example")
    msg["Message-ID"] = msg_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(), msg_id
