"""Display lookups for the HTML pages: names of the people and queues a page shows, in one query
per kind for a whole page (never one per row). Access to tickets is checked by the tickets area;
these only turn ids the visitor already sees into labels."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.customers.models import Contact, Organization
from atende.queues.models import Queue


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({v for v in values if v is not None})


def contact_names(session: Session, contact_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(contact_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.name, Contact.email).where(Contact.id.in_(ids))
    )
    return {cid: name or email or f"#{cid}" for cid, name, email in rows}


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(user_ids)
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: name or email for uid, name, email in rows}


def queue_names(session: Session, queue_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(queue_ids)
    if not ids:
        return {}
    rows = session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(ids)))
    return {key: name for key, name in rows}


def organization_names(session: Session, organization_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(organization_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {key: name for key, name in rows}
