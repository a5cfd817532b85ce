"""Several workers on PostgreSQL never ingest an inbound item twice: the item is taken
``FOR UPDATE SKIP LOCKED``, so a second worker passes over an item the first holds, and finds it
no longer queued once the first has committed. Two real sessions on two connections."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from atende.attachments.storage import LocalStorage
from atende.channels import pipeline, repository
from atende.channels.email_parse import provider_id
from atende.channels.models import InboundItem
from atende.customers.models import Contact
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker
from atende.db.migrate import upgrade
from atende.settings import Settings
from atende.tickets.models import Ticket
from atende.workflows import inbound
from tests.channels.conftest import customer_mail
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


def test_two_workers_meeting_a_new_customer_at_once_lose_no_email(
    server_url: str, settings: Settings, tmp_path: Path
) -> None:
    """Two e-mails of one new customer, ingested by two workers at the same moment: both
    create the contact; the second's insert waits for the first and then clashes with it. Its
    e-mail is not dead: it stays queued and the next round ingests it with the contact."""
    engine = make_engine(server_url)  # a database of its own: real commits
    upgrade(engine)
    storage = LocalStorage(tmp_path / "blobs")
    now = utcnow()
    raws = [customer_mail(f"E-mail {n}", sender="Nova <nova@cliente.example>")[0] for n in (1, 2)]
    with Session(engine) as setup:
        ids = [
            pipeline.store(setup, kind="email", channel="race-contact", provider_id=provider_id(r),
                           raw=r, now=now)[0].id
            for r in raws
        ]  # fmt: skip
        setup.commit()
    try:
        with Session(engine) as first, Session(engine) as second:
            assert inbound.ingest_item(first, ids[0], settings=settings, storage=storage, now=now)
            outcome: list[bool] = []
            waiting = threading.Thread(
                target=lambda: outcome.append(
                    inbound.ingest_item(second, ids[1], settings=settings, storage=storage,
                                        now=now)
                )
            )  # fmt: skip
            waiting.start()
            time.sleep(0.5)  # the second is blocked on the contact's unique index
            first.commit()
            waiting.join(timeout=30)
            assert outcome == [True]
            second.commit()
        with Session(engine) as check:
            item = check.get(InboundItem, ids[1])
            assert item is not None
            assert (item.state, item.attempts) == ("queued", 1)
            assert item.reason.startswith("conflict with another worker")
        sessions = make_sessionmaker(engine)
        assert inbound.sweep(sessions, now, settings=settings, storage=storage) == 1
        with Session(engine) as check:
            items = [check.get(InboundItem, i) for i in ids]
            assert [(i.state, i.reason) for i in items if i] == [("done", ""), ("done", "")]
            contacts = check.scalars(
                select(Contact).where(Contact.email == "nova@cliente.example")
            ).all()
            assert len(contacts) == 1
            tickets = check.scalars(select(Ticket).where(Ticket.requester_id == contacts[0].id))
            assert len(tickets.all()) == 2
    finally:
        engine.dispose()
