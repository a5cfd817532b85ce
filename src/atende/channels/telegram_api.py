"""Telegram's Bot API, as the channel uses it (``ATENDE_TELEGRAM_API_BASE``).

``setWebhook`` with a ``secret_token`` Telegram sends back on every update (the bot token never
goes into our URL); ``sendMessage`` and ``sendDocument`` out; files in through ``getFile`` and
``{base}/file/bot<token>/<file_path>``. The token is a password: it never appears in a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from atende.channels import provider_http
from atende.settings import Settings

BLOCKED_REASON = "o cliente bloqueou o bot no Telegram"
ALLOWED_UPDATES = ("message", "callback_query")  # new messages, and taps on the bot's buttons


def _url(settings: Settings, token: str, method: str) -> str:
    return f"{settings.telegram_api_base.rstrip('/')}/bot{token}/{method}"


def _describe(answer: provider_http.Answer) -> str:
    description = answer.body.get("description")
    return str(description)[:300] if description else f"HTTP {answer.status}"


def set_webhook(settings: Settings, *, token: str, url: str, secret: str) -> str | None:
    """Register ``url`` with ``secret``; None when Telegram accepted, else why (Portuguese)."""
    try:
        answer = provider_http.call(
            "POST", _url(settings, token, "setWebhook"), secrets=(token, secret),
            timeout=settings.webhook_timeout_seconds,
            json_body={"url": url, "secret_token": secret,
                       "allowed_updates": list(ALLOWED_UPDATES), "drop_pending_updates": False},
        )  # fmt: skip
    except provider_http.Unreachable as exc:
        return f"o Telegram não respondeu: {exc}"
    if answer.ok and answer.body.get("ok") is True:
        return None
    return f"o Telegram recusou o webhook: {_describe(answer)}"


def delete_webhook(settings: Settings, *, token: str) -> None:
    """Best effort: a removed channel stops receiving (a failure is ignored)."""
    try:
        provider_http.call(
            "POST", _url(settings, token, "deleteWebhook"), secrets=(token,),
            timeout=settings.webhook_timeout_seconds, json_body={},
        )  # fmt: skip
    except provider_http.Unreachable:
        return


@dataclass(frozen=True)
class Sent:
    provider_id: str = ""
    reason: str = ""
    retry: bool = False
    blocked: bool = False


def _sent(answer: provider_http.Answer, chat_id: str) -> Sent:
    result = answer.body.get("result")
    if answer.ok and answer.body.get("ok") is True and isinstance(result, dict):
        return Sent(provider_id=f"{chat_id}:{result.get('message_id', '')}")
    description = _describe(answer)
    if answer.status == 403 and "blocked" in description.lower():
        return Sent(reason=BLOCKED_REASON, blocked=True)
    if answer.status == 403:
        return Sent(reason=f"o Telegram não permite escrever a este cliente: {description}")
    retry = answer.status == 429 or answer.status >= 500
    return Sent(reason=f"o Telegram recusou a mensagem: {description}", retry=retry)


def keyboard(buttons: list[dict[str, str]]) -> dict[str, Any]:
    """A bot's menu as an inline keyboard, one option a row (its ``callback_data`` comes back
    in a ``callback_query`` when tapped)."""
    return {"inline_keyboard": [
        [{"text": b["title"][:64], "callback_data": b["id"][:64]}] for b in buttons
    ]}  # fmt: skip


def send_message(
    settings: Settings,
    *,
    token: str,
    chat_id: str,
    text: str,
    buttons: list[dict[str, str]] | None = None,
) -> Sent:
    body: dict[str, Any] = {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
    if buttons:
        body["reply_markup"] = keyboard(buttons)
    return _send(settings, token, "sendMessage", chat_id, json_body=body)


def callback_answer(raw: bytes) -> dict[str, Any] | None:
    """The answer to a ``callback_query`` update given in the webhook's own response (the Bot
    API runs a method named there): ``answerCallbackQuery``, so the customer's app stops
    waiting on the tapped button. None for any other update."""
    try:
        update = json.loads(raw)
        query_id = update["callback_query"]["id"]
    except (ValueError, TypeError, KeyError):
        return None
    return {"method": "answerCallbackQuery", "callback_query_id": str(query_id)[:100]}


def send_document(
    settings: Settings, *, token: str, chat_id: str, filename: str, data: bytes, content_type: str
) -> Sent:
    return _send(
        settings, token, "sendDocument", chat_id, data={"chat_id": chat_id},
        files={"document": (filename, data, content_type)},
    )  # fmt: skip


def _send(settings: Settings, token: str, method: str, chat_id: str, **kw: Any) -> Sent:
    try:
        answer = provider_http.call(
            "POST", _url(settings, token, method), secrets=(token,),
            timeout=settings.webhook_timeout_seconds, **kw,
        )  # fmt: skip
    except provider_http.Unreachable as exc:
        return Sent(reason=f"o Telegram não respondeu: {exc}", retry=True)
    return _sent(answer, chat_id)


def download_file(settings: Settings, *, token: str, file_id: str) -> bytes:
    """A file a user sent (``getFile``, then the download); ValueError when refused."""
    timeout = settings.webhook_timeout_seconds
    answer = provider_http.call(
        "POST", _url(settings, token, "getFile"), secrets=(token,), timeout=timeout,
        json_body={"file_id": file_id},
    )  # fmt: skip
    result = answer.body.get("result")
    path = result.get("file_path") if isinstance(result, dict) else None
    if not answer.ok or not isinstance(path, str) or not path or ".." in path:
        raise ValueError(f"Telegram refused file {file_id}: {_describe(answer)}")
    base = settings.telegram_api_base.rstrip("/")
    status, data = provider_http.fetch(
        "GET", f"{base}/file/bot{token}/{path}", secrets=(token,), timeout=timeout,
        limit=settings.messaging_media_max_bytes,
    )  # fmt: skip
    if not 200 <= status < 300:
        raise ValueError(f"the download of Telegram file {file_id} answered HTTP {status}")
    return data
