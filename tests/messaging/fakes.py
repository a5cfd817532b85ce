"""Local stand-ins for Meta's Graph API (WhatsApp Cloud API) and Telegram's Bot API, speaking
their documented payloads, on loopback (tests/notify/support.HttpServer underneath)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.notify.support import HttpServer, Received, Reply

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-test-access-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
BOT_TOKEN = "123456789:AAE-test-bot-token-abcdefghijklmn"


def _json(status: int, body: dict[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@dataclass
class FakeGraph:
    """The Graph API: ``/{version}/{phone_number_id}/messages`` and ``…/media`` (Bearer), media
    in two steps.

    ``fail_with``: the next sends answer this error (``{"code", "message"}``) instead.
    """

    server: HttpServer = field(default_factory=HttpServer)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fail_with: dict[str, Any] | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    counter: int = 0

    @property
    def base(self) -> str:
        return self.server.url("")

    def start(self) -> None:
        self.server.reply = self._reply
        self.server.start()

    def _reply(self, request: Received) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return _json(401, {"error": {"message": "Invalid OAuth access token.", "code": 190,
                                         "type": "OAuthException"}})  # fmt: skip
        path = request.path
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
