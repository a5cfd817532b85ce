"""Fixtures of the chat tests."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection


@pytest.fixture(autouse=True)
def positions_at_once(connection: Connection) -> None:
    """PostgreSQL gives a stream event its position at commit, and a test never commits: here
    at once (as tests/stream/conftest.py does)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET CONSTRAINTS stream_events_stamp IMMEDIATE")
