"""Request size limits and the security headers every answer carries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient


def test_an_oversized_json_body_answers_413_problem(admin: Any, settings: Any) -> None:
    body = b'{"name": "' + b"x" * (settings.max_request_bytes + 10) + b'"}'
    res = admin.post("/api/v1/queues", content=body, headers={"content-type": "application/json"})
    assert res.status_code == 413
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "limit" in res.json()["detail"]


def test_an_oversized_streamed_body_without_length_answers_413(admin: Any, settings: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(settings.max_request_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    res = admin.post(
        "/api/v1/queues", content=chunks(), headers={"content-type": "application/json"}
    )
    assert res.status_code == 413


def test_answers_carry_nosniff_and_frame_denial(client: TestClient) -> None:
    res = client.get("/openapi.json")
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["x-frame-options"] == "DENY"
