"""The ingestion of an e-mail costs a fixed number of statements (the pipeline's hot path):
a new ticket, a reply threaded by our Message-ID, an automatic message."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.channels import pipeline
from atende.channels.email_parse import provider_id
from atende.db.base import utcnow
from atende.settings import Settings
from atende.workflows import inbound
from tests.channels.conftest import customer_mail
from tests.support.queries import count_queries

# the queue's read and lock (one statement for the whole chunk), the duplicate check, the
# contact, the threading lookups, the ticket and its timeline, the record, the settle (SLA,
# rules, routing, stream) and the item's one update (its state and attempts together)
NEW_TICKET_COST = 26  # 24 + the reports' facts (metric state and the "created" fact)
REPLY_COST = 21  # 19 (the ticket's contact time and updated_at) + the reports' metric state
AUTOMATIC_COST = 5
# a chunk of e-mails shares the queue's read and lock, and the cache version's read
CHUNK_OF_TEN_NEW = 10 * (NEW_TICKET_COST - 2) + 2


def _store(db: Session, raw: bytes, at: datetime | None = None) -> None:
    pipeline.store(db, kind="email", channel="smtp", provider_id=provider_id(raw), raw=raw,
                   now=at or utcnow())  # fmt: skip
    db.commit()


def test_ingesting_an_email_costs_a_fixed_number_of_statements(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, admin: Any
) -> None:
    start = utcnow() - timedelta(minutes=5)
    received = iter(start + timedelta(seconds=10 * n) for n in range(10))

    def ingest(raw: bytes) -> int:
        # each e-mail in a second of its own (the ticket's times change when a reply comes)
        _store(db, raw, next(received))
        with count_queries(db) as counted:
            assert inbound.sweep(session_factory, utcnow(), settings=settings) == 1
        if os.environ.get("DUMP"):
            print(counted.listing())
        return counted.count

    ingest(customer_mail("Aquecimento: a fila de triagem nasce aqui")[0])
    first, first_id = customer_mail("Um chamado novo", sender="Bia <bia@cliente.example>")
    costs = {"new": ingest(first)}
    reply, _ = customer_mail("Mais um detalhe", sender="bia@cliente.example",
                             in_reply_to=first_id)  # fmt: skip
    costs["reply"] = ingest(reply)
    ooo, _ = customer_mail("Fora do escritório", sender="bia@cliente.example",
                           headers={"Auto-Submitted": "auto-replied"})  # fmt: skip
    costs["automatic"] = ingest(ooo)
    assert costs == {"new": NEW_TICKET_COST, "reply": REPLY_COST, "automatic": AUTOMATIC_COST}


def test_a_chunk_of_emails_shares_one_read_of_the_queue_and_one_transaction(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, admin: Any
) -> None:
    _store(db, customer_mail("Aquecimento: a fila de triagem nasce aqui")[0])
    assert inbound.sweep(session_factory, utcnow(), settings=settings) == 1
    for n in range(10):
        _store(db, customer_mail(f"Chamado {n}", sender=f"cliente{n}@loja.example")[0])
    with count_queries(db) as counted:  # (no time limit on the chunk: a loaded machine is slow)
        assert inbound.sweep(session_factory, utcnow(), settings=settings, chunk_seconds=60) == 10
    if os.environ.get("DUMP"):
        print(counted.listing())
    assert counted.count == CHUNK_OF_TEN_NEW
    begun = [s for s in counted.statements if s.lstrip().upper().startswith("SAVEPOINT")]
    # the harness's one savepoint for the chunk's transaction, and one per item
    assert len(begun) == 1 + 10
    tickets = admin.get("/api/v1/tickets", params={"limit": 50}).json()["items"]
    assert sorted(t["subject"] for t in tickets) == ["Nota fiscal não sai"] * 11
