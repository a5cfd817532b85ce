"""Every query of the rules area: rules, canned replies, firings, and what a rule run reads
about a ticket (names for templates, recipients, the calendar, time-based candidates)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.customers.models import Contact, Organization, Plan
from atende.queues.models import Queue, QueueMember
from atende.rules.models import CannedReply, Rule, RuleFiring
from atende.sla.models import SlaPolicy, TicketSla, TicketSlaTarget
from atende.tickets.models import Message, Ticket, TicketEvent

# -- rules -----------------------------------------------------------------------------------


def rules(session: Session) -> Sequence[Rule]:
    """Every rule in run order."""
    return session.scalars(select(Rule).order_by(Rule.position, Rule.id)).all()


def active_rules(session: Session, event: str | None = None) -> Sequence[Rule]:
    """The active rules (of ``event``) in run order (index ``(event, position, id)``)."""
    stmt = select(Rule).where(Rule.active.is_(True))
    if event is not None:
        stmt = stmt.where(Rule.event == event)
    return session.scalars(stmt.order_by(Rule.position, Rule.id)).all()


def rule(session: Session, rule_id: int) -> Rule | None:
    return session.get(Rule, rule_id)


def rule_by_name(session: Session, name: str) -> Rule | None:
    return session.scalar(select(Rule).where(func.lower(Rule.name) == name.lower()))


def last_position(session: Session) -> int | None:
    return session.scalar(select(func.max(Rule.position)))


# -- canned replies --------------------------------------------------------------------------


def canned_replies(session: Session) -> Sequence[CannedReply]:
    return session.scalars(select(CannedReply).order_by(CannedReply.name, CannedReply.id)).all()


def canned_reply(session: Session, reply_id: int) -> CannedReply | None:
    return session.get(CannedReply, reply_id)


def canned_reply_by_name(session: Session, name: str) -> CannedReply | None:
    return session.scalar(select(CannedReply).where(func.lower(CannedReply.name) == name.lower()))


def canned_reply_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(CannedReply.id, CannedReply.name).where(CannedReply.id.in_(wanted))
    )
    return {r[0]: r[1] for r in rows}


# -- names and people ------------------------------------------------------------------------


def queue_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    stmt = select(Queue.id, Queue.name)
    if ids is not None:
        wanted = set(ids)
        if not wanted:
            return {}
        stmt = stmt.where(Queue.id.in_(wanted))
    return {r[0]: r[1] for r in session.execute(stmt)}


def queue_id_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Queue.id).where(func.lower(Queue.name) == name.lower()))


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        r[0]: r[1] for r in session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    }


def active_staff_email(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(
        select(User.email).where(
            User.id == user_id,
            User.active.is_(True),
            User.role.in_(("admin", "supervisor", "agent")),
        )
    )


def supervisor_emails(session: Session, queue_id: int | None) -> list[str]:
    """The queue's supervisor members; with none (or no queue), every active supervisor."""
    base = select(User.email).where(User.role == "supervisor", User.active.is_(True))
    if queue_id is not None:
        found = list(
            session.scalars(
                base.join(QueueMember, QueueMember.user_id == User.id)
                .where(QueueMember.queue_id == queue_id)
                .order_by(User.id)
            )
        )
        if found:
            return found
    return list(session.scalars(base.order_by(User.id)))


def template_context(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The rows a template may name: requester, organization (and plan), queue, assignee."""
    out: dict[str, Any] = {
        "contact": None,
        "organization": None,
        "plan": None,
        "queue": None,
        "assignee": None,
    }
    if ticket.requester_id is not None:
        out["contact"] = session.get(Contact, ticket.requester_id)
    if ticket.organization_id is not None:
        row = session.execute(
            select(Organization.name, Plan.name)
            .outerjoin(Plan, Plan.id == Organization.plan_id)
            .where(Organization.id == ticket.organization_id)
        ).first()
        if row is not None:
            out["organization"], out["plan"] = row[0], row[1]
    if ticket.queue_id is not None:
        out["queue"] = session.scalar(select(Queue.name).where(Queue.id == ticket.queue_id))
    if ticket.assignee_id is not None:
        out["assignee"] = session.scalar(select(User.name).where(User.id == ticket.assignee_id))
    return out


# -- messages --------------------------------------------------------------------------------


def first_message(session: Session, ticket_id: int) -> Message | None:
    return session.scalar(
        select(Message).where(Message.ticket_id == ticket_id).order_by(Message.position).limit(1)
    )


def latest_message(session: Session, ticket_id: int, *, author_kind: str) -> Message | None:
    return session.scalar(
        select(Message)
        .where(
            Message.ticket_id == ticket_id,
            Message.author_kind == author_kind,
            Message.public.is_(True),
        )
        .order_by(Message.position.desc())
        .limit(1)
    )


def message_of_ticket(session: Session, ticket_id: int, message_id: int) -> Message | None:
    return session.scalar(
        select(Message).where(Message.id == message_id, Message.ticket_id == ticket_id)
    )


RULE_EVENT_KINDS = ("rule", "rule_failed", "rule_skipped", "rules_stopped")


def last_change_position(session: Session, ticket_id: int, *, not_by: str) -> int | None:
    """The timeline position of the ticket's latest change not made by the actor ``not_by``
    (rules' own summaries left out): what identifies one ``ticket_updated`` for a rule."""
    return session.scalar(
        select(func.max(TicketEvent.position)).where(
            TicketEvent.ticket_id == ticket_id,
            TicketEvent.kind.not_in(RULE_EVENT_KINDS),
            TicketEvent.actor_label != not_by,
        )
    )


# -- calendars -------------------------------------------------------------------------------


def ticket_policy_id(session: Session, ticket_id: int) -> int | None:
    """The SLA policy that applies to the ticket, if any (by primary key: usually no query)."""
    row = session.get(TicketSla, ticket_id)
    return row.policy_id if row is not None else None


def policy_calendar_ids(session: Session) -> Mapping[int, int]:
    """``policy id -> calendar id`` of every SLA policy (an immutable mapping: it is shared)."""
    rows = session.execute(select(SlaPolicy.id, SlaPolicy.calendar_id))
    return MappingProxyType({policy_id: calendar_id for policy_id, calendar_id in rows})


def latest_sla_signal(session: Session, ticket_id: int, event: str, now: datetime) -> str | None:
    """``kind:cycle`` of the target whose warning (``sla_warning``) or breach (``sla_breach``)
    came last, at or before ``now``: what identifies one SLA event of the ticket."""
    column = TicketSlaTarget.warning_at if event == "sla_warning" else TicketSlaTarget.breached_at
    stmt = select(TicketSlaTarget.kind, TicketSlaTarget.cycle).where(
        TicketSlaTarget.ticket_id == ticket_id, column.is_not(None), column <= now
    )
    if event == "sla_warning":
        stmt = stmt.where(TicketSlaTarget.warned.is_(True))
    row = session.execute(stmt.order_by(column.desc(), TicketSlaTarget.kind).limit(1)).first()
    return f"{row[0]}:{row[1]}" if row is not None else None


# -- time-based firings ----------------------------------------------------------------------


def fired_rule_ids(session: Session, ticket_id: int, status_changed_at: datetime) -> set[int]:
    """The time_based rules already decided for the ticket's status period."""
    return set(
        session.scalars(
            select(RuleFiring.rule_id).where(
                RuleFiring.ticket_id == ticket_id,
                RuleFiring.status_changed_at == status_changed_at,
            )
        )
    )


def time_candidates(
    session: Session,
    *,
    rule_id: int,
    status: str,
    changed_before: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[int, datetime]]:
    """Tickets in ``status`` since at least ``changed_before`` that this rule has not decided
    for their current period, in ``(status_changed_at, id)`` order after ``after`` (keyset).
    Reads the ``(status, status_changed_at, id)`` index."""
    stmt = (
        select(Ticket.id, Ticket.status_changed_at)
        .where(
            Ticket.status == status,
            Ticket.status_changed_at.is_not(None),
            Ticket.status_changed_at <= changed_before,
            ~exists().where(
                RuleFiring.rule_id == rule_id,
                RuleFiring.ticket_id == Ticket.id,
                RuleFiring.status_changed_at == Ticket.status_changed_at,
            ),
        )
        .order_by(Ticket.status_changed_at, Ticket.id)
        .limit(limit)
    )
    if after is not None:
        at, ident = after
        stmt = stmt.where(
            or_(
                Ticket.status_changed_at > at,
                and_(Ticket.status_changed_at == at, Ticket.id > ident),
            )
        )
    return [(r[0], r[1]) for r in session.execute(stmt) if r[1] is not None]


def lock_ticket(session: Session, ticket_id: int, *, skip_locked: bool) -> Ticket | None:
    return session.scalar(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update(skip_locked=skip_locked)
    )
