"""The quick creation path (tickets/quick.py) stores exactly what the full use case stores and
answers exactly the same: every creation below is made twice at the same instant, once as the
API makes it and once forced through `service.create_ticket`, and the two tickets' rows
(ticket, timeline, SLA policy row and clocks, tags) and answers must be equal but for ids.
Requesters are given by ``contact_id`` or by e-mail or phone (``requester``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.customers.models import Contact, Plan
from atende.jobs.models import Job
from atende.sla.models import TicketSla, TicketSlaTarget
from atende.tickets import api as tickets_api
from atende.tickets import lane, quick
from atende.tickets.models import Message, Ticket, TicketEvent, TicketTag
from tests.sla.helpers import make_calendar, make_policy

T = "/api/v1/tickets"
IGNORED = {"id", "ticket_id"}


def _rows(db: Session, model: Any, ticket_id: int, order: Any = None) -> list[dict[str, Any]]:
    stmt = select(model.__table__).where(model.__table__.c.ticket_id == ticket_id)
    if order is not None:
        stmt = stmt.order_by(order)
    return [{k: v for k, v in row._mapping.items() if k not in IGNORED} for row in db.execute(stmt)]


def _jobs(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Job)) or 0)


def stored(db: Session, ticket_id: int) -> dict[str, Any]:
    ticket = db.execute(select(Ticket.__table__).where(Ticket.__table__.c.id == ticket_id)).one()
    return {
        "ticket": {k: v for k, v in ticket._mapping.items() if k not in IGNORED},
        "events": _rows(db, TicketEvent, ticket_id, TicketEvent.position),
        "messages": _rows(db, Message, ticket_id, Message.position),
        "sla": _rows(db, TicketSla, ticket_id),
        "targets": _rows(db, TicketSlaTarget, ticket_id, TicketSlaTarget.kind),
        "tags": _rows(db, TicketTag, ticket_id, TicketTag.tag),
    }


@pytest.fixture
def world(admin: Any, make_queue: Any, make_org: Any, make_contact: Any, db: Session) -> Any:
    """Policies by priority and channel (others get none), a rule on the Prime plan and one on
    the subject, queues that wait (one with a calendar: the on-call flag), one that assigns."""
    cal = make_calendar(admin)
    make_policy(
        admin,
        "Urgente",
        cal,
        first_response_minutes=30,
        resolution_minutes=240,
        conditions={"all": [{"field": "ticket.priority", "op": "eq", "value": "urgent"}]},
    )
    chat = {"all": [{"field": "ticket.channel", "op": "eq", "value": "chat"}]}
    make_policy(admin, "Chat", cal, first_response_minutes=5, next_response_minutes=10,
                resolution_minutes=600, conditions=chat)  # fmt: skip
    for rule in (
        {"name": "Prime", "event": "ticket_created",
         "conditions": {"all": [{"field": "organization.plan", "op": "eq", "value": "Prime"}]},
         "actions": [{"type": "add_tags", "value": ["prime"]}]},
        {"name": "VIP", "event": "ticket_created",
         "conditions": {"all": [{"field": "ticket.subject", "op": "contains", "value": "#vip"}]},
         "actions": [{"type": "set_priority", "value": "high"}]},
    ):  # fmt: skip
        assert admin.post("/api/v1/rules", json=rule).status_code == 201
    prime = Plan(name="Prime")
    db.add(prime)
    db.commit()
    prime_org, plain_org = make_org(), make_org()
    prime_org.plan_id = prime.id
    db.commit()
    waiting = make_queue().id
    on_call = admin.post("/api/v1/queues", json={"name": "Plantão", "calendar_id": cal}).json()
    assigning = admin.post(
        "/api/v1/queues", json={"name": "Auto", "assignment_mode": "round_robin"}
    ).json()
    contacts = [  # e-mails a requester may name (.test is refused as a special-use domain)
        make_contact(prime_org, email="compras@lojaprime.com.br"),
        make_contact(plain_org, email="ti@padariasol.com.br"),
        make_contact(email="ana@gmail.com"),
    ]
    contacts[2].phone = "+5511977776666"
    db.commit()
    requesters = [
        {"email": contacts[1].email.upper()},  # found by e-mail, whatever its case
        {"name": "Outro nome", "email": contacts[0].email},  # the name changes nothing
        {"email": contacts[1].email, "phone": "(11) 98888-7777"},  # its phone is filled in
        {"phone": "+55 11 97777-6666"},  # found by phone
        {"name": "Nova cliente", "email": "nova@mercadinho.com.br"},  # created by the first request
    ]
    return {
        "queues": [None, waiting, on_call["id"], assigning["id"]],
        "contacts": [None, *(c.id for c in contacts)],
        "requesters": requesters,
    }


creations = st.fixed_dictionaries(
    {
        "subject": st.sampled_from(["Erro ao emitir NF-e", "PDV travado #vip", "Dúvida"]),
        "channel": st.sampled_from(["chat", "email", "whatsapp", "api"]),
        "priority": st.sampled_from(["low", "normal", "high", "urgent"]),
    },
    optional={
        "body": st.sampled_from(
            ["Não consigo emitir.", "<p>Olá <b>time</b><script>x()</script></p>", "ok"]
        ),
        "type": st.sampled_from(["incident", "question"]),
        "tags": st.lists(st.sampled_from(["NFe", "nfe", "pdv", " loja ", "sped"]), max_size=4),
        "custom_fields": st.dictionaries(st.sampled_from(["loja", "cnpj"]), st.integers(0, 99)),
    },
)
instants = st.datetimes(
    min_value=datetime(2026, 3, 2), max_value=datetime(2026, 3, 9), timezones=st.just(UTC)
)


def test_the_quick_path_stores_and_answers_what_the_full_use_case_does(
    admin: Any, world: Any, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = {"quick": 0, "full": 0}
    plain_write = quick.write

    def counting_write(session: Session, drafts: Any) -> Any:
        written = plain_write(session, drafts)
        used["quick" if written else "full"] += 1
        return written

    monkeypatch.setattr(quick, "write", counting_write)
    plain_draft = quick.draft

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        data=creations,
        queue=st.sampled_from(world["queues"]),
        who=st.one_of(
            st.builds(lambda c: {"contact_id": c}, st.sampled_from(world["contacts"])),
            st.builds(lambda r: {"requester": r}, st.sampled_from(world["requesters"])),
        ),
        now=instants,
    )
    def check(data: dict[str, Any], queue: int | None, who: dict[str, Any], now: datetime) -> None:
        body = {**data, "queue_id": queue, **who}
        for module in (tickets_api, lane):  # the route's clock and the lane's
            monkeypatch.setattr(module, "utcnow", lambda: now.replace(microsecond=0))
        jobs = [_jobs(db)]
        monkeypatch.setattr(quick, "draft", plain_draft)
        first = admin.post(T, json=body)
        jobs.append(_jobs(db))
        monkeypatch.setattr(quick, "draft", lambda *a, **k: None)  # the full use case only
        second = admin.post(T, json=body)
        jobs.append(_jobs(db))
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        a, b = first.json(), second.json()
        assert b["id"] == a["id"] + 1
        db.expire_all()
        assert stored(db, a["id"]) == stored(db, b["id"])
        for answer in (a, b):
            del answer["id"], answer["number"], answer["display_number"]
        assert a == b
        assert jobs[1] - jobs[0] == jobs[2] - jobs[1]  # the same jobs queued (rules' e-mails)

    check()
    # the comparison above was not between two full paths: most creations went the quick way
    assert used["quick"] > 10, used


def test_the_prime_rule_and_an_assigning_queue_take_the_full_path(
    admin: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    plain_write = quick.write
    monkeypatch.setattr(quick, "write", lambda s, d: written.append(d) or plain_write(s, d))
    prime_contact = world["contacts"][1]
    made = admin.post(T, json={"subject": "Prime", "contact_id": prime_contact}).json()
    assert "prime" in made["tags"] and written == []  # the rule ran: the full path
    made = admin.post(T, json={"subject": "Auto", "queue_id": world["queues"][3]}).json()
    assert written == []
    made = admin.post(T, json={"subject": "Fila", "queue_id": world["queues"][1]}).json()
    assert len(written) == 1 and made["queue_id"] == world["queues"][1]
    assert made["sla"] is None
    chat = admin.post(T, json={"subject": "Chat", "channel": "chat", "body": "oi"}).json()
    assert chat["sla"]["policy_name"] == "Chat" and len(written) == 2
    due = datetime.fromisoformat(chat["sla"]["targets"]["first_response"]["due_at"])
    assert due > datetime.now(UTC) - timedelta(minutes=1)


def test_a_returning_requester_by_e_mail_or_phone_is_a_quick_creation(
    admin: Any, world: Any, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    plain_write = quick.write
    monkeypatch.setattr(quick, "write", lambda s, d: written.append(d) or plain_write(s, d))
    known = db.get(Contact, world["contacts"][2])
    assert known is not None
    for requester in ({"email": known.email.upper()}, {"name": "Maria", "email": known.email}):
        made = admin.post(T, json={"subject": "NF-e", "requester": requester}).json()
        assert made["requester_id"] == known.id
    assert len(written) == 2  # both quick
    by_phone = db.get(Contact, world["contacts"][3])
    assert by_phone is not None
    made = admin.post(T, json={"subject": "PDV", "requester": {"phone": "(11) 97777-6666"}})
    assert made.json()["requester_id"] == by_phone.id and len(written) == 3

    # a new requester: the full path creates the contact; their next ticket is quick
    new = {"name": "Joana", "email": "joana@padariasol.com.br"}
    first = admin.post(T, json={"subject": "Boleto", "requester": new}).json()
    assert len(written) == 3
    again = admin.post(T, json={"subject": "Boleto 2", "requester": new}).json()
    assert again["requester_id"] == first["requester_id"] and len(written) == 4
    # one found by e-mail whose phone is new to it: the full path fills it in
    filled = admin.post(
        T, json={"subject": "Tel", "requester": {**new, "phone": "(11) 95555-4444"}}
    ).json()
    assert filled["requester_id"] == first["requester_id"] and len(written) == 4
    db.expire_all()
    joana = db.get(Contact, first["requester_id"])
    assert joana is not None and joana.phone == "+5511955554444"
    # a bad phone gets the route's error, as before
    bad = admin.post(T, json={"subject": "X", "requester": {"phone": "12"}})
    assert bad.status_code == 422 and "requester.phone" in bad.text


def test_a_shared_phone_never_outlives_a_new_contact_with_the_e_mail(
    admin: Any, world: Any, db: Session
) -> None:
    """A requester whose e-mail no contact has is found by its phone (the full path), and only
    until a contact with that e-mail exists: no copy of this process may keep the first
    answer (adding a contact does not make the copies stale)."""
    switchboard = db.get(Contact, world["contacts"][3])  # has the phone +5511977776666
    assert switchboard is not None
    joao = {"email": "joao@padariasol.com.br", "phone": "(11) 97777-6666"}
    for _ in range(2):
        made = admin.post(T, json={"subject": "Caixa", "requester": joao}).json()
        assert made["requester_id"] == switchboard.id
    created = admin.post("/api/v1/contacts", json={"name": "João", "email": joao["email"]})
    assert created.status_code == 201, created.text
    for _ in range(2):
        made = admin.post(T, json={"subject": "Caixa", "requester": joao}).json()
        assert made["requester_id"] == created.json()["id"]
