"""Routing and people use cases that change tickets, as the edges call them: presence, the
vacation handover, taking the next ticket, a queue's assignment mode, an organization's facts.
Each settles what it changed through the one settle loop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.agents.models import Absence, AgentPresence
from atende.auth.actor import Actor
from atende.customers import service as customer_service
from atende.customers.models import Organization
from atende.queues import service as queue_service
from atende.queues.models import Queue
from atende.routing import absences, presence
from atende.routing import service as routing_service
from atende.sla import clocks as sla_clocks
from atende.workflows.settle import Settled, Settler


def set_presence(
    session: Session,
    *,
    actor: Actor,
    status: str,
    reason: str | None,
    now: datetime,
    cause: str = "agent",
) -> AgentPresence:
    """The caller's new status: pausing or leaving sends their unanswered chats back to the
    front of the line; coming online hands out their auto-assign queues' waiting work."""
    return presence.set_presence(
        session, actor=actor, status=status, reason=reason, now=now, cause=cause,
        settle=Settler(session, now=now),
    )  # fmt: skip


def set_offline(session: Session, *, user_id: int, now: datetime, cause: str) -> bool:
    """The system sets an agent offline (logout): as if they did it."""
    return presence.set_offline(
        session, user_id=user_id, now=now, cause=cause, settle=Settler(session, now=now)
    )


def advance_absence(session: Session, *, absence_id: int, now: datetime) -> bool:
    """Start or end an absence whose time has come (the handover and the return)."""
    return absences.advance(
        session, absence_id=absence_id, now=now, settle=Settler(session, now=now)
    )


def cancel_absence(session: Session, *, actor: Actor, absence_id: int, now: datetime) -> Absence:
    """A scheduled absence is cancelled; an active one ends now (returning the tickets)."""
    return absences.cancel_absence(
        session, actor=actor, absence_id=absence_id, now=now, settle=Settler(session, now=now)
    )


def pull_next(session: Session, *, actor: Actor, queue_id: int, now: datetime) -> Settled | None:
    """The calling agent takes the next ticket of the queue's line (None: nothing waits)."""
    settle = Settler(session, now=now)
    ticket = routing_service.pull_next(
        session, actor=actor, queue_id=queue_id, now=now, settle=settle
    )
    return settle.settled(ticket) if ticket is not None else None


def update_queue(
    session: Session, *, actor: Actor, queue_id: int, changes: dict[str, Any], now: datetime
) -> Queue:
    """Change a queue; an automatic queue hands out its waiting line at once."""
    queue = queue_service.update_queue(session, actor=actor, queue_id=queue_id, changes=changes)
    if queue.assignment_mode != "manual":
        Settler(session, now=now).dispatch([queue.id])
    return queue


def update_organization(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    changes: dict[str, Any],
    today: date,
    now: datetime,
) -> Organization:
    """Change an organization; when the facts SLA policies match on changed, its open tickets
    are re-evaluated (the policy may change; business time already used is kept)."""
    org, facts_changed = customer_service.update_organization(
        session, actor=actor, org_id=org_id, changes=changes, today=today, now=now
    )
    if facts_changed:
        settle = Settler(session, now=now)
        for ticket in sla_clocks.open_tickets_of_organization(session, org.id):
            settle.refresh(ticket)
    return org
