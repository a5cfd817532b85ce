"""Idempotency-Key on POST /tickets and POST /tickets/{id}/messages."""

from __future__ import annotations

from typing import Any

from tests.tickets.conftest import create, timeline

T = "/api/v1/tickets"


def _count(user: Any) -> int:
    return len(user.get(f"{T}?limit=200").json()["items"])


def test_retried_create_returns_the_stored_answer(admin: Any) -> None:
    body = {"subject": "Sem internet na loja", "body": "Caiu tudo", "priority": "high"}
    headers = {"Idempotency-Key": "retry-1"}
    first = admin.post(T, json=body, headers=headers)
    assert first.status_code == 201
    second = admin.post(T, json=body, headers=headers)
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert _count(admin) == 1
    # the same key for a different request is refused, and creates nothing
    other = admin.post(T, json={**body, "subject": "Outro"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["detail"]
    assert _count(admin) == 1
    # without a key, each request creates
    admin.post(T, json=body)
    admin.post(T, json=body)
    assert _count(admin) == 3


def test_keys_belong_to_their_user(admin: Any, make_user: Any) -> None:
    supervisor = make_user("supervisor")
    body = {"subject": "Mesmo corpo"}
    a = admin.post(T, json=body, headers={"Idempotency-Key": "k"})
    b = supervisor.post(T, json=body, headers={"Idempotency-Key": "k"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_retried_message_is_written_once(admin: Any) -> None:
    ticket = create(admin)
    url = f"{T}/{ticket['id']}/messages"
    headers = {"Idempotency-Key": "msg-42"}
    first = admin.post(url, json={"body": "Resposta"}, headers=headers)
    second = admin.post(url, json={"body": "Resposta"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    bodies = [e["body_text"] for e in timeline(admin, ticket["id"]) if e["entry"] == "message"]
    assert bodies.count("Resposta") == 1
    changed = admin.post(url, json={"body": "Outra resposta"}, headers=headers)
    assert changed.status_code == 409
    # the same key on another ticket's path is another request
    other = create(admin)
    elsewhere = admin.post(
        f"{T}/{other['id']}/messages", json={"body": "Resposta"}, headers=headers
    )
    assert elsewhere.status_code == 409


def test_a_failed_request_stores_nothing(admin: Any) -> None:
    headers = {"Idempotency-Key": "fails-first"}
    bad = admin.post(T, json={"subject": "x", "queue_id": 999999}, headers=headers)
    assert bad.status_code == 422
    good = admin.post(T, json={"subject": "x"}, headers=headers)
    assert good.status_code == 201


def test_malformed_keys_are_refused(admin: Any) -> None:
    too_long = admin.post(T, json={"subject": "x"}, headers={"Idempotency-Key": "k" * 201})
    assert too_long.status_code == 422
    assert _count(admin) == 0
