"""Helpers for tests that run real `atende serve` processes (two workers) against the
``server_url`` fixture's database (tests/conftest.py): an admin and a queue, and the server
around a block."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues.models import Queue
from tests.routing.test_concurrent_pull import _free_port, _serve, _wait_up


def seed_admin(url: str) -> tuple[str, int]:
    """Migrate ``url`` and add an admin and a manual queue: (the admin's token, queue id)."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        user = User(name="Ana", email="ana@solis.example", role="admin")
        queue = Queue(name="Suporte N1", description="")
        session.add_all([user, queue])
        session.flush()
        _, token = auth_service.create_token(session, user=user, name="load", now=utcnow())
        queue_id = queue.id
    engine.dispose()
    return token, queue_id


@contextmanager
def running_server(url: str, workers: int = 2, **settings: str) -> Iterator[str]:
    """`atende serve --workers N` on ``url`` for the block (``settings``: more environment,
    e.g. ``ATENDE_MAX_ACTIVE_REQUESTS="1"``): its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="atende-serve-") as data_dir:
        proc = _serve(url, port, Path(data_dir), workers, **settings)
        try:
            _wait_up(base, proc)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)
