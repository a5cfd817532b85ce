"""Factories for the attachment tests: organizations, contacts, queues, tickets and messages
made with the ORM (committed through the ``db`` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from atende.customers.models import Contact, Organization
from atende.queues.models import Queue
from atende.tickets.models import Message, Ticket


@dataclass
class World:
    """Two customer organizations, two queues, and one ticket in org A / queue A."""

    org_a: Organization
    org_b: Organization
    contact_a: Contact
    contact_b: Contact
    queue_a: Queue
    queue_b: Queue
    ticket: Ticket


@pytest.fixture
def make_ticket(db: Session) -> Any:
    def _make(*, organization: Organization, queue: Queue, requester: Contact, **kw: Any) -> Ticket:
        ticket = Ticket(
            subject=kw.pop("subject", "Impressora fiscal não imprime"),
            status=kw.pop("status", "open"),
            organization_id=organization.id,
            queue_id=queue.id,
            requester_id=requester.id,
            channel="portal",
            **kw,
        )
        db.add(ticket)
        db.commit()
        return ticket

    return _make


@pytest.fixture
def make_message(db: Session) -> Any:
    def _make(ticket: Ticket, *, public: bool, body: str = "Segue o log.") -> Message:
        db.refresh(ticket)  # the API may have moved the counter since
        ticket.timeline_count += 1
        message = Message(
            ticket_id=ticket.id,
            position=ticket.timeline_count,
            author_kind="agent",
            public=public,
            body_html=f"<p>{body}</p>",
            body_text=body,
        )
        db.add(message)
        db.commit()
        return message

    return _make


@pytest.fixture
def world(db: Session, make_ticket: Any) -> World:
    org_a = Organization(name="Padaria Pão Quente")
    org_b = Organization(name="Mercado Bom Preço")
    db.add_all([org_a, org_b])
    db.flush()
    contact_a = Contact(name="Lia", email="lia@paoquente.test", organization_id=org_a.id)
    contact_b = Contact(name="Rui", email="rui@bompreco.test", organization_id=org_b.id)
    queue_a = Queue(name="Suporte N1")
    queue_b = Queue(name="Financeiro")
    db.add_all([contact_a, contact_b, queue_a, queue_b])
    db.commit()
    ticket = make_ticket(organization=org_a, queue=queue_a, requester=contact_a)
    return World(org_a, org_b, contact_a, contact_b, queue_a, queue_b, ticket)
