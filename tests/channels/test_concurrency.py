"""Several workers on PostgreSQL never ingest an inbound item twice: the item is taken
``FOR UPDATE SKIP LOCKED``, so a second worker passes over an item the first holds, and finds it
no longer queued once the first has committed. Two real sessions on two connections."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from atende.attachments.storage import LocalStorage
from atende.channels import pipeline, repository
from atende.channels.models import InboundItem
from atende.db.base import utcnow
from atende.settings import Settings
from atende.workflows import inbound
from tests.conftest import test_db_kind

pytestmark = pytest.mark.skipif(
    test_db_kind() != "postgres",
    reason="PostgreSQL only: SQLite takes one writer at a time (BEGIN IMMEDIATE), no row locks",
)


def test_two_workers_never_take_the_same_item(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "blobs")
    now = utcnow()
    with Session(engine) as setup:
        item, created = pipeline.store(
            setup, kind="probe", channel="test", provider_id="p-1", raw=b"x", now=now
        )
        assert created
        setup.commit()
        item_id = item.id
    try:
        with Session(engine) as first, Session(engine) as second:
            held = repository.lock_queued(first, item_id, skip_locked=True)
            assert held is not None  # the first worker holds it (its transaction is open)
            # the second passes over it at once, without waiting and without ingesting it
            assert not inbound.ingest_item(
                second, item_id, settings=settings, storage=storage, now=now
            )
            second.rollback()
            held.state = "done"  # the first worker's ingestion, committed
            first.commit()
            assert not inbound.ingest_item(
                second, item_id, settings=settings, storage=storage, now=now
            )
            second.commit()
        with Session(engine) as check:
            found = check.get(InboundItem, item_id)
            assert found is not None
            assert (found.state, found.attempts) == ("done", 0)
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(InboundItem).where(InboundItem.id == item_id))
            cleanup.commit()


def test_a_redelivery_seen_by_another_session_is_the_same_item(engine: Engine) -> None:
    now = utcnow()
    try:
        with Session(engine) as first, Session(engine) as second:
            one, created_one = pipeline.store(
                first, kind="email", channel="race", provider_id="<same@x>", raw=b"a", now=now
            )
            first.commit()
            two, created_two = pipeline.store(
                second, kind="email", channel="race", provider_id="<same@x>", raw=b"a", now=now
            )
            second.commit()
            assert (created_one, created_two, one.id) == (True, False, two.id)
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(InboundItem).where(InboundItem.channel == "race"))
            cleanup.commit()
