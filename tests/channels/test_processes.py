"""The SMTP receiver in real processes: `atende serve --workers 2` listens in exactly one of
them and stores the e-mail; `atende worker --once` ingests it; a running `atende worker` listens
and ingests by itself. On the ``server_url`` database (real commits)."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from atende.channels.models import InboundItem
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.tickets.models import Ticket
from tests.channels.conftest import SUPPORT, customer_mail
from tests.notify.support import free_port
from tests.servers import running_server, seed_admin

CLI = [sys.executable, "-c", "from atende.cli import app; app()"]


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            items = session.scalar(select(func.count()).select_from(InboundItem)) or 0
            tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    finally:
        engine.dispose()
    return items, tickets


def _send(port: int, raw: bytes) -> None:
    deadline = time.monotonic() + 30
    while True:  # the process may still be starting
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.sendmail("marina@gmail.example", [SUPPORT], raw)
            return
        except (ConnectionRefusedError, smtplib.SMTPServerDisconnected):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _env(url: str, port: int, data_dir: Path) -> dict[str, str]:
    return dict(
        os.environ, ATENDE_DATABASE_URL=url, ATENDE_DATA_DIR=str(data_dir),
        ATENDE_INBOUND_SMTP_PORT=str(port), ATENDE_INBOUND_SMTP_DOMAINS="suporte.example",
        ATENDE_SECRET_KEY="processes-test-secret-key",
    )  # fmt: skip


def test_serve_with_two_processes_listens_once_and_the_worker_ingests(
    server_url: str, tmp_path: Path
) -> None:
    seed_admin(server_url)
    port = free_port()
    settings = {
        "ATENDE_INBOUND_SMTP_PORT": str(port),
        "ATENDE_INBOUND_SMTP_DOMAINS": "suporte.example",
    }
    with running_server(server_url, workers=2, **settings):
        _send(port, customer_mail("Olá, por e-mail")[0])
        assert _counts(server_url) == (1, 0)  # stored before the 250; the worker is off
    once = subprocess.run(
        [*CLI, "worker", "--once"], env=_env(server_url, port, tmp_path / "data"),
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr.decode()[-2000:]
    assert _counts(server_url) == (1, 1)


def test_a_running_worker_listens_and_ingests(server_url: str, tmp_path: Path) -> None:
    seed_admin(server_url)
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "worker"], env=_env(server_url, port, tmp_path / "data"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _send(port, customer_mail("Olá, de novo")[0])
        deadline = time.monotonic() + 60
        while _counts(server_url) != (1, 1):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            assert time.monotonic() < deadline, "the worker did not ingest the e-mail in 60 s"
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
