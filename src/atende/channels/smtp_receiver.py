"""The built-in SMTP receiver (aiosmtpd): an MTA relays inbound mail to it.

It accepts recipients whose domain is one of ``ATENDE_INBOUND_SMTP_DOMAINS`` (others: 550),
stores the message as a queued inbound item *before* answering 250 (a failure to store answers
451, so the MTA keeps the message and tries again), and does nothing else: the worker ingests.

Exactly one process listens: the socket is bound before the server starts, so when ``atende
serve`` runs several processes (or a worker runs beside it) the others find the port taken and
leave it to the one that has it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.orm import Session, sessionmaker

from atende.channels import pipeline
from atende.channels.email_parse import provider_id
from atende.db.base import utcnow
from atende.db.engine import transaction
from atende.settings import Settings

log = logging.getLogger("atende.smtp_receiver")

KIND = "email"
CHANNEL = "smtp"


class InboundHandler:
    """aiosmtpd's handler: check each recipient's domain, store the data, answer."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        domains: frozenset[str],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.domains = domains
        self.clock = clock

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rpartition("@")[2].strip().lower().strip(".")
        if domain not in self.domains:
            return "550 5.1.1 Recipient domain not served here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        try:
            created = await asyncio.to_thread(self._store, raw)
        except Exception:
            log.exception("could not store an inbound e-mail; the sender will retry")
            return "451 4.3.0 Temporary failure storing the message, try again later"
        return "250 2.0.0 Message accepted" if created else "250 2.0.0 Already received"

    def _store(self, raw: bytes) -> bool:
        with transaction(self.sessions) as db:
            _, created = pipeline.store(
                db, kind=KIND, channel=CHANNEL, provider_id=provider_id(raw), raw=raw,
                now=self.clock(),
            )  # fmt: skip
        return created


class Receiver:
    """The SMTP server on its own thread and event loop."""

    def __init__(self, sock: socket.socket, handler: InboundHandler, max_bytes: int) -> None:
        self.sock = sock
        self.handler = handler
        self.max_bytes = max_bytes
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.thread = threading.Thread(target=self._run, name="atende-smtp-receiver", daemon=True)
        self._ready = threading.Event()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _factory(self) -> SMTP:
        return SMTP(self.handler, data_size_limit=self.max_bytes, hostname="atende",
                    enable_SMTPUTF8=True)  # fmt: skip

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def serve() -> None:
            self.server = await self.loop.create_server(self._factory, sock=self.sock)

        self.loop.run_until_complete(serve())
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> Receiver:
        self.thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket; OSError when another process has the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(100)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def start(settings: Settings, sessions: sessionmaker[Session], **kwargs: Any) -> Receiver | None:
    """Listen when ``ATENDE_INBOUND_SMTP_PORT`` is set and the port is free; None otherwise."""
    if settings.inbound_smtp_port is None:
        return None
    if not settings.inbound_domains:
        log.warning("ATENDE_INBOUND_SMTP_DOMAINS is empty: every recipient will be refused")
    try:
        sock = bind(settings.inbound_smtp_host, settings.inbound_smtp_port)
    except OSError as exc:
        log.info("SMTP receiver not started here (%s:%s: %s): another process listens",
                 settings.inbound_smtp_host, settings.inbound_smtp_port, exc)  # fmt: skip
        return None
    handler = InboundHandler(sessions, settings.inbound_domains, **kwargs)
    receiver = Receiver(sock, handler, settings.inbound_max_bytes).start()
    log.info("SMTP receiver listening on %s:%s", settings.inbound_smtp_host, receiver.port)
    return receiver
