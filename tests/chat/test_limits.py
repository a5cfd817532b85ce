"""Abuse limits of the public chat (docs/chat.md): a client address makes at most N new
visitors, and a visitor starts at most M chats (each a ticket), per window; then 429 with
Retry-After and a Portuguese problem. Returning visitors and chats still going on are never
counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from atende.db.base import utcnow
from atende.settings import Settings
from tests.chat.helpers import V1, Visitor, made, widget

PT = {"Accept-Language": "pt-BR"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "chat_new_visitors_per_address": 3,
            "chat_starts_per_visitor": 2,
            "chat_limit_window_seconds": 600,
        }
    )


def test_one_address_makes_a_bounded_number_of_new_visitors(admin: Any, client: TestClient) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat"}))
    key = widget(admin, queue_id=queue["id"])["key"]
    first = Visitor(client, key)
    first.open()
    for _ in range(2):
        Visitor(client, key).open()
    refused = client.post(f"/chat/w/{key}/session", json={"token": "x" * 32}, headers=PT)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "600"
    assert refused.json()["code"] == "too_many_requests"
    assert "muitos novos chats" in refused.json()["detail"]
    # a returning visitor (a token already known) is never counted
    assert Visitor(client, key, first.token).open()["session"]
    with time_machine.travel(utcnow() + timedelta(seconds=601)):
        Visitor(client, key).open()  # the window has passed


def test_a_visitor_starts_a_bounded_number_of_chats(admin: Any, client: TestClient) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat"}))
    v = Visitor(client, widget(admin, queue_id=queue["id"])["key"])
    v.open()

    def end(chat: dict[str, Any]) -> None:
        assert v.call("POST", "/end", json={}).status_code == 200  # the visitor leaves

    first = v.start()
    assert v.start()["id"] == first["id"]  # still going on: returned, not counted again
    end(first)
    second = v.start()
    assert second["id"] != first["id"]
    end(second)
    refused = v.call("POST", "/chat", json={"name": "Joana", "email": "joana@x.example"},
                     headers=PT)  # fmt: skip
    assert refused.status_code == 429 and refused.headers["retry-after"] == "600"
    assert "muitos chats" in refused.json()["detail"]
    tickets = made(admin.get(f"{V1}/tickets", params={"channel": "chat"}), 200)["items"]
    assert len(tickets) == 2  # nothing was opened by the refused start
