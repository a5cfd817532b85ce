"""Shared pieces of the presence and absence tests: small helpers that go through the API."""

from __future__ import annotations

from typing import Any

V1 = "/api/v1"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def set_presence(user: Any, status: str, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status}
    if reason is not None:
        body["reason"] = reason
    return ok(user.put(f"{V1}/agents/me/presence", json=body))  # type: ignore[no-any-return]


def refused(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """A problem+json answer with ``status``, naming ``field`` when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    if field is not None:
        assert [e["field"] for e in problem.get("errors", [])] == [field], problem
    return problem


def ticket(user: Any, ticket_id: int) -> dict[str, Any]:
    return ok(user.get(f"{V1}/tickets/{ticket_id}"))  # type: ignore[no-any-return]


def add_reasons(admin: Any, *names: str) -> list[dict[str, Any]]:
    return [ok(admin.post(f"{V1}/pause-reasons", json={"name": n}), 201) for n in names]
