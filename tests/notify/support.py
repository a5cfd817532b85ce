"""Local stand-ins for the outside world: an HTTP server (webhook receiver, fake Bot API) and an
SMTP server (aiosmtpd), both on loopback; and a JobContext builder."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.orm import sessionmaker

from atende.jobs.registry import JobContext
from atende.settings import Settings

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class HttpServer:
    """Records every request; ``reply(request) -> (status, headers, body)`` decides the answer."""

    host: str = "127.0.0.1"
    requests: list[Received] = field(default_factory=list)
    reply: Callable[[Received], Reply] = lambda _request: (200, {}, b"ok")
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        shown = host or self.host
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}{path}"

    def start(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received("POST", self.path, self.headers, self.rfile.read(length))
                recorder.requests.append(request)
                status, headers, body = recorder.reply(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # a client that gave up (timeout test) is expected; anything else is shown
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server((self.host, 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class SmtpCollector:
    """An aiosmtpd handler: ``reject*@`` recipients get 550, ``later*@`` get 451."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        if address.startswith("later"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(**overrides: Any) -> Settings:
    """Settings for notify tests: everything outgoing off unless given."""
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "secret_key": "test",
        "smtp_host": None,
        "smtp_username": None,
        "smtp_password": None,
        "smtp_starttls": False,
        "mail_from": "Atende <atende@example.test>",
        "base_url": "https://help.example.test",
        "webhook_allowed_hosts": [],
        "webhook_timeout_seconds": 5.0,
        "telegram_bot_token": None,
    }
    values.update(overrides)
    return Settings(**values)


def make_ctx(settings: Settings, *, key: str = "job-key-1", kind: str = "test") -> JobContext:
    # The notify handlers never use the database: an unbound sessionmaker stands in.
    return JobContext(
        settings=settings, sessions=sessionmaker(), job_id=1, kind=kind, key=key, attempt=1
    )
