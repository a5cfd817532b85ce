"""Plans, customer organizations and their contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.audit import record as audit
from atende.auth.access import ensure_admin, ensure_staff, ensure_supervisor
from atende.auth.actor import Actor
from atende.customers import repository
from atende.customers.models import Contact, Organization, Plan
from atende.domain import billing, phones
from atende.domain.documents import normalise_document
from atende.domain.errors import Conflict, NotFound, ValidationFailed


def normalise_phone(raw: str, *, field: str = "phone", region: str = "BR") -> str:
    """E.164 (``+5511987654321``); numbers without a country code are taken as Brazilian."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(
            "invalid phone number {raw!r}: {exc}", field=field, raw=raw, exc=exc
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("invalid phone number {raw!r}", field=field, raw=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- plans -------------------------------------------------------------------------------


def create_plan(session: Session, *, actor: Actor, data: dict[str, Any]) -> Plan:
    ensure_admin(actor)
    if repository.plan_by_name(session, data["name"]):
        raise Conflict("a plan named {name!r} already exists", field="name", name=data["name"])
    plan = Plan(**data)
    session.add(plan)
    session.flush()
    audit.created(session, actor, plan)
    return plan


def update_plan(session: Session, *, actor: Actor, plan_id: int, changes: dict[str, Any]) -> Plan:
    ensure_admin(actor)
    plan = get_plan(session, actor=actor, plan_id=plan_id)
    if "name" in changes:
        other = repository.plan_by_name(session, changes["name"])
        if other is not None and other.id != plan.id:
            raise Conflict(
                "a plan named {name!r} already exists", field="name", name=changes["name"]
            )
    before = audit.snapshot(plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    session.flush()
    audit.updated(session, actor, plan, before)
    return plan


def get_plan(session: Session, *, actor: Actor, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan {plan_id} not found", plan_id=plan_id)
    return plan


# --- organizations ----------------------------------------------------------------------


def _check_org_refs(session: Session, values: dict[str, Any]) -> None:
    if values.get("plan_id") is not None and session.get(Plan, values["plan_id"]) is None:
        raise ValidationFailed(
            "plan {plan_id} does not exist", field="plan_id", plan_id=values["plan_id"]
        )
    manager_id = values.get("account_manager_id")
    if manager_id is not None:
        manager = session.get(User, manager_id)
        if manager is None or manager.role == "contact":
            raise ValidationFailed(
                "user {manager_id} is not a staff user",
                field="account_manager_id",
                manager_id=manager_id,
            )
    if values.get("document"):
        values["document"] = normalise_document(values["document"])
    elif "document" in values:
        values["document"] = None


def create_organization(
    session: Session, *, actor: Actor, data: dict[str, Any], today: date
) -> Organization:
    ensure_supervisor(actor)
    _check_org_refs(session, data)
    if data.get("document") and repository.organization_by_document(session, data["document"]):
        raise Conflict("an organization with this document already exists", field="document")
    org = Organization(**data)
    _default_overdue(org, today)
    _check_overdue(org, today)
    session.add(org)
    session.flush()
    audit.created(session, actor, org)
    return org


def update_organization(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    changes: dict[str, Any],
    today: date,
    now: datetime,
) -> tuple[Organization, bool]:
    """Change an organization; also says whether the facts SLA policies match on changed
    (plan, key account, stores, delinquency): its open tickets are then re-evaluated."""
    ensure_supervisor(actor)
    org = get_organization(session, actor=actor, org_id=org_id)
    _check_org_refs(session, changes)
    if changes.get("document"):
        other = repository.organization_by_document(session, changes["document"])
        if other is not None and other.id != org.id:
            raise Conflict("an organization with this document already exists", field="document")
    facts_before = _policy_facts(org)
    before = audit.snapshot(org)
    for key, value in changes.items():
        setattr(org, key, value)
    if changes.get("delinquent") is False:
        org.overdue_since = None
    _default_overdue(org, today)
    _check_overdue(org, today, given="overdue_since" in changes)
    session.flush()
    audit.updated(session, actor, org, before, at=now)
    return org, _policy_facts(org) != facts_before


def _policy_facts(org: Organization) -> tuple[object, ...]:
    return (org.plan_id, org.key_account, org.stores, org.delinquent, org.overdue_since)


def _default_overdue(org: Organization, today: date) -> None:
    """A delinquent customer owes since the latest due date unless told otherwise."""
    if org.delinquent and org.overdue_since is None and org.billing_due_day:
        org.overdue_since = billing.latest_due_date(org.billing_due_day, today)


def _check_overdue(org: Organization, today: date, *, given: bool = True) -> None:
    """``overdue_since`` is the earliest unpaid due date (seed 002: the system blocks 7 days
    after it): never in the future, and, with a ``billing_due_day``, one of that day's due
    dates (the day, or the month's last day when the month is shorter). An organization
    whose billing day changed under a stored date is only checked when the date is given."""
    since = org.overdue_since
    if since is None:
        return
    if since > today:
        raise ValidationFailed(
            "overdue_since {value} is in the future (today is {value2})",
            field="overdue_since",
            value=since.isoformat(),
            value2=today.isoformat(),
        )
    due_day = org.billing_due_day
    if due_day and given and billing.due_date_in(since.year, since.month, due_day) != since:
        due = billing.due_date_in(since.year, since.month, due_day)
        raise ValidationFailed(
            "overdue_since {value} is not a due date for billing_due_day "
            "{due_day} (that month's is {value2})",
            field="overdue_since",
            value=since.isoformat(),
            due_day=due_day,
            value2=due.isoformat(),
        )


def get_organization(session: Session, *, actor: Actor, org_id: int) -> Organization:
    org = repository.get_readable_organization(session, actor, org_id)
    if org is None:
        raise NotFound("organization {org_id} not found", org_id=org_id)
    return org


def organization_view(session: Session, org: Organization, today: date) -> dict[str, Any]:
    names = repository.plan_names(session, {org.plan_id} if org.plan_id else set())
    blocked = billing.system_blocked(
        delinquent=org.delinquent, overdue_since=org.overdue_since, today=today
    )
    return {
        "id": org.id,
        "name": org.name,
        "document": org.document,
        "plan_id": org.plan_id,
        "plan_name": names.get(org.plan_id) if org.plan_id else None,
        "key_account": org.key_account,
        "stores": org.stores,
        "account_manager_id": org.account_manager_id,
        "billing_due_day": org.billing_due_day,
        "delinquent": org.delinquent,
        "overdue_since": org.overdue_since,
        "system_blocked": blocked,
        "blocked_from": billing.blocked_from(org.overdue_since)
        if org.delinquent and org.overdue_since
        else None,
        "notes": org.notes,
        "created_at": org.created_at,
    }


# --- contacts ---------------------------------------------------------------------------


def _check_contact(session: Session, values: dict[str, Any], *, current_id: int | None) -> None:
    if values.get("phone"):
        values["phone"] = normalise_phone(values["phone"])
    if values.get("email"):
        values["email"] = str(values["email"]).lower()
        other = repository.contact_by_email(session, values["email"])
        if other is not None and other.id != current_id:
            raise Conflict(
                "a contact with e-mail {email} already exists", field="email", email=values["email"]
            )
    org_id = values.get("organization_id")
    if org_id is not None and session.get(Organization, org_id) is None:
        raise ValidationFailed(
            "organization {org_id} does not exist", field="organization_id", org_id=org_id
        )


def create_contact(session: Session, *, actor: Actor, data: dict[str, Any]) -> Contact:
    ensure_staff(actor)
    _check_contact(session, data, current_id=None)
    contact = Contact(**data)
    session.add(contact)
    session.flush()
    audit.created(session, actor, contact)
    return contact


def update_contact(
    session: Session, *, actor: Actor, contact_id: int, changes: dict[str, Any]
) -> Contact:
    ensure_staff(actor)
    contact = get_contact(session, actor=actor, contact_id=contact_id)
    _check_contact(session, changes, current_id=contact.id)
    before = audit.snapshot(contact)
    for key, value in changes.items():
        setattr(contact, key, value)
    session.flush()
    audit.updated(session, actor, contact, before)
    return contact


def get_contact(session: Session, *, actor: Actor, contact_id: int) -> Contact:
    contact = repository.get_readable_contact(session, actor, contact_id)
    if contact is None:
        raise NotFound("contact {contact_id} not found", contact_id=contact_id)
    return contact


def existing_requester(session: Session, *, email: str | None, phone: str | None) -> Contact | None:
    """The contact a requester names: by e-mail (any case), then by normalised phone."""
    if email:
        found = repository.contact_by_email(session, email)
        if found is not None:
            return found
    return contact_by_phone_forms(session, phone) if phone else None


def requester_fill_in(contact: Contact, *, email: str | None, phone: str | None) -> dict[str, str]:
    """What a requester adds to the contact found for it: the phone or e-mail it lacked."""
    added = {}
    if phone and not contact.phone:
        added["phone"] = phone
    if email and not contact.email:
        added["email"] = email.lower()
    return added


def contact_by_phone_forms(session: Session, e164: str) -> Contact | None:
    """The contact with this number in any of its forms: a Brazilian mobile number is matched
    with and without its ninth digit (decision 0023)."""
    return repository.contact_by_phones(session, phones.variants(e164))


def add_contact(session: Session, *, name: str, phone: str | None = None) -> Contact:
    """A contact known by a name (and perhaps a number) only: someone who wrote on WhatsApp or
    Telegram, or called. A Brazilian mobile number is kept with its ninth digit."""
    contact = Contact(
        name=name.strip()[:200] or (phone or "?"),
        email=None,
        phone=phones.canonical(phone) if phone else None,
    )
    session.add(contact)
    session.flush()
    return contact


def find_or_create_contact(
    session: Session, *, name: str | None, email: str | None, phone: str | None
) -> Contact:
    """The requester of a new ticket: found by e-mail, then by phone, else created."""
    if not email and not phone:
        raise ValidationFailed("requester needs an email or a phone", field="requester")
    norm_phone = normalise_phone(phone, field="requester.phone") if phone else None
    found = existing_requester(session, email=email, phone=norm_phone)
    if found is not None:
        for key, value in requester_fill_in(found, email=email, phone=norm_phone).items():
            setattr(found, key, value)
        return found
    contact = Contact(
        name=(name or email or norm_phone or "").strip()[:200],
        email=email.lower() if email else None,
        phone=norm_phone,
    )
    session.add(contact)
    session.flush()
    return contact
