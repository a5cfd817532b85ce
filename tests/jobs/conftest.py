from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.settings import Settings
from atende.worker import Worker
from tests.tickets.conftest import make_queue

__all__ = ["make_queue"]


class Clock:
    """A clock the test moves by hand (starting a little ahead, so that what the test's
    fixtures write "now" is already due)."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=120)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_worker(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock
) -> Callable[..., Worker]:
    """A worker on the test's transaction, with the test's clock."""

    def _make(**kwargs: Any) -> Worker:
        kwargs.setdefault("clock", clock)
        return Worker(settings, session_factory, **kwargs)

    return _make
