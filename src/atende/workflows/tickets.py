"""Ticket use cases as the edges call them: a tickets command, then the settle loop.

Each function runs one command of the tickets area (which changes the ticket, writes its
timeline and returns what it changed) and settles the changes (SLA clocks, escalation,
auto-close, rules, routing) before returning. One transaction; the edge commits. A use case that
answers with a ticket returns it ``Settled``: with what the settle knows of it (its tags, its
SLA clocks), so the answer need not read them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.channels import messaging_out
from atende.tickets.commands import change, create, links, retention, review
from atende.tickets.commands import message as messages
from atende.tickets.models import Message
from atende.tickets.schemas import NonClientIn, RequesterIn, TicketIn
from atende.workflows.settle import Settled, settle


def create_ticket(session: Session, *, actor: Actor, data: TicketIn, now: datetime) -> Settled:
    ticket, changes = create.create_ticket(session, actor=actor, data=data, now=now)
    return settle(session, changes, now=now).settled(ticket)


def add_message(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    public: bool,
    now: datetime,
    author: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> Message:
    message, changes = messages.add_message(
        session, actor=actor, ticket_id=ticket_id, body=body, public=public, now=now,
        author=author, attachment_ids=attachment_ids,
    )  # fmt: skip
    messaging_out.refuse_outside_window(session, changes, now=now)
    settle(session, changes, now=now)
    return message


def update_ticket(
    session: Session, *, actor: Actor, ticket_id: int, changes: dict[str, Any], now: datetime
) -> Settled:
    ticket, changed = change.update_ticket(
        session, actor=actor, ticket_id=ticket_id, changes=changes, now=now
    )
    return settle(session, changed, now=now).settled(ticket)


def transfer(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    queue_id: int,
    reason: str,
    now: datetime,
    assignee_id: int | None = None,
    retention_attempt: tuple[str, str] | None = None,
) -> Settled:
    ticket, changes = change.transfer(
        session, actor=actor, ticket_id=ticket_id, queue_id=queue_id, reason=reason, now=now,
        assignee_id=assignee_id, retention_attempt=retention_attempt,
    )  # fmt: skip
    return settle(session, changes, now=now).settled(ticket)


def record_retention(
    session: Session, *, actor: Actor, ticket_id: int, offer: str, outcome: str, now: datetime
) -> Settled:
    ticket, changes = retention.record(
        session, actor=actor, ticket_id=ticket_id, offer=offer, outcome=outcome, now=now
    )
    return settle(session, changes, now=now).settled(ticket)


def assign(
    session: Session, *, actor: Actor, ticket_id: int, assignee_id: int | None, now: datetime
) -> Settled:
    ticket, changes = change.assign(
        session, actor=actor, ticket_id=ticket_id, assignee_id=assignee_id, now=now
    )
    return settle(session, changes, now=now).settled(ticket)


def split_ticket(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    message_ids: Sequence[int],
    subject: str,
    now: datetime,
) -> Settled:
    new, changes = links.split_ticket(
        session, actor=actor, ticket_id=ticket_id, message_ids=message_ids, subject=subject,
        now=now,
    )  # fmt: skip
    return settle(session, changes, now=now).settled(new)


def merge_ticket(
    session: Session, *, actor: Actor, ticket_id: int, into_ticket_id: int, now: datetime
) -> Settled:
    target, changes = links.merge_ticket(
        session, actor=actor, ticket_id=ticket_id, into_ticket_id=into_ticket_id, now=now
    )
    return settle(session, changes, now=now).settled(target)


def follow_up(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    now: datetime,
    subject: str | None = None,
) -> Settled:
    new, changes = links.follow_up(
        session, actor=actor, ticket_id=ticket_id, body=body, now=now, subject=subject
    )
    return settle(session, changes, now=now).settled(new)


def review_on_call(
    session: Session, *, actor: Actor, ticket_id: int, reviewed: bool, now: datetime
) -> Settled:
    """A supervisor marks an on-call ticket reviewed, or takes the mark back."""
    ticket, changed = review.review_on_call(
        session, actor=actor, ticket_id=ticket_id, reviewed=reviewed, now=now
    )
    return settle(session, changed, now=now).settled(ticket)


NON_CLIENT_TAG = "nao-cliente"
PURPOSE_LABELS = {"comercial": "comercial", "suporte": "suporte", "outro": "outro assunto"}


def non_client_ticket(data: NonClientIn) -> TicketIn:
    """The ticket of a non-client's request (seed 002 item 30): the fields are kept as the
    ticket's custom fields (``nao_cliente``, ``segmento``, ``solicitacao``), so that rules
    route it to the team that serves it (the playbook: comercial to Clientes)."""
    first_line = data.request.strip().splitlines()[0]
    subject = f"Não cliente ({data.segment}, {PURPOSE_LABELS[data.purpose]}): {first_line}"
    body = (
        f"{data.request.strip()}\n\n"
        f"Nome: {data.name}\nTelefone: {data.phone}\nE-mail: {data.email}\n"
        f"Segmento: {data.segment}\nSolicitação: {PURPOSE_LABELS[data.purpose]}"
    )
    return TicketIn(
        subject=subject[:200],
        body=body,
        channel=data.channel,
        requester=RequesterIn(name=data.name, email=data.email, phone=data.phone),
        tags=[NON_CLIENT_TAG, data.purpose],
        custom_fields={
            "nao_cliente": True,
            "segmento": data.segment,
            "solicitacao": data.purpose,
        },
    )


def intake_non_client(
    session: Session, *, actor: Actor, data: NonClientIn, now: datetime
) -> Settled:
    """A non-client's request taken by an agent: a ticket, routed by the rules (else triage)."""
    return create_ticket(session, actor=actor, data=non_client_ticket(data), now=now)
