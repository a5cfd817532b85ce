"""The quick lane in front of the app (tickets/lane.py) answers plain creations itself and
leaves everything else to the route, which answers exactly as without the lane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from atende.tickets import lane, quick

T = "/api/v1/tickets"


@pytest.fixture
def lane_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The answers the lane gave itself (not passed on to the route)."""
    answered: list[Any] = []
    plain = lane.answer_json

    def spy(drafted: Any) -> Any:
        answer = plain(drafted)
        answered.append(answer)
        return answer

    monkeypatch.setattr(lane, "answer_json", spy)
    return answered


def test_the_lane_answers_a_plain_creation_as_the_route_would(
    admin: Any, lane_answers: list[Any], make_queue: Any
) -> None:
    queue = make_queue()
    made = admin.post(T, json={"subject": "PDV travado", "body": "<b>oi</b>", "queue_id": queue.id})
    assert made.status_code == 201, made.text
    assert len(lane_answers) == 1
    assert made.headers["content-type"] == "application/json"
    assert made.headers["x-content-type-options"] == "nosniff"
    assert made.headers["x-frame-options"] == "DENY"
    assert made.headers["content-length"] == str(len(made.content))
    shown = admin.get(f"{T}/{made.json()['id']}").json()
    assert made.json() == shown  # the same view the API gives of the ticket later


@pytest.mark.parametrize(
    ("headers", "content", "status"),
    [
        ({"Authorization": ""}, b'{"subject": "x"}', 401),
        ({"Authorization": "Bearer atd_unknown"}, b'{"subject": "x"}', 401),
        ({}, b'{"subject": ', 422),
        ({}, b'{"subject": "x", "priority": "whenever"}', 422),
        ({}, b'{"subject": "x", "queue_id": 999999}', 422),
        ({"content-type": "text/plain"}, b'{"subject": "x"}', 422),
        ({}, b'{"subject": "x", "messages": []}', 201),  # an import: the route's
    ],
)
def test_what_the_lane_does_not_take_the_route_answers(
    admin: Any,
    lane_answers: list[Any],
    headers: dict[str, str],
    content: bytes,
    status: int,
) -> None:
    sent = {"content-type": "application/json", **headers}
    response = admin.post(T, content=content, headers=sent)
    assert response.status_code == status, response.text
    assert lane_answers == []
    if status != 201:
        assert response.headers["content-type"] == "application/problem+json"


def test_an_idempotent_retry_goes_to_the_route_and_creates_once(
    admin: Any, lane_answers: list[Any]
) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    first = admin.post(T, json={"subject": "Retry"}, headers=headers)
    again = admin.post(T, json={"subject": "Retry"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and lane_answers == []


def test_bodies_over_the_limit_are_refused_behind_the_lane(admin: Any, app: Any) -> None:
    limit = app.state.settings.max_request_bytes
    big = b'{"subject": "x", "body": "' + b"a" * (limit + 10) + b'"}'
    assert (
        admin.post(T, content=big, headers={"content-type": "application/json"}).status_code == 413
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    streamed = admin.post(T, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_an_error_in_the_lane_leaves_the_creation_to_the_route(
    admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(lane, "_draft", broken)
    made = admin.post(T, json={"subject": "Mesmo assim"})
    assert made.status_code == 201, made.text
    listed = admin.get(f"{T}?q=Mesmo assim").json()["items"]
    assert [t["id"] for t in listed] == [made.json()["id"]]  # once


def test_a_redone_batch_is_created_once_by_the_route(
    admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quick, "write", lambda session, drafts: None)  # copies changed
    made = admin.post(T, json={"subject": "Refeito"})
    assert made.status_code == 201, made.text
    listed = admin.get(f"{T}?q=Refeito").json()["items"]
    assert [t["id"] for t in listed] == [made.json()["id"]]


def test_the_event_loop_never_reads_the_database_for_a_draft(
    admin: Any, lane_answers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With its copies cold, the lane drafts in a worker thread instead: a loop waiting for a
    pooled connection that only its own requests can give back would wait for ever."""
    from atende.db import cache as db_cache

    calls: list[tuple[bool, str]] = []
    plain = lane._draft

    def spy(*args: Any, inline: bool = False) -> Any:
        try:
            result = plain(*args, inline=inline)
        except lane.NeedsIO:
            calls.append((inline, "needs the database"))
            raise
        calls.append((inline, "drafted"))
        return result

    monkeypatch.setattr(lane, "_draft", spy)
    db_cache.clear()
    assert admin.post(T, json={"subject": "Frio"}).status_code == 201
    assert calls == [(True, "needs the database"), (False, "drafted")]
    calls.clear()
    assert admin.post(T, json={"subject": "Quente"}).status_code == 201
    assert calls == [(True, "drafted")]  # warm: on the loop, no statement
    assert len(lane_answers) == 2


def test_repeated_headers_count_as_the_route_counts_them(
    admin: Any, lane_answers: list[Any]
) -> None:
    """The first of repeated headers counts (as ``request.headers.get`` does)."""
    bad_first = [("authorization", "Bearer atd_not-a-token"), *admin.headers.items()]
    response = admin._client.post(
        T, content=b'{"subject": "x"}', headers=[*bad_first, ("content-type", "application/json")]
    )
    assert response.status_code == 401 and lane_answers == []
    text_first = [*admin.headers.items(), ("content-type", "text/plain"),
                  ("content-type", "application/json")]  # fmt: skip
    response = admin._client.post(T, content=b'{"subject": "x"}', headers=text_first)
    assert response.status_code == 422 and lane_answers == []


def test_a_long_body_is_drafted_off_the_event_loop(
    admin: Any, lane_answers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    plain = lane._draft

    def spy(*args: Any, inline: bool = False) -> Any:
        calls.append(inline)
        return plain(*args, inline=inline)

    monkeypatch.setattr(lane, "_draft", spy)
    body = "<p>" + "Não emite. " * 3000 + "</p>"  # over INLINE_BODY: sanitising it takes a while
    assert admin.post(T, json={"subject": "Longo", "body": body}).status_code == 201
    assert calls == [False] and len(lane_answers) == 1


def test_a_commit_that_fails_on_its_way_is_answered_503_and_not_redone(
    admin: Any, app: Any
) -> None:
    plain = app.state.sessionmaker

    def failing_commits() -> Any:
        session = plain()

        def commit() -> None:
            raise ConnectionError("connection lost during COMMIT")

        session.commit = commit
        return session

    app.state.sessionmaker = failing_commits
    try:
        response = admin.post(T, json={"subject": "Confirmado?"})
    finally:
        app.state.sessionmaker = plain
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "commit_unknown"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert admin.get(f"{T}?q=Confirmado").json()["items"] == []  # the route did not redo it
