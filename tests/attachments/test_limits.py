"""The attachment size limit: exact, enforced while streaming, nothing left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.attachments.models import Attachment
from atende.settings import Settings
from atende.tickets.models import TicketEvent
from tests.attachments.conftest import World

LIMIT = 4096


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A tiny limit, set before the app (and its body-size middleware) is built."""
    settings.max_attachment_bytes = LIMIT
    return settings


def leftovers(settings: Settings) -> list[Path]:
    root = Path(settings.attachments_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_recorded(db: Session) -> bool:
    return (
        db.scalar(select(func.count()).select_from(Attachment)) == 0
        and db.scalar(select(func.count()).select_from(TicketEvent)) == 0
    )


def test_a_file_at_the_limit_is_accepted(make_user: Any, world: World) -> None:
    agent = make_user("agent", queue_ids=[world.queue_a.id])
    res = agent.post(
        f"/api/v1/tickets/{world.ticket.id}/attachments",
        files={"file": ("ok.bin", b"\x00" * LIMIT, "application/octet-stream")},
    )
    assert res.status_code == 201
    assert res.json()["size"] == LIMIT


def test_one_byte_over_the_limit_is_413_and_leaves_nothing(
    make_user: Any, world: World, settings: Settings, db: Session
) -> None:
    agent = make_user("agent", queue_ids=[world.queue_a.id])
    res = agent.post(
        f"/api/v1/tickets/{world.ticket.id}/attachments",
        files={"file": ("big.bin", b"\x00" * (LIMIT + 1), "application/octet-stream")},
    )
    assert res.status_code == 413
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["code"] == "file_too_large"
    assert str(LIMIT) in res.json()["detail"]
    assert leftovers(settings) == []
    assert nothing_recorded(db)


def test_a_large_streamed_body_is_cut_off_with_413(
    make_user: Any, world: World, settings: Settings, db: Session
) -> None:
    agent = make_user("agent", queue_ids=[world.queue_a.id])
    boundary = "atende-test-boundary"

    def body() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="huge.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        for _ in range(64):
            yield b"\xab" * 8192
        yield f"\r\n--{boundary}--\r\n".encode()

    res = agent.post(
        f"/api/v1/tickets/{world.ticket.id}/attachments",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert res.status_code == 413
    assert res.headers["content-type"].startswith("application/problem+json")
    assert leftovers(settings) == []
    assert nothing_recorded(db)
