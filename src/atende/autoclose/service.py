"""Auto-close (a reactor of the settle loop, and its sweep's steps).

A resolved ticket with no reply from the contact for N business hours closes
itself (N from its SLA policy, default 48, counted on the policy's calendar; without a policy,
real hours in the default timezone), with a notice to the contact. A contact reply first
reopens the ticket instead (the lifecycle rule), which clears the instant.

``tickets.auto_close_at`` holds the instant, indexed: the sweep reads only the tickets due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.calendars import service as calendar_service
from atende.db.base import utcnow
from atende.domain.businesstime import OutOfRange
from atende.domain.lifecycle import AUTO_CLOSE_HOURS
from atende.jobs import outbox, registry
from atende.jobs.registry import JobContext, handler
from atende.sla import repository as sla_repository
from atende.tickets import repository
from atende.tickets.commands import change
from atende.tickets.events import Settle
from atende.tickets.models import Ticket
from atende.tickets.timeline import clean_body, record_message

log = logging.getLogger("atende.autoclose")

AUTO_CLOSE_ACTOR = Actor(user_id=None, role="system", name="Auto-close")
SWEEP_LIMIT = 500
NOTICE = (
    "Este chamado foi encerrado automaticamente: ficou {hours} horas úteis resolvido sem nova "
    "resposta sua. Se ainda precisar de ajuda, é só responder: abriremos um novo atendimento."
)


def _policy_of(session: Session, ticket: Ticket) -> Any:
    row = sla_repository.ticket_sla(session, ticket.id)
    if row is None or row.policy_id is None:
        return None
    return sla_repository.policy(session, row.policy_id)


def hours_for(session: Session, ticket: Ticket) -> int:
    policy = _policy_of(session, ticket)
    return (policy.auto_close_business_hours if policy is not None else None) or AUTO_CLOSE_HOURS


def due_instant(session: Session, ticket: Ticket, resolved_at: datetime) -> datetime | None:
    policy = _policy_of(session, ticket)
    hours = hours_for(session, ticket)
    if policy is None:
        return resolved_at + timedelta(hours=hours)
    cal = calendar_service.business_calendar_by_id(session, policy.calendar_id)
    if cal is None:
        return resolved_at + timedelta(hours=hours)
    try:
        return cal.add_business_seconds(resolved_at, hours * 3600)
    except OutOfRange:
        return None


def schedule(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Keep ``auto_close_at`` in step with the status (called after every ticket change)."""
    if ticket.status != "resolved" or ticket.resolved_at is None:
        if ticket.auto_close_at is not None:
            ticket.auto_close_at = None
        return
    if ticket.auto_close_at is None:
        ticket.auto_close_at = due_instant(session, ticket, ticket.resolved_at)


def due_ticket_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Resolved tickets whose auto-close instant has come (the sweep's candidates)."""
    return list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.auto_close_at.is_not(None), Ticket.auto_close_at <= now)
            .order_by(Ticket.auto_close_at, Ticket.id)
            .limit(limit)
        )
    )


def close_if_due(session: Session, ticket_id: int, *, now: datetime, settle: Settle) -> bool:
    """Close the ticket when its auto-close instant has come (False: not due, or taken)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    ticket = session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id, Ticket.auto_close_at.is_not(None))
        .where(Ticket.auto_close_at <= now, Ticket.status == "resolved")
        .with_for_update(skip_locked=postgres)
    )
    if ticket is None:
        return False
    hours = hours_for(session, ticket)
    html, text = clean_body(NOTICE.format(hours=hours))
    record_message(
        session, ticket, author_kind="system", body_html=html, body_text=text, public=True,
        at=now, channel=ticket.channel,
    )  # fmt: skip
    _, changes = change.update_ticket(
        session,
        actor=AUTO_CLOSE_ACTOR,
        ticket_id=ticket.id,
        changes={
            "status": "closed",
            "reason": f"no reply from the contact for {hours} business hours after resolution",
        },
        now=now,
    )
    settle(changes)
    if ticket.requester_id is not None:
        outbox.enqueue(
            session,
            "tickets.contact_notice",
            idempotency_key=f"autoclose-notice:{ticket.id}",
            ticket_id=ticket.id,
            text=text,
            subject=f"Chamado #{ticket.number} encerrado: {ticket.subject}",
        )
    return True


@handler("tickets.contact_notice")
def contact_notice(ctx: JobContext, payload: dict[str, Any]) -> None:
    """E-mail a notice to the ticket's requester (skipped when SMTP or their e-mail is missing:
    the notice is on the ticket's public timeline either way)."""
    if not ctx.settings.smtp_host:
        return
    with ctx.transaction() as session:
        ticket = session.get(Ticket, int(payload["ticket_id"]))
        contact = (
            repository.contact(session, ticket.requester_id)
            if ticket is not None and ticket.requester_id is not None
            else None
        )
        if contact is None or not contact.email:
            return
        message = {
            "to": [contact.email],
            "subject": str(payload.get("subject", "")),
            "text": str(payload.get("text", "")),
        }
    send = registry.get("notify.email")
    if send is None:  # pragma: no cover - the notify package registers it
        raise RuntimeError("no e-mail delivery handler is registered")
    send(ctx, message)


BACKFILL_BATCH = 200


@handler("tickets.schedule_auto_close")
def schedule_missing(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Give resolved tickets that have no auto-close instant one (tickets resolved before
    auto-close existed, after an upgrade), in batches; the job re-enqueues itself."""
    after_id = int(payload.get("after_id", 0))
    with ctx.transaction() as session:
        ids = list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.id > after_id, Ticket.status == "resolved")
                .where(Ticket.auto_close_at.is_(None))
                .order_by(Ticket.id)
                .limit(BACKFILL_BATCH)
            )
        )
        now = utcnow()
        for ticket_id in ids:
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is not None:
                schedule(session, ticket, now=now)
        if len(ids) == BACKFILL_BATCH:
            outbox.enqueue(
                session,
                "tickets.schedule_auto_close",
                idempotency_key=f"{ctx.key}:after:{ids[-1]}",
                after_id=ids[-1],
            )
