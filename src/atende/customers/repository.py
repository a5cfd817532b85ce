from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.customers.models import Contact, Organization, Plan


def plans(session: Session) -> Sequence[Plan]:
    return session.scalars(select(Plan).order_by(Plan.rank.desc(), Plan.name)).all()


def plan_by_name(session: Session, name: str) -> Plan | None:
    return session.scalar(select(Plan).where(func.lower(Plan.name) == name.lower()))


def readable_organizations(actor: Actor) -> Select[Organization]:
    stmt = select(Organization)
    if actor.is_staff:
        return stmt
    if actor.organization_id is None:
        return stmt.where(false())
    return stmt.where(Organization.id == actor.organization_id)


def readable_contacts(actor: Actor) -> Select[Contact]:
    stmt = select(Contact)
    if actor.is_staff:
        return stmt
    if actor.organization_id is not None:
        return stmt.where(Contact.organization_id == actor.organization_id)
    return stmt.where(Contact.id == actor.contact_id)


def get_readable_organization(session: Session, actor: Actor, org_id: int) -> Organization | None:
    return session.scalar(readable_organizations(actor).where(Organization.id == org_id))


def get_readable_contact(session: Session, actor: Actor, contact_id: int) -> Contact | None:
    return session.scalar(readable_contacts(actor).where(Contact.id == contact_id))


def organization_page(
    session: Session, actor: Actor, *, after_id: int | None, limit: int, q: str | None
) -> Sequence[Organization]:
    stmt = readable_organizations(actor)
    if q:
        stmt = stmt.where(Organization.name.ilike(f"%{q}%"))
    if after_id is not None:
        stmt = stmt.where(Organization.id > after_id)
    return session.scalars(stmt.order_by(Organization.id).limit(limit)).all()


def contact_page(
    session: Session,
    actor: Actor,
    *,
    after_id: int | None,
    limit: int,
    q: str | None,
    organization_id: int | None,
) -> Sequence[Contact]:
    stmt = readable_contacts(actor)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            Contact.name.ilike(like) | Contact.email.ilike(like) | Contact.phone.ilike(like)
        )
    if organization_id is not None:
        stmt = stmt.where(Contact.organization_id == organization_id)
    if after_id is not None:
        stmt = stmt.where(Contact.id > after_id)
    return session.scalars(stmt.order_by(Contact.id).limit(limit)).all()


def contact_by_email(session: Session, email: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.email == email.lower()))  # stored lower


def contact_by_phone(session: Session, phone: str) -> Contact | None:
    return session.scalars(
        select(Contact).where(Contact.phone == phone).order_by(Contact.id)
    ).first()


def contact_by_phones(session: Session, phones: Sequence[str]) -> Contact | None:
    """The oldest contact with any of ``phones`` (a number's forms: decision 0023)."""
    return session.scalars(
        select(Contact).where(Contact.phone.in_(list(phones))).order_by(Contact.id)
    ).first()


def organization_by_document(session: Session, document: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.document == document))


def plan_names(session: Session, plan_ids: set[int]) -> dict[int, str]:
    if not plan_ids:
        return {}
    rows = session.execute(select(Plan.id, Plan.name).where(Plan.id.in_(plan_ids)))
    return {row[0]: row[1] for row in rows}
