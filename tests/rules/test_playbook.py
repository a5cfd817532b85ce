"""The seeds' playbook (rules/playbook.py) on the manuals' cases: Prime and #prime, key accounts,
delinquent customers with the system blocked or not, cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from atende.customers.models import Organization
from atende.domain.errors import NotFound
from atende.queues.models import Queue
from atende.rules import playbook
from atende.rules.models import CannedReply, Rule
from tests.rules.conftest import T0, World

SP = ZoneInfo("America/Sao_Paulo")
TODAY = T0.astimezone(SP).date()


@dataclass
class Desk:
    world: World
    queues: dict[str, Queue]
    prime: Organization
    key_account: Organization
    blocked: Organization
    grace: Organization
    basic: Organization

    def ticket(self, org: Organization, *, name: str = "Mariana Souza", **fields: Any) -> Any:
        contact = self.world.contact(org, name=name)
        fields.setdefault("queue_id", self.queues["Suporte N1"].id)
        return self.world.ticket(contact_id=contact.id, **fields)

    def queue_of(self, ticket: Any) -> str:
        return next(name for name, q in self.queues.items() if q.id == ticket.queue_id)

    def public_texts(self, ticket: Any) -> list[str]:
        return [m.body_text for m in self.world.messages(ticket) if m.public][1:]


@pytest.fixture
def desk(world: World) -> Desk:
    queues = {
        name: world.queue(name)
        for name in (
            "Suporte N1",
            "Prime - Especialistas",
            "Financeiro",
            "Clientes",
            "Special Service",
        )
    }
    desk = Desk(
        world,
        queues,
        prime=world.org("Supermercado Bom Preço Ltda", plan="Prime", stores=3),
        key_account=world.org(
            "Moda Bella Franquias S.A.", plan="Prime", key_account=True, stores=58
        ),
        blocked=world.org(
            "Açougue Boi Nobre Ltda",
            plan="Básico",
            delinquent=True,
            overdue_since=TODAY - timedelta(days=9),
        ),
        grace=world.org(
            "Distribuidora Norte Sul Ltda",
            plan="Prime",
            delinquent=True,
            overdue_since=TODAY - timedelta(days=3),
        ),
        basic=world.org("Padaria Pão de Ouro Ltda", plan="Básico"),
    )
    rules = playbook.load_playbook(world.db, now=T0)
    assert len(rules) == 11
    return desk


def test_loading_twice_creates_nothing_new(desk: Desk) -> None:
    db = desk.world.db
    again = playbook.load_playbook(db, now=T0)
    assert len(again) == 11
    assert db.query(Rule).count() == 11
    assert db.query(CannedReply).count() == 3
    assert [r.position for r in again] == list(range(11))


def test_it_needs_the_demo_queues(world: World) -> None:
    world.queue("Financeiro")
    with pytest.raises(NotFound, match="Prime - Especialistas"):
        playbook.load_playbook(world.db, now=T0)


def test_prime_customer_goes_to_prime_and_is_told_about_the_keyword(desk: Desk) -> None:
    ticket = desk.ticket(desk.prime, channel="chat", body="Oi, o PDV travou")
    assert desk.queue_of(ticket) == "Prime - Especialistas"
    assert desk.world.tags(ticket) == ["prime"]
    [reply] = desk.public_texts(ticket)
    assert reply.startswith("Atendimento Prime – Exclusivo para Você!\n\nOlá, Mariana!")
    assert "digite a palavra-chave #prime" in reply
    rules = [e.after["rule"] for e in desk.world.events(ticket, "rule")]
    assert rules == [
        "Prime: clientes Prime para Prime - Especialistas",
        "Prime: orientar sobre o #prime no chat",
    ]


def test_prime_customer_who_used_the_keyword_is_not_told_again(desk: Desk) -> None:
    ticket = desk.ticket(desk.prime, channel="chat", body="#prime Oi, o PDV travou")
    assert desk.queue_of(ticket) == "Prime - Especialistas"
    assert desk.public_texts(ticket) == []
    by_email = desk.ticket(desk.prime, channel="email", body="A NF-e foi rejeitada")
    assert desk.queue_of(by_email) == "Prime - Especialistas"
    assert desk.public_texts(by_email) == []


def test_prime_before_business_hours_stays_then_hashprime_routes(desk: Desk) -> None:
    """Seed 004: before 08:00 anyone serves Prime customers; from then, Prime - Especialistas.
    ``#prime`` said later in the conversation routes the ticket."""
    desk.world.calendar()  # Mon-Fri 08:00-18:00: the default calendar
    early = datetime(2026, 3, 3, 7, 0, tzinfo=SP)
    ticket = desk.ticket(desk.prime, channel="chat", body="Oi", now=early)
    assert desk.queue_of(ticket) == "Suporte N1"
    desk.world.contact_says(ticket, "Esqueci: #prime", now=early + timedelta(minutes=30))
    assert desk.queue_of(ticket) == "Suporte N1"  # still before 08:00
    desk.world.contact_says(ticket, "#prime", now=early + timedelta(hours=2))
    assert desk.queue_of(ticket) == "Prime - Especialistas"
    assert desk.world.tags(ticket) == ["prime"]


def test_hashprime_from_a_non_prime_customer_changes_nothing(desk: Desk) -> None:
    ticket = desk.ticket(desk.basic, channel="chat", body="Oi")
    desk.world.contact_says(ticket, "#prime")
    assert desk.queue_of(ticket) == "Suporte N1"
    assert desk.world.events(ticket, "rule") == []


def test_key_accounts_go_to_special_service_even_when_prime(desk: Desk) -> None:
    ticket = desk.ticket(desk.key_account, channel="chat", body="Oi")
    assert desk.queue_of(ticket) == "Special Service"
    assert desk.public_texts(ticket) == []
    desk.world.contact_says(ticket, "#prime")
    assert desk.queue_of(ticket) == "Special Service"


def test_blocked_delinquent_goes_to_finance_at_once_with_the_explanation(desk: Desk) -> None:
    ticket = desk.ticket(
        desk.blocked, channel="whatsapp", body="O sistema não abre", name="Carlos Pereira"
    )
    assert desk.queue_of(ticket) == "Financeiro"
    assert desk.world.tags(ticket) == ["inadimplente"]
    [reply] = desk.public_texts(ticket)
    assert reply.startswith("Olá, Carlos.")
    assert "Açougue Boi Nobre Ltda" in reply and f"#{ticket.number}" in reply
    assert reply.endswith("Ficou alguma dúvida?")
    [note] = [m.body_text for m in desk.world.messages(ticket) if not m.public]
    assert note.startswith("Cliente inadimplente com o sistema bloqueado")
    [summary] = desk.world.events(ticket, "rule")
    assert summary.after["matched"] == (
        "organization.delinquent = true and organization.system_blocked = true"
    )


def test_blocked_delinquent_who_asks_to_cancel_still_goes_to_finance(desk: Desk) -> None:
    ticket = desk.ticket(desk.blocked, body="Quero cancelar o sistema")
    assert desk.queue_of(ticket) == "Financeiro"


def test_delinquent_not_blocked_is_served_then_sent_to_finance(desk: Desk) -> None:
    ticket = desk.ticket(desk.grace, channel="chat", body="#prime A impressora parou")
    assert desk.queue_of(ticket) == "Prime - Especialistas"  # served normally first
    desk.world.update(ticket, status="resolved")
    assert desk.queue_of(ticket) == "Financeiro"
    assert ticket.status == "open"
    [reply] = desk.public_texts(ticket)
    assert "atendimento técnico do chamado" in reply and "Financeiro" in reply
    # Finance resolves it: no transfer again
    desk.world.update(ticket, status="resolved")
    assert desk.queue_of(ticket) == "Financeiro" and ticket.status == "resolved"


def test_cancellation_by_type_or_by_what_the_customer_writes(desk: Desk) -> None:
    by_type = desk.ticket(desk.basic, type="cancellation", body="Encerrar")
    assert desk.queue_of(by_type) == "Clientes"
    by_text = desk.ticket(desk.prime, body="Bom dia, gostaria de cancelar o contrato.")
    assert desk.queue_of(by_text) == "Clientes"
    assert by_text.type == "cancellation"
    assert desk.world.tags(by_text) == ["cancelamento"]
    # everyday point-of-sale work is not a cancellation of the contract
    coupon = desk.ticket(desk.basic, body="Preciso cancelar o cupom fiscal da última venda")
    assert desk.queue_of(coupon) == "Suporte N1"


def test_cancellation_asked_later_or_set_by_the_agent(desk: Desk) -> None:
    ticket = desk.ticket(desk.basic, body="Dúvida no relatório")
    desk.world.contact_says(ticket, "Na verdade quero o cancelamento do plano")
    assert desk.queue_of(ticket) == "Clientes"
    other = desk.ticket(desk.basic, body="Dúvida no relatório")
    desk.world.update(other, type="cancellation")
    assert desk.queue_of(other) == "Clientes"


def test_the_demo_world_takes_the_playbook(db: Any) -> None:
    """What ``atende demo`` will do: load the demo, then the playbook; a new ticket from the
    demo's blocked customer goes to Finance."""
    from sqlalchemy import select

    from atende import demo
    from atende.auth.actor import SYSTEM
    from atende.customers.models import Contact
    from atende.tickets.schemas import TicketIn
    from atende.workflows import tickets as ticket_workflows

    now = datetime(2026, 3, 3, 10, 0, tzinfo=SP)
    demo.load(db, now=now, tickets=3)
    rules = playbook.load_playbook(db, now=now)
    assert rules[0].name == "Financeiro: inadimplente com sistema bloqueado"
    contact = db.scalar(
        select(Contact)
        .join(Organization, Organization.id == Contact.organization_id)
        .where(Organization.name == "Açougue Boi Nobre Ltda")
        .limit(1)
    )
    ticket = ticket_workflows.create_ticket(
        db,
        actor=SYSTEM,
        data=TicketIn(subject="Sistema bloqueado", body="Não abre", contact_id=contact.id),
        now=now,
    ).ticket
    finance = db.scalar(select(Queue).where(Queue.name == "Financeiro"))
    assert ticket.queue_id == finance.id
