"""Helpers of the chat tests: a widget, a visitor (token → signed session), their calls."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

V1 = "/api/v1"


def made(res: Any, status: int = 201) -> dict[str, Any]:
    assert res.status_code == status, res.text
    return res.json()  # type: ignore[no-any-return]


def refused(res: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json"), res.headers
    problem: dict[str, Any] = res.json()
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    return problem


class Visitor:
    """A browser talking to a widget, as the iframe's script does."""

    def __init__(self, client: TestClient, key: str, token: str | None = None) -> None:
        self.client = client
        self.key = key
        self.token = token or secrets.token_urlsafe(32)
        self.session = ""
        self.opened: dict[str, Any] = {}

    @property
    def base(self) -> str:
        return f"/chat/w/{self.key}"

    def open(self) -> dict[str, Any]:
        self.opened = made(
            self.client.post(f"{self.base}/session", json={"token": self.token}), 200
        )
        self.session = self.opened["session"]
        return self.opened

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-Chat-Session": self.session, **kwargs.pop("headers", {})}
        return self.client.request(method, f"{self.base}{path}", headers=headers, **kwargs)

    def start(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Joana Lojista", "email": "joana@padaria.example", **fields}
        return made(self.call("POST", "/chat", json=body))["chat"]  # type: ignore[no-any-return]

    def say(self, text: str, client_id: str | None = None) -> Any:
        cid = client_id or secrets.token_hex(8)
        return self.call("POST", "/messages", json={"client_id": cid, "body": text})

    def messages(self, after: int = 0) -> dict[str, Any]:
        return made(self.call("GET", f"/messages?after={after}"), 200)

    def texts(self) -> list[tuple[str, str]]:
        return [(m["from"], m["body"]) for m in self.messages()["messages"]]


def widget(admin: Any, **fields: Any) -> dict[str, Any]:
    return made(admin.post(f"{V1}/chat/widgets", json={"name": "Site Solis", **fields}))
