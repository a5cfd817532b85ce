"""Local stand-ins for Meta's Graph API (WhatsApp Cloud API) and Telegram's Bot API, speaking
their documented payloads, on loopback (tests/notify/support.HttpServer underneath)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.notify.support import HttpServer, Received, Reply

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-test-access-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
BOT_TOKEN = "123456789:AAE-test-bot-token-abcdefghijklmn"
WABA_ID = "102290129340398"


def meta_template(
    name: str, status: str = "APPROVED", language: str = "pt_BR", body: str = "Olá, {{1}}!",
    category: str = "UTILITY",
) -> dict[str, Any]:  # fmt: skip
    """A template as ``GET /{waba_id}/message_templates`` lists it."""
    return {
        "name": name, "language": language, "status": status, "category": category,
        "id": str(abs(hash(name)) % 10**15),
        "components": [{"type": "HEADER", "format": "TEXT", "text": "Solis"},
                       {"type": "BODY", "text": body}, {"type": "FOOTER", "text": "Solis"}],
    }  # fmt: skip


def _json(status: int, body: dict[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@dataclass
class FakeGraph:
    """The Graph API: ``/{version}/{phone_number_id}/messages`` and ``…/media`` (Bearer), media
    in two steps.

    ``fail_with``: the next sends answer this error (``{"code", "message"}``) instead.
    ``templates``: the WhatsApp Business Account's templates, listed ``page_size`` a page
    with ``paging.next`` (``templates_fail_with``: the listing answers this error instead).
    """

    server: HttpServer = field(default_factory=HttpServer)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fail_with: dict[str, Any] | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    counter: int = 0
    templates: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    templates_fail_with: dict[str, Any] | None = None
    listed_pages: int = 0

    @property
    def base(self) -> str:
        return self.server.url("")

    def start(self) -> None:
        self.server.reply = self._reply
        self.server.start()

    def _templates(self, query: dict[str, list[str]]) -> Reply:
        if self.templates_fail_with is not None:
            return _json(400, {"error": {**self.templates_fail_with, "type": "OAuthException"}})
        self.listed_pages += 1
        after = int(query.get("after", ["0"])[0])
        size = int(query.get("limit", [str(self.page_size)])[0])
        size = min(size, self.page_size)
        page = self.templates[after : after + size]
        body: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": "b", "after": "a"}}}
        if after + size < len(self.templates):
            body["paging"]["next"] = self.server.url(
                f"/{VERSION}/{WABA_ID}/message_templates?limit={size}&after={after + size}"
            )
        return _json(200, body)

    def _reply(self, request: Received) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return _json(401, {"error": {"message": "Invalid OAuth access token.", "code": 190,
                                         "type": "OAuthException"}})  # fmt: skip
        split = urlsplit(request.path)
        path = split.path
        if path == f"/{VERSION}/{WABA_ID}/message_templates":
            return self._templates(parse_qs(split.query))
        if request.method == "POST" and path == f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
            body = json.loads(request.body)
            if self.fail_with is not None:
                return _json(400, {"error": {**self.fail_with, "type": "OAuthException"}})
            self.sent.append(body)
            self.counter += 1
            return _json(200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.OUT{self.counter}"}],
            })  # fmt: skip
        if request.method == "POST" and path == f"/{VERSION}/{PHONE_NUMBER_ID}/media":
            self.uploads.append(request.body)
            return _json(200, {"id": f"{9000 + len(self.uploads)}"})
        found = re.fullmatch(rf"/{VERSION}/([0-9]+)", path)
        if found and found[1] in self.media:
            data, mime = self.media[found[1]]
            return _json(200, {
                "url": self.server.url(f"/lookaside/{found[1]}"), "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                "id": found[1], "messaging_product": "whatsapp",
            })  # fmt: skip
        found = re.fullmatch(r"/lookaside/([0-9]+)", path)
        if found and found[1] in self.media:
            data, mime = self.media[found[1]]
            return 200, {"Content-Type": mime}, data
        return _json(404, {"error": {"message": "Unknown path", "code": 100}})


@dataclass
class FakeBotApi:
    """The Bot API: setWebhook, sendMessage, sendDocument, getFile and file downloads."""

    server: HttpServer = field(default_factory=HttpServer)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    sent: list[tuple[str, Any]] = field(default_factory=list)
    counter: int = 100

    @property
    def base(self) -> str:
        return self.server.url("")

    def start(self) -> None:
        self.server.reply = self._reply
        self.server.start()

    def _reply(self, request: Received) -> Reply:
        if request.path.startswith(f"/file/bot{BOT_TOKEN}/"):
            name = request.path.rsplit("/", 1)[-1]
            return 200, {"Content-Type": "application/octet-stream"}, self.files[name]
        found = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", request.path)
        if found is None or found[1] != BOT_TOKEN:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = found[2]
        if method == "setWebhook":
            self.webhooks.append(json.loads(request.body))
            return _json(200, {"ok": True, "result": True, "description": "Webhook was set"})
        if method == "deleteWebhook":
            return _json(200, {"ok": True, "result": True})
        if method == "getFile":
            file_id = json.loads(request.body)["file_id"]
            return _json(200, {"ok": True, "result": {
                "file_id": file_id, "file_unique_id": "u" + file_id, "file_size": 10,
                "file_path": f"documents/{file_id}",
            }})  # fmt: skip
        if method == "sendMessage":
            body = json.loads(request.body)
            chat = str(body["chat_id"])
        elif method == "sendDocument":
            body = request.body
            found_chat = re.search(rb'name="chat_id"\r\n\r\n([0-9]+)', request.body)
            chat = found_chat[1].decode() if found_chat else ""
        else:
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if chat in self.blocked:
            blocked = "Forbidden: bot was blocked by the user"
            return _json(403, {"ok": False, "error_code": 403, "description": blocked})
        self.sent.append((method, body))
        self.counter += 1
        result = {"message_id": self.counter, "chat": {"id": int(chat), "type": "private"}}
        return _json(200, {"ok": True, "result": result})
