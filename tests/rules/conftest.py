"""Factories for the rules tests: a small world (queues, plans, organizations, contacts, staff)
written as rows, tickets created and changed through the tickets service at chosen instants,
and readers for the timeline and the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.auth.actor import Actor
from atende.calendars.models import Calendar
from atende.customers.models import Contact, Organization, Plan
from atende.jobs.models import Job
from atende.queues.models import Queue, QueueMember
from atende.rules import engine
from atende.rules import service as rules_service
from atende.rules.models import Rule
from atende.tickets import service as ticket_service
from atende.tickets.models import Message, Ticket, TicketEvent
from atende.tickets.schemas import TicketIn
from atende.workflows import tickets as ticket_workflows
from atende.workflows.settle import Settler

ADMIN = Actor(user_id=None, role="system", name="Teste")
T0 = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # a Tuesday, 10:00 in São Paulo
_n = count(1)


def agent_actor(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, name=user.name, email=user.email)


@dataclass
class World:
    db: Session

    def queue(self, name: str | None = None) -> Queue:
        row = Queue(name=name or f"Fila {next(_n)}", description="")
        self.db.add(row)
        self.db.flush()
        return row

    def plan(self, name: str) -> Plan:
        row = self.db.scalar(select(Plan).where(Plan.name == name))
        if row is None:
            row = Plan(name=name)
            self.db.add(row)
            self.db.flush()
        return row

    def org(
        self, name: str | None = None, *, plan: str | None = None, **fields: Any
    ) -> Organization:
        row = Organization(
            name=name or f"Loja {next(_n)} Ltda",
            plan_id=self.plan(plan).id if plan else None,
            **fields,
        )
        self.db.add(row)
        self.db.flush()
        return row

    def contact(self, org: Organization | None = None, name: str = "Mariana Souza") -> Contact:
        row = Contact(
            name=name,
            email=f"contato{next(_n)}@loja.test",
            organization_id=org.id if org is not None else None,
        )
        self.db.add(row)
        self.db.flush()
        return row

    def user(
        self, role: str = "agent", *, queues: tuple[Queue, ...] = (), name: str | None = None
    ) -> User:
        n = next(_n)
        row = User(
            name=name or f"Pessoa {n} Silva", email=f"{role}{n}@solis.test", role=role, active=True
        )
        self.db.add(row)
        self.db.flush()
        for q in queues:
            self.db.add(QueueMember(queue_id=q.id, user_id=row.id))
        self.db.flush()
        return row

    def calendar(self, weekly: dict[str, Any] | None = None, name: str | None = None) -> Calendar:
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        hours = weekly or {d: ([["08:00", "18:00"]] if i < 5 else []) for i, d in enumerate(days)}
        row = Calendar(
            name=name or f"Cal {next(_n)}",
            timezone="America/Sao_Paulo",
            weekly_hours=hours,
            holidays=None,
            extra_closed=[],
            partial_days={},
            open_on_holidays=False,
        )
        self.db.add(row)
        self.db.flush()
        return row

    def rule(self, **data: Any) -> Rule:
        body = {"name": f"Regra {next(_n)}", **data}
        return rules_service.create_rule(self.db, actor=ADMIN, data=body, now=T0)

    def canned(self, body: str, name: str | None = None) -> int:
        row = rules_service.create_canned_reply(
            self.db,
            actor=ADMIN,
            data={"name": name or f"Resposta {next(_n)}", "body": body},
            now=T0,
        )
        return row.id

    def ticket(self, *, now: datetime = T0, actor: Actor = ADMIN, **fields: Any) -> Ticket:
        data = {"subject": "Impressora fiscal não imprime", "body": "Desde ontem.", **fields}
        made = ticket_workflows.create_ticket(self.db, actor=actor, data=TicketIn(**data), now=now)
        return made.ticket

    def update(
        self, ticket: Ticket, now: datetime = T0, actor: Actor = ADMIN, **changes: Any
    ) -> Ticket:
        return ticket_workflows.update_ticket(
            self.db, actor=actor, ticket_id=ticket.id, changes=changes, now=now
        ).ticket

    def contact_says(self, ticket: Ticket, body: str, now: datetime = T0) -> Message:
        return ticket_workflows.add_message(
            self.db,
            actor=ADMIN,
            ticket_id=ticket.id,
            body=body,
            public=True,
            now=now,
            author="contact",
        )

    def events(self, ticket: Ticket, *kinds: str) -> list[TicketEvent]:
        stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        if kinds:
            stmt = stmt.where(TicketEvent.kind.in_(kinds))
        return list(self.db.scalars(stmt.order_by(TicketEvent.created_at, TicketEvent.position)))

    def messages(self, ticket: Ticket) -> list[Message]:
        return list(
            self.db.scalars(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.position)
            )
        )

    def tags(self, ticket: Ticket) -> list[str]:
        return ticket_service.tags_of(self.db, [ticket])[ticket.id]

    def jobs(self, kind: str | None = None) -> list[Job]:
        stmt = select(Job).order_by(Job.id)
        if kind is not None:
            stmt = stmt.where(Job.kind == kind)
        return list(self.db.scalars(stmt))


@pytest.fixture
def world(db: Session) -> World:
    return World(db)


def run_rules(db: Session, ticket: Ticket, event: str, now: datetime) -> None:
    """Run the rules of ``event`` on ``ticket`` directly, as the settle loop does."""
    settle = Settler(db, now=now)
    engine.run(db, ticket=ticket, event=event, now=now, cascade=settle.cascade, settle=settle)
