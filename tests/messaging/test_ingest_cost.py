"""Ingesting a WhatsApp message costs a fixed number of statements (the pipeline's hot path):
a new ticket, a message threaded into the contact's conversation, a delivery status."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.settings import Settings
from atende.workflows import inbound
from tests.messaging.conftest import fixture
from tests.support.queries import count_queries

# the sweep's read of the queue, the lock, the channel, the handle and the phone lookup, the
# new contact and its handle, the conversation's ticket, the ticket and its timeline, the
# record, the settle (SLA, rules, routing, stream, reports) and the item's update
NEW_TICKET_COST = 30
THREADED_COST = 22  # the handle finds the contact; its conversation finds the ticket
STATUS_COST = 6


def test_ingesting_whatsapp_costs_a_fixed_number_of_statements(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, admin: Any,
    deliver: Any, at_first_message: None,
) -> None:  # fmt: skip
    def ingest(raw: bytes, items: int = 1) -> int:
        assert deliver(raw).status_code == 200
        with count_queries(db) as counted:
            assert inbound.sweep(session_factory, utcnow(), settings=settings) == items
        if os.environ.get("DUMP"):
            print(counted.listing())
        return counted.count

    ingest(fixture("interactive"))  # warm-up: the triage queue, the first ticket
    costs = {"new": ingest(fixture("text").replace(b"5511987654321", b"5511912345678"))}
    costs["threaded"] = ingest(fixture("text").replace(b"wamid.HBg", b"wamid.XBg"))
    costs["status"] = ingest(fixture("status_failed"))
    assert costs == {"new": NEW_TICKET_COST, "threaded": THREADED_COST, "status": STATUS_COST}
