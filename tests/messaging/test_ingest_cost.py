"""Ingesting a WhatsApp message costs a fixed number of statements (the pipeline's hot path):
a new ticket, a message threaded into the contact's conversation, a delivery status; and an
agent's reply on a WhatsApp ticket (the window checked, the reply queued)."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.base import utcnow
from atende.settings import Settings
from atende.workflows import inbound
from tests.messaging.conftest import fixture
from tests.support.queries import count_queries

# the sweep's locking read of a chunk of the queue (docs/channels.md: ingestion in chunks), the
# channel, the handle and the phone lookup, the new contact and its handle, the conversation's
# ticket, the ticket and its timeline, the record, the settle (SLA, rules, routing, stream,
# reports) and the item's one update; and the sender's messages of the last hour counted (the
# per-sender limit)
NEW_TICKET_COST = 29
THREADED_COST = 21  # the handle finds the contact; its conversation finds the ticket
STATUS_COST = 4
# a reply's own statements (15 here: a ticket without a queue of its own), the window's check
# (4: the conversation's last message, its channel, the requester's handle, the customer's last
# message) and the queued reply (8: the reactor's look for a row already queued, the same four
# reads, the row, the job's idempotency look-up and the job), and the look for a front-door
# bot still talking on the ticket (1: a person's reply ends it)
REPLY_COST = 15 + 4 + 8 + 1


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


def test_a_reply_on_a_whatsapp_ticket_costs_a_fixed_number_of_statements(
    db: Session, admin: Any, deliver: Any, worker: Any, at_first_message: None
) -> None:
    deliver(fixture("text"))
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    # the reply check's lists are read once into their per-process copy (docs/reply-check.md)
    assert admin.post("/api/v1/reply-check", json={"body": "olá"}).status_code == 200
    admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "primeira"})
    with count_queries(db) as counted:
        r = admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "oi"})
    assert r.status_code == 201
    if os.environ.get("DUMP"):
        print(counted.listing())
    assert counted.count == REPLY_COST
