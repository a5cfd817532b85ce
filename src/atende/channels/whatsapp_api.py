"""Meta's WhatsApp Business Cloud API (Graph API), as the channel uses it.

``POST {base}/{version}/{phone_number_id}/messages`` with the Bearer token sends a text or an
approved template; media come in two steps: ``GET {base}/{version}/{media_id}`` gives a short-lived
``url``, downloaded at once with the same token. The base URL and version are settings
(``ATENDE_WHATSAPP_API_BASE``, ``ATENDE_WHATSAPP_API_VERSION``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from atende.channels import provider_http
from atende.domain import messaging
from atende.settings import Settings


def signature_ok(app_secret: str, raw: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` is ``sha256=`` + HMAC-SHA256 of the raw body under the app
    secret (compared in constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


def _url(settings: Settings, path: str) -> str:
    return f"{settings.whatsapp_api_base.rstrip('/')}/{settings.whatsapp_api_version}/{path}"


@dataclass(frozen=True)
class Sent:
    """What the API said of a send: the WhatsApp message id, or why it failed."""

    provider_id: str = ""
    error_code: str = ""
    reason: str = ""
    retry: bool = False


def text_body(to: str, text: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "text", "text": {"body": text, "preview_url": False},
    }  # fmt: skip


BUTTONS_MAX = 3  # reply buttons in one interactive message
ROWS_MAX = 10  # rows of a list message
BODY_MAX = 1024  # an interactive message's body
LIST_BUTTON = "Ver opções"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def interactive_body(to: str, text: str, buttons: list[dict[str, str]]) -> dict[str, Any] | None:
    """A bot's menu as reply buttons (up to 3) or a list message (up to 10 rows), its text
    (the numbered options: typing "1" works too) as the body; None when WhatsApp cannot show
    it so (more options, a longer text): then it goes as plain text."""
    if not buttons or len(buttons) > ROWS_MAX or len(text) > BODY_MAX:
        return None
    if len(buttons) <= BUTTONS_MAX:
        action: dict[str, Any] = {"buttons": [
            {"type": "reply", "reply": {"id": b["id"], "title": _short(b["title"], 20)}}
            for b in buttons
        ]}  # fmt: skip
        kind = "button"
    else:
        rows = [{"id": b["id"], "title": _short(b["title"], 24)} for b in buttons]
        action = {"button": LIST_BUTTON, "sections": [{"title": "Opções", "rows": rows}]}
        kind = "list"
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": text}, "action": action},
    }  # fmt: skip


def template_body(to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "template", "template": template,
    }  # fmt: skip


def send(settings: Settings, *, phone_number_id: str, token: str, body: dict[str, Any]) -> Sent:
    try:
        answer = provider_http.call(
            "POST", _url(settings, f"{phone_number_id}/messages"), secrets=(token,),
            timeout=settings.webhook_timeout_seconds,
            headers={"Authorization": f"Bearer {token}"}, json_body=body,
        )  # fmt: skip
    except provider_http.Unreachable as exc:
        return Sent(reason=f"a API do WhatsApp não respondeu: {exc}", retry=True)
    messages = answer.body.get("messages")
    if answer.ok and isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return Sent(provider_id=str(messages[0].get("id", ""))[:200])
    return _refused(answer)


def media_body(to: str, media_id: str, content_type: str, filename: str) -> dict[str, Any]:
    """An uploaded file as a message: an image (JPEG, PNG) as such, anything else a document."""
    if content_type in ("image/jpeg", "image/png"):
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                "type": "image", "image": {"id": media_id}}  # fmt: skip
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "document", "document": {"id": media_id, "filename": filename}}  # fmt: skip


def upload_media(
    settings: Settings,
    *,
    phone_number_id: str,
    token: str,
    filename: str,
    data: bytes,
    content_type: str,
) -> Sent:
    """``POST /{phone_number_id}/media``: the uploaded file's media id (in ``provider_id``), or
    why it was refused."""
    try:
        answer = provider_http.call(
            "POST", _url(settings, f"{phone_number_id}/media"), secrets=(token,),
            timeout=settings.webhook_timeout_seconds,
            headers={"Authorization": f"Bearer {token}"},
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (filename, data, content_type)},
        )  # fmt: skip
    except provider_http.Unreachable as exc:
        return Sent(reason=f"a API do WhatsApp não respondeu: {exc}", retry=True)
    media_id = answer.body.get("id")
    if answer.ok and media_id:
        return Sent(provider_id=str(media_id))
    return _refused(answer)


def _refused(answer: provider_http.Answer) -> Sent:
    error = answer.body.get("error")
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code", answer.status))
    detail = str(error.get("message", ""))[:500]
    retry = answer.status >= 500 or code in ("130429", "131056", "4", "80007")
    return Sent(error_code=code, reason=messaging.whatsapp_reason(code, detail), retry=retry)


def download_media(settings: Settings, *, token: str, media_id: str) -> tuple[bytes, str]:
    """The media's bytes and type, in two steps with the token; ValueError when refused,
    :class:`provider_http.Unreachable` when the API does not answer."""
    auth = {"Authorization": f"Bearer {token}"}
    timeout = settings.webhook_timeout_seconds
    info = provider_http.call(
        "GET", _url(settings, media_id), secrets=(token,), timeout=timeout, headers=auth
    )
    url = info.body.get("url")
    if not info.ok or not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ValueError(f"the Graph API refused media {media_id}: HTTP {info.status}")
    declared = info.body.get("file_size")
    if isinstance(declared, int) and declared > settings.messaging_media_max_bytes:
        raise ValueError(f"media {media_id} is larger than the limit ({declared} bytes)")
    status, data = provider_http.fetch(
        "GET", url, secrets=(token,), timeout=timeout, headers=auth,
        limit=settings.messaging_media_max_bytes,
    )  # fmt: skip
    if not 200 <= status < 300:
        raise ValueError(f"the media download of {media_id} answered HTTP {status}")
    sha = info.body.get("sha256")
    if isinstance(sha, str) and sha and hashlib.sha256(data).hexdigest() != sha.lower():
        raise ValueError(f"media {media_id}: the bytes do not match the announced SHA-256")
    return data, str(info.body.get("mime_type") or "application/octet-stream")


TEMPLATE_FIELDS = "name,language,status,category,components,id"
TEMPLATE_PAGES_MAX = 50  # 100 a page: more templates than any account keeps


@dataclass(frozen=True)
class Listed:
    """The account's templates as Meta lists them, or why they could not be read."""

    templates: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


def _template(found: dict[str, Any]) -> dict[str, Any]:
    body = next(
        (
            c.get("text", "")
            for c in found.get("components") or []
            if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"
        ),
        "",
    )
    return {
        "name": str(found.get("name", ""))[:512], "language": str(found.get("language", ""))[:15],
        "status": str(found.get("status", "")).upper()[:20],
        "category": str(found.get("category", "")).upper()[:30],
        "body": str(body)[:1024], "meta_id": str(found.get("id", ""))[:40],
    }  # fmt: skip


def message_templates(settings: Settings, *, waba_id: str, token: str) -> Listed:
    """``GET /{version}/{waba_id}/message_templates`` with the token, every page (following
    ``paging.next`` only while it stays on the Graph API's own address: the token never goes
    elsewhere)."""
    url: str | None = _url(settings, f"{waba_id}/message_templates")
    params: dict[str, str] | None = {"fields": TEMPLATE_FIELDS, "limit": "100"}
    base = settings.whatsapp_api_base.rstrip("/") + "/"
    found: list[dict[str, Any]] = []
    for _ in range(TEMPLATE_PAGES_MAX):
        if url is None:
            break
        try:
            answer = provider_http.call(
                "GET", url, secrets=(token,), timeout=settings.webhook_timeout_seconds,
                headers={"Authorization": f"Bearer {token}"}, params=params,
            )  # fmt: skip
        except provider_http.Unreachable as exc:
            return Listed(reason=f"a API do WhatsApp não respondeu: {exc}")
        data = answer.body.get("data")
        if not answer.ok or not isinstance(data, list):
            return Listed(reason=_refused(answer).reason)
        found.extend(_template(t) for t in data if isinstance(t, dict) and t.get("name"))
        paging = answer.body.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        url = following if isinstance(following, str) and following.startswith(base) else None
        params = None  # the next page's address carries them
    return Listed(templates=found)
