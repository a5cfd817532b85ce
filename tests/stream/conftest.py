"""Fixtures of the stream tests: a small world (two organizations, two queues, an agent of one
queue, a portal user of one organization), SSE parsing, and, for the tests that run real
``atende serve`` processes, a database they can share."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection

from tests.conftest import test_db_kind

V1 = "/api/v1"


@pytest.fixture(autouse=True)
def positions_at_once(connection: Connection) -> None:
    """On PostgreSQL an event's position is given when its transaction commits (migration
    0011), and a test's transaction never commits: here it is given at once instead (the
    numbering lock is then held until the test's rollback, by its only connection)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET CONSTRAINTS stream_events_stamp IMMEDIATE")


@dataclass
class World:
    admin: Any
    agent: Any  # member of q1 only
    contact: Any  # portal user of org_a
    q1: int
    q2: int
    org_a: int
    org_b: int
    contact_a: int
    contact_b: int


@pytest.fixture
def world(admin: Any, make_user: Any) -> World:
    def made(res: Any) -> int:
        assert res.status_code == 201, res.text
        return int(res.json()["id"])

    org_a = made(admin.post(f"{V1}/organizations", json={"name": "Padaria A"}))
    org_b = made(admin.post(f"{V1}/organizations", json={"name": "Mercado B"}))
    contact_a = made(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Lia", "email": "lia@padaria-a.com.br", "organization_id": org_a},
        )
    )
    contact_b = made(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Rui", "email": "rui@mercado-b.com.br", "organization_id": org_b},
        )
    )
    q1 = made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))
    q2 = made(admin.post(f"{V1}/queues", json={"name": "Financeiro"}))
    agent = make_user("agent", queue_ids=[q1])
    contact = make_user("contact", contact_id=contact_a)
    return World(admin, agent, contact, q1, q2, org_a, org_b, contact_a, contact_b)


def ticket(world: World, *, queue: int, contact: int, subject: str = "Impressora") -> int:
    body = {"subject": subject, "body": "Não imprime.", "queue_id": queue, "contact_id": contact}
    res = world.admin.post(f"{V1}/tickets", json=body)
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


@dataclass(frozen=True)
class Sse:
    id: int | None
    event: str | None
    data: dict[str, Any] | None


def parse_sse(text: str) -> list[Sse]:
    """Every message of an event stream (comments left out; a block of an ``id`` alone kept
    with ``data`` None)."""
    out: list[Sse] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "id" in fields or "data" in fields:
            out.append(
                Sse(
                    int(fields["id"]) if "id" in fields else None,
                    fields.get("event"),
                    json.loads(fields["data"]) if "data" in fields else None,
                )
            )
    return out


def read_stream(user: Any, after: int = 0, **params: Any) -> list[Sse]:
    """The events ``user`` may read after ``after`` (``follow=false``: the stream ends)."""
    res = user.get(f"{V1}/stream", params={"follow": "false", "last_event_id": after, **params})
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/event-stream")
    return [m for m in parse_sse(res.text) if m.data is not None]


@contextmanager
def shared_database(database_url: str, directory: Path) -> Iterator[str]:
    """An empty database for server processes: a SQLite file in ``directory``, or on
    PostgreSQL a schema of its own in the test database (``search_path``), dropped after."""
    if test_db_kind() == "sqlite":
        yield f"sqlite:///{directory / 'stream.db'}"
        return
    schema = f"stream_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        # the trigram operators stay in public (reached through the search path); the
        # schema's own version table keeps Alembic from reading public's
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".alembic_version (version_num VARCHAR(32) NOT NULL, '
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    try:
        yield f"{database_url}?options=-csearch_path%3D{schema}%2Cpublic"
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def shared_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    with shared_database(database_url, tmp_path) as url:
        yield url
