"""The worker's sweeps of the stream: the webhook fan-out and the retention of old events."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
from atende.stream import repository, webhooks

DEFAULT_RETENTION_DAYS = 7
PRUNE_LIMIT = 10_000


def deliver_webhooks(sessions: sessionmaker[Session], now: datetime) -> int:
    """Queue the webhook deliveries of the events committed since the last sweep."""
    total = 0
    while True:
        with transaction(sessions) as session:
            read, queued = webhooks.fan_out(session)
        total += queued
        if read < webhooks.FAN_OUT_LIMIT:
            return total


def prune(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> int:
    """Delete the events older than the retention (a reader further behind is told to
    reload: ``event: reset``); returns how many."""
    with transaction(sessions) as session:
        return repository.prune(session, before=now - timedelta(days=retention_days),
                                limit=PRUNE_LIMIT)  # fmt: skip
