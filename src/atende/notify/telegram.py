"""Job kind ``notify.telegram``: send a text message with the Telegram Bot API.

Payload: ``{"chat_id": str | int, "text": str}``. Calls
``POST {telegram_api_base}/bot{token}/sendMessage`` with ``{"chat_id", "text",
"disable_web_page_preview": true}``; Telegram answers ``{"ok": true, "result": {...}}`` or
``{"ok": false, "error_code", "description", "parameters": {"retry_after"?,
"migrate_to_chat_id"?}}``.

No token configured, a bad payload, a 3xx and a 4xx other than 429 park the job dead (with
Telegram's description); 429 (flood control, with ``retry_after``), 5xx, network errors and
timeouts are retried. The Bot API has no idempotency key: a retry after a lost answer can
send the message twice. The bot token is a password: it never appears in an error message,
and the ``httpx`` request log line is redacted.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from atende.jobs.registry import JobContext, PermanentFailure, handler
from atende.notify.errors import TransientFailure
from atende.settings import Settings

KIND = "notify.telegram"
MAX_TEXT_UTF16_UNITS = 4096
"""Telegram's limit for a message text (counted in UTF-16 code units); longer text is cut."""
_MAX_RESPONSE_BYTES = 64 * 1024
_TOKEN_IN_PATH = re.compile(r"/bot[^/?#\s]+")

log = logging.getLogger(__name__)


class _RedactBotToken(logging.Filter):
    """Hides ``/bot<token>`` in the URL of httpx's ``HTTP Request: POST <url> ...`` log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub("/bot<token>", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub("/bot<token>", str(arg))
                if isinstance(arg, str | httpx.URL) and "/bot" in str(arg)
                else arg
                for arg in record.args
            )
        return True


def _install_log_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactBotToken) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactBotToken())


_install_log_redaction()


def send_message_url(settings: Settings, token: str) -> str:
    return f"{settings.telegram_api_base.rstrip('/')}/bot{token}/sendMessage"


def fit_text(text: str) -> str:
    """``text`` cut to Telegram's length limit (with an ellipsis when cut)."""
    units = text.encode("utf-16-le")
    if len(units) <= MAX_TEXT_UTF16_UNITS * 2:
        return text
    # errors="ignore" drops half of a surrogate pair cut at the boundary
    return units[: (MAX_TEXT_UTF16_UNITS - 1) * 2].decode("utf-16-le", "ignore") + "…"


@handler(KIND)
def send_telegram(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings = ctx.settings
    token = settings.telegram_bot_token
    if not token:
        raise PermanentFailure("Telegram is not configured: set ATENDE_TELEGRAM_BOT_TOKEN")
    chat_id, text = _parse_payload(payload)
    body = {"chat_id": chat_id, "text": fit_text(text), "disable_web_page_preview": True}

    def safe(message: str) -> str:
        return message.replace(token, "<token>")

    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(settings.webhook_timeout_seconds), follow_redirects=False
            ) as client,
            client.stream("POST", send_message_url(settings, token), json=body) as response,
        ):
            status = response.status_code
            raw = _read_limited(response)
            retry_header = response.headers.get("Retry-After")
    except httpx.TimeoutException:
        raise TransientFailure(
            f"Telegram: no answer within {settings.webhook_timeout_seconds:g} s"
        ) from None
    except httpx.HTTPError as exc:
        # `from None`: the chained exception holds the request, whose URL holds the token
        raise TransientFailure(safe(f"Telegram: {type(exc).__name__}: {exc}")) from None

    answer = _json_object(raw)
    if 200 <= status < 300 and answer.get("ok") is True:
        log.info("Telegram message %s sent to chat %s", ctx.key, chat_id)
        return

    description = answer.get("description")
    said = safe(str(description)) if description else f"HTTP {status}"
    code = answer.get("error_code", status)
    parameters = answer.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}

    if status == 429 or code == 429:
        retry_after = _number(parameters.get("retry_after")) or _number(retry_header)
        raise TransientFailure(
            f"Telegram flood control for chat {chat_id}: {said}", retry_after=retry_after
        )
    if status >= 500 or 200 <= status < 300:
        raise TransientFailure(f"Telegram answered {status} for chat {chat_id}: {said}")
    hint = ""
    if parameters.get("migrate_to_chat_id") is not None:
        hint = f"; the group is now chat {parameters['migrate_to_chat_id']}: update the chat id"
    raise PermanentFailure(
        f"Telegram refused the message to chat {chat_id}: {said} (error {code}){hint}"
    )


def _parse_payload(payload: dict[str, Any]) -> tuple[int | str, str]:
    if payload.get("chat_id") is None:
        raise PermanentFailure("telegram payload: missing field 'chat_id'")
    chat_id = payload["chat_id"]
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str):
        raise PermanentFailure("telegram payload: 'chat_id' must be an integer or a string")
    if isinstance(chat_id, str):
        chat_id = chat_id.strip()
        if not chat_id:
            raise PermanentFailure("telegram payload: 'chat_id' is empty")
    if payload.get("text") is None:
        raise PermanentFailure("telegram payload: missing field 'text'")
    text = payload["text"]
    if not isinstance(text, str) or not text.strip():
        raise PermanentFailure("telegram payload: 'text' must be a non-empty string")
    return chat_id, text


def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > _MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value.strip())
    return None
