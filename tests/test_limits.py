"""Request size limits and the security headers every answer carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
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


# --------------------------------------------------------------------------------------------
# No body is read before the caller is known; JSON nests at most 64 levels
# --------------------------------------------------------------------------------------------

BOGUS = {"Authorization": "Bearer atd_not-a-real-token"}
JSON = {"content-type": "application/json"}
BODY_ROUTES = [
    ("POST", "/api/v1/tickets"),  # the quick lane's path (tickets/lane.py)
    ("POST", "/api/v1/queues"),
    ("PATCH", "/api/v1/tickets/1"),
    ("POST", "/api/v1/rules/dry-run"),
]


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_deeply_nested_json_with_a_bogus_token_answers_401(
    client: TestClient, method: str, path: str
) -> None:
    for headers in (BOGUS, {}):
        res = client.request(
            method, path, content=nested(1000).encode(), headers={**headers, **JSON}
        )
        assert res.status_code == 401, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert res.json()["code"] == "authentication_failed"


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_no_body_is_read_before_the_token_is_checked(
    client: TestClient, admin: Any, method: str, path: str
) -> None:
    read: list[str] = []

    def body(who: str) -> Iterator[bytes]:
        read.append(who)  # runs only when the server asks for the body
        yield b'{"name": "Fila"}'

    refused = client.request(method, path, content=body("bogus"), headers={**BOGUS, **JSON})
    assert refused.status_code == 401, refused.text
    assert read == [], "the body of an unknown caller was read"
    known = client.request(method, path, content=body("admin"), headers={**admin.headers, **JSON})
    assert known.status_code != 401, known.text
    assert read == ["admin"]


@pytest.mark.parametrize(
    ("method", "path", "make"),
    [
        ("POST", "/api/v1/tickets", lambda v: {"subject": v, "body": "x"}),
        ("POST", "/api/v1/queues", lambda v: {"name": v}),
        ("POST", "/api/v1/rules/dry-run", lambda v: {"ticket_id": v}),
    ],
)
def test_json_nested_deeper_than_64_levels_answers_422_naming_the_problem(
    admin: Any, method: str, path: str, make: Any
) -> None:
    import json

    # 64 levels (the object and 63 arrays): parsed, then refused for what it says
    at_limit = json.dumps(make(json.loads(nested(63))))
    res = admin.request(method, path, content=at_limit.encode(), headers=JSON)
    assert res.status_code == 422, res.text
    assert res.json()["code"] == "validation_failed"
    # 65 levels: refused before it is parsed, naming the limit
    for depth in (64, 100_000):
        too_deep = '{"subject": ' + nested(depth) + "}"
        res = admin.request(method, path, content=too_deep.encode(), headers=JSON)
        assert res.status_code == 422, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        problem = res.json()
        assert problem["code"] == "json_too_deep"
        assert f"nested {depth + 1} levels deep" in problem["detail"]
        assert "at most 64 levels" in problem["detail"]
        assert problem["errors"][0]["field"] == "body"


def test_brackets_inside_strings_do_not_count_as_nesting(admin: Any) -> None:
    subject = "[{" * 60 + ' "quoted \\" [ ' + "}]" * 60
    res = admin.post("/api/v1/tickets", json={"subject": subject, "body": "[" * 500})
    assert res.status_code == 201, res.text
    assert res.json()["subject"] == subject


def test_an_imported_line_nested_too_deeply_is_reported_as_a_bad_line(admin: Any) -> None:
    good = '{"subject": "Importado", "external_id": "imp-1"}'
    deep = '{"subject": "Fundo", "custom_fields": {"x": ' + nested(200) + "}}"
    res = admin.post(
        "/api/v1/tickets/import",
        content=f"{good}\n{deep}\n".encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert res.status_code == 200, res.text
    result = res.json()
    assert result["created"] == 1
    [error] = result["errors"]
    assert error["line"] == 2
    assert "nested 202 levels deep" in error["message"]
    assert "at most 64 levels" in error["message"]


# --------------------------------------------------------------------------------------------
# Content-Security-Policy on every HTML page
# --------------------------------------------------------------------------------------------

STRICT = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def assert_strict_csp(res: Any) -> None:
    assert res.headers["content-type"].startswith("text/html"), res.headers
    policy = res.headers.get("content-security-policy", "")
    for directive in STRICT:
        assert directive in policy, (res.url, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_html_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    assert_strict_csp(client.get("/login"))
    assert_strict_csp(client.get("/api/docs"))
    assert_strict_csp(client.post("/login", data={"email": "x@example.test"}))  # 403 page
    # JSON is not a page: no policy needed, and the other headers stay
    res = client.get("/openapi.json")
    assert res.headers["x-content-type-options"] == "nosniff"


def test_the_api_docs_page_runs_no_inline_script(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts, page.text
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts), scripts
    for attrs, _ in scripts:
        src = re.search(r'src="([^"]+)"', attrs)
        assert src and src.group(1).startswith("/static/")
        assert client.get(src.group(1)).status_code == 200
    starter = client.get("/static/swagger/start.js")
    assert "SwaggerUIBundle(" in starter.text and "/openapi.json" in page.text


def test_a_field_called_body_is_named_body_in_a_422(admin: Any) -> None:
    """The problem's field is the path inside the JSON body: a field that is itself called
    ``body`` was named ``body.body``, and one nested in a list lost its path."""
    made = admin.post("/api/v1/tickets", json={"subject": "PDV", "body": "Não abre."})
    assert made.status_code == 201, made.text
    url = f"/api/v1/tickets/{made.json()['id']}/messages"
    for payload in ({"body": ""}, {"public": True}):
        res = admin.post(url, json=payload)
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == "body"
        assert res.json()["detail"].startswith("body: ")
    res = admin.post("/api/v1/tickets", json={"subject": "PDV", "body": 5})
    assert res.json()["errors"][0]["field"] == "body"
    nested_body = {"subject": "PDV", "messages": [{"body": 5}]}
    res = admin.post("/api/v1/tickets", json=nested_body)
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"].startswith("messages[0]")
