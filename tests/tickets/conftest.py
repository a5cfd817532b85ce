"""Factories for the tickets tests: queues, organizations and contacts (rows), and helpers that
create tickets through the API."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from sqlalchemy.orm import Session

from atende.customers.models import Contact, Organization
from atende.queues.models import Queue

_n = count(1)


@pytest.fixture
def make_queue(db: Session) -> Any:
    def _make(name: str | None = None) -> Queue:
        queue = Queue(name=name or f"Fila {next(_n)}", description="")
        db.add(queue)
        db.commit()
        return queue

    return _make


@pytest.fixture
def make_org(db: Session) -> Any:
    def _make(name: str | None = None) -> Organization:
        org = Organization(name=name or f"Loja {next(_n)}")
        db.add(org)
        db.commit()
        return org

    return _make


@pytest.fixture
def make_contact(db: Session) -> Any:
    def _make(org: Organization | None = None, email: str | None = None) -> Contact:
        n = next(_n)
        contact = Contact(
            name=f"Cliente {n}",
            email=email or f"cliente{n}@loja.test",
            organization_id=org.id if org is not None else None,
        )
        db.add(contact)
        db.commit()
        return contact

    return _make


@pytest.fixture
def portal_user(make_user: Any, make_contact: Any) -> Any:
    """portal_user(org) -> (ApiUser with role contact, Contact)."""

    def _make(org: Organization | None = None) -> tuple[Any, Contact]:
        contact = make_contact(org)
        return make_user("contact", contact_id=contact.id), contact

    return _make


def create(user: Any, **fields: Any) -> dict[str, Any]:
    """POST /tickets, asserting 201."""
    body = {"subject": "Impressora fiscal não imprime", "body": "Desde ontem.", **fields}
    response = user.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def timeline(user: Any, ticket_id: int) -> list[dict[str, Any]]:
    response = user.get(f"/api/v1/tickets/{ticket_id}/timeline")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
