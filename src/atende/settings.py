"""Configuration from the environment (``ATENDE_*``), built once and passed down."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATENDE_", extra="ignore")

    database_url: str = "sqlite:///./atende.db"
    data_dir: Path = Path("./data")
    secret_key: str | None = None
    default_timezone: str = "America/Sao_Paulo"
    default_locale: str = "pt_BR"
    # the reports' rollup counts local days and months of this zone (decision 0029); after a
    # change, `atende reports rollup --rebuild`
    report_timezone: str = "America/Sao_Paulo"
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_import_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    login_max_attempts: int = Field(default=5, ge=1)
    # SLA deadlines one worker handles at once on PostgreSQL (a burst at Monday 08:00)
    sweep_threads: int = Field(default=4, ge=1, le=32)
    login_window_seconds: int = Field(default=300, ge=1)
    # live chat abuse limits (docs/chat.md): new visitors per client address, and chats one
    # visitor starts, within the window; then 429 with Retry-After
    chat_new_visitors_per_address: int = Field(default=120, ge=1)
    chat_starts_per_visitor: int = Field(default=10, ge=1)
    chat_limit_window_seconds: int = Field(default=600, ge=1)
    session_days: int = Field(default=14, ge=1)
    cookie_secure: bool = False
    # requests of one server process using the database at once (api/admission.py): keep it
    # below the worker threads (40) so a request holding a connection always finds a thread
    max_active_requests: int = Field(default=24, ge=1, le=39)
    run_worker: bool = True
    # durable jobs
    job_max_attempts: int = Field(default=8, ge=1)
    job_lease_seconds: int = Field(default=300, ge=5)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # an agent not seen for this long (no request, session expired) goes offline
    presence_timeout_minutes: int = Field(default=30, ge=1)
    # outgoing notifications
    base_url: str = "http://127.0.0.1:8000"
    # where customers open public links (survey pages); base_url when unset
    public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Atende <atende@localhost>"
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # inbound e-mail (docs/channels.md): the built-in SMTP receiver listens when a port is set,
    # for recipients at these domains (comma-separated); per-sender limit of e-mails an hour
    inbound_smtp_port: int | None = Field(default=None, ge=1, le=65535)
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_domains: str = ""
    inbound_max_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    inbound_sender_limit_per_hour: int = Field(default=30, ge=1)
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    telegram_api_base: str = "https://api.telegram.org"
    # WhatsApp Business Cloud API (docs/channels.md): Graph API base URL and version
    whatsapp_api_base: str = "https://graph.facebook.com"
    whatsapp_api_version: str = Field(default="v21.0", pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$")
    # largest media file a WhatsApp or Telegram message may bring (Telegram's bots: 20 MB)
    messaging_media_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # WhatsApp and Telegram: messages one sender may send an hour before the rest are kept
    # but acted on by nothing (loop protection, as inbound_sender_limit_per_hour for e-mail)
    messaging_sender_limit_per_hour: int = Field(default=120, ge=1)
    telegram_bot_token: str | None = None
    # the live stream (GET /api/v1/stream): a comment this often keeps an idle stream open
    # (and re-checks the caller's credentials); SQLite processes look for other processes'
    # events this often; events are kept this long for reconnections and webhooks
    stream_keepalive_seconds: float = Field(default=15.0, gt=0, le=300)
    stream_poll_seconds: float = Field(default=0.05, gt=0, le=60)
    stream_retention_days: int = Field(default=7, ge=1)

    @field_validator("default_timezone", "report_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @property
    def inbound_domains(self) -> frozenset[str]:
        return frozenset(
            d.strip().lower().strip(".") for d in self.inbound_smtp_domains.split(",") if d.strip()
        )

    @property
    def provider_facing_url(self) -> str:
        """Where providers (Meta, Telegram) reach this server: ``public_url``, else
        ``base_url``; webhook URLs are built on it."""
        return (self.public_url or self.base_url).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, else kept in ``data_dir/secret_key``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        tmp.chmod(0o600)
        tmp.replace(path)
        return path.read_text().strip()

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"
