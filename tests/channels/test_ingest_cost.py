"""The ingestion of an e-mail costs a fixed number of statements (the pipeline's hot path):
a new ticket, a reply threaded by our Message-ID, an automatic message."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.channels import pipeline
from atende.channels.email_parse import provider_id
from atende.db.base import utcnow
from atende.settings import Settings
from atende.workflows import inbound
from tests.channels.conftest import customer_mail
from tests.support.queries import count_queries

# the sweep's read of the queue, the lock, the duplicate check, the contact, the threading
# lookups, the ticket and its timeline, the record, the settle (SLA, rules, routing, stream) and
# the item's update
NEW_TICKET_COST = 28  # 26 + the reports' facts (metric state and the "created" fact)
REPLY_COST = 22  # 20 + the reports' metric state read and update
AUTOMATIC_COST = 7


def _store(db: Session, raw: bytes) -> None:
    pipeline.store(db, kind="email", channel="smtp", provider_id=provider_id(raw), raw=raw,
                   now=utcnow())  # fmt: skip
    db.commit()


def test_ingesting_an_email_costs_a_fixed_number_of_statements(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, admin: Any
) -> None:
    def ingest(raw: bytes) -> int:
        _store(db, raw)
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
