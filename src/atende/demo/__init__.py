"""The demo data set: Solis Sistemas, a Brazilian retail-software company, and its customers.

Everything is built through the services, as an admin would through the API, so the demo obeys
the same rules as real data (valid CNPJs, E.164 phones, unique e-mails, ticket histories with a
timeline). A seeded random generator makes it deterministic for a given ``now``.

The world comes from the support manuals in ``shared/seeds``: chat first, e-mail as fallback;
the "#prime" customers served by "Prime - Especialistas"; key accounts (franchisors, chains with
15+ stores) by "Special Service"; delinquent customers sent to "Financeiro"; cancellations to
"Clientes" after a retention attempt; on-site visits by "Field Desk", included in the Prime, Plus
and Premium plans (seed 002, items 35-37).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.agents import repository as agents_repository
from atende.agents import service as agents_service
from atende.agents.models import User
from atende.auth.actor import SYSTEM
from atende.auth.passwords import hash_password
from atende.customers import service as customers_service
from atende.customers.models import Contact, Organization
from atende.demo import chat as demo_chat
from atende.demo import operations as demo_operations
from atende.demo import sla as demo_sla
from atende.demo import tickets as demo_tickets
from atende.demo.catalogue import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    FIRST_NAMES,
    LAST_NAMES,
    ORGANIZATIONS,
    PLANS,
    QUEUES,
    STAFF,
    OrgSpec,
)
from atende.domain import billing
from atende.domain.errors import ValidationFailed
from atende.queues import service as queues_service

__all__ = ["ADMIN_EMAIL", "DEFAULT_TICKETS", "DEMO_PASSWORD", "DemoResult", "is_empty", "load"]

DEFAULT_SEED = 7
DEFAULT_TICKETS = 200
LOCAL = ZoneInfo("America/Sao_Paulo")
# seed 001: the Special Service keeps office hours (on call outside) and at most 5 tickets per
# analyst; Field Desk visits are booked in office hours too
QUEUE_SETTINGS: dict[str, dict[str, object]] = {
    "Special Service": {"office_hours": True, "max_open_tickets": 5},
    "Field Desk": {"office_hours": True},
}

Progress = Callable[[int, int], None]


# --- building blocks ----------------------------------------------------------------------


def cnpj_check_digits(base12: str) -> str:
    """The two check digits (modulus 11) that make ``base12`` a valid numeric CNPJ."""

    def digit(values: list[int], weights: list[int]) -> int:
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        return 0 if remainder < 2 else 11 - remainder

    values = [int(c) for c in base12]
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    d1 = digit(values, w1)
    d2 = digit([*values, d1], [6, *w1])
    return f"{d1}{d2}"


def make_cnpj(rng: random.Random) -> str:
    """A valid head-office CNPJ (branch 0001), formatted as 00.000.000/0001-00."""
    root = f"{rng.randrange(10_000_000, 99_999_999):08d}"
    base = root + "0001"
    full = base + cnpj_check_digits(base)
    return f"{full[:2]}.{full[2:5]}.{full[5:8]}/{full[8:12]}-{full[12:]}"


def make_mobile(rng: random.Random, ddd: str) -> str:
    """A valid Brazilian mobile number in E.164 (+55 DDD 9XXXX-XXXX)."""
    while True:
        raw = f"+55{ddd}9{rng.randrange(6, 10)}{rng.randrange(0, 10_000_000):07d}"
        try:
            return customers_service.normalise_phone(raw)
        except ValidationFailed:
            continue


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


@dataclass
class DemoResult:
    plans: int = 0
    queues: int = 0
    users: int = 0
    organizations: int = 0
    contacts: int = 0
    tickets: int = 0
    rules: int = 0
    admin_email: str = ADMIN_EMAIL
    password: str = DEMO_PASSWORD
    channels: set[str] = field(default_factory=set)


def is_empty(session: Session) -> bool:
    """No user exists yet: the demo may load (``atende demo --if-empty``)."""
    return not agents_repository.user_page(session, after_id=None, limit=1, role=None, q=None)


def load(
    session: Session,
    *,
    now: datetime,
    seed: int = DEFAULT_SEED,
    tickets: int = DEFAULT_TICKETS,
    on_progress: Progress | None = None,
) -> DemoResult:
    """Load the demo into an empty database in the caller's transaction (flushes, never commits).

    ``on_progress(done, total)`` is called after each ticket.
    """
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    if not is_empty(session):
        raise ValidationFailed("the database already has users; the demo loads only when empty")
    rng = random.Random(seed)
    result = DemoResult()
    today = now.astimezone(LOCAL).date()

    plans = {}
    for plan in PLANS:
        plans[plan["name"]] = customers_service.create_plan(session, actor=SYSTEM, data=dict(plan))
    result.plans = len(plans)

    # One argon2 hash for the one published demo password: hashing it per user costs seconds.
    password_hash = hash_password(DEMO_PASSWORD)
    users: dict[str, User] = {}
    for name, email, role, _queues in STAFF:
        user = agents_service.create_user(
            session, actor=SYSTEM, data={"name": name, "email": email, "role": role}
        )
        user.password_hash = password_hash
        users[email] = user
    session.flush()
    result.users = len(users)

    calendars = demo_sla.load(session, now=now)
    queue_ids: dict[str, int] = {}
    members: dict[str, list[User]] = {}
    for qname, description in QUEUES:
        members[qname] = [users[e] for _n, e, _r, qs in STAFF if qname in qs]
        settings = QUEUE_SETTINGS.get(qname, {})
        queue = queues_service.create_queue(
            session,
            actor=SYSTEM,
            data={
                "name": qname,
                "description": description,
                "member_ids": [u.id for u in members[qname]],
                "calendar_id": calendars[demo_sla.OFFICE] if settings.get("office_hours") else None,
                "default_max_open_tickets": settings.get("max_open_tickets"),
                # the first level sorts what nobody routed (seed 001)
                "triage": qname == "Suporte N1",
            },
        )
        queue_ids[qname] = queue.id
    result.queues = len(queue_ids)

    managers = [users["patricia.alves@solis.example"], users["lucas.ferreira@solis.example"]]
    orgs: list[tuple[Organization, OrgSpec, list[Contact]]] = []
    used_emails: set[str] = set()
    for index, spec in enumerate(ORGANIZATIONS):
        due_day = (5, 10, 15, 20, 25)[index % 5]
        overdue_since: date | None = None
        if spec.delinquent == "blocked":
            overdue_since = billing.latest_due_date(due_day, today - timedelta(days=9))
        elif spec.delinquent == "grace":
            due = today - timedelta(days=3)
            due_day = min(due.day, 28)
            overdue_since = billing.latest_due_date(due_day, due)
        org = customers_service.create_organization(
            session,
            actor=SYSTEM,
            today=today,
            data={
                "name": spec.name,
                "document": make_cnpj(rng),
                "plan_id": plans[spec.plan].id,
                "key_account": spec.key_account,
                "stores": spec.stores,
                "account_manager_id": managers[index % 2].id if spec.key_account else None,
                "billing_due_day": due_day,
                "delinquent": bool(spec.delinquent),
                "overdue_since": overdue_since,
                "notes": spec.notes,
            },
        )
        roles = (
            ("owner", "director", "focal_point", "manager", "user")
            if spec.key_account
            else ("owner", "manager", "user")[: rng.choice((2, 3))]
        )
        contacts = [
            _contact(session, rng, used_emails, role=role, domain=spec.slug, ddd=spec.ddd, org=org)
            for role in roles
        ]
        orgs.append((org, spec, contacts))
        result.contacts += len(contacts)
    result.organizations = len(orgs)
    prospects = [
        _contact(session, rng, used_emails, role="user", domain=d, ddd=ddd, org=None)
        for d, ddd in (
            ("gmail.example", "11"),
            ("lojadaclara.example", "21"),
            ("bol.example", "31"),
        )
    ]
    result.contacts += len(prospects)

    world = demo_tickets.World(
        rng=rng,
        now=now,
        orgs=orgs,
        prospects=prospects,
        queue_ids=queue_ids,
        members=members,
        admin=users[ADMIN_EMAIL],
    )
    created = demo_tickets.load_tickets(session, world, count=tickets, on_progress=on_progress)
    result.tickets = len(created)
    result.channels = {t.channel for t in created}
    result.rules = demo_operations.load(session, now=now, users=users, queue_ids=queue_ids)
    demo_chat.load(session, now=now, queue_ids=queue_ids)  # the front-door bot and a widget
    session.flush()
    return result


def _contact(
    session: Session,
    rng: random.Random,
    used: set[str],
    *,
    role: str,
    domain: str,
    ddd: str,
    org: Organization | None,
) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    host = domain if "." in domain else f"{domain}.example"
    local = f"{ascii_slug(first)}.{ascii_slug(last)}"
    email = f"{local}@{host}"
    n = 2
    while email in used:
        email = f"{local}{n}@{host}"
        n += 1
    used.add(email)
    return customers_service.create_contact(
        session,
        actor=SYSTEM,
        data={
            "name": f"{first} {last}",
            "email": email,
            "phone": make_mobile(rng, ddd),
            "role": role,
            "organization_id": org.id if org else None,
        },
    )
