"""The queries of the HTML pages: names of the people and queues a page shows, in one query per
kind for a whole page (never one per row), and the console's inbox (its views, their counts in
one statement, a keyset page). Access to tickets is the tickets area's
(``tickets.repository.readable_tickets``): every view is a condition on what the visitor may
read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from atende.agents.models import User
from atende.auth.actor import SYSTEM as _SYSTEM
from atende.auth.actor import Actor
from atende.customers.models import Contact, Organization, Plan
from atende.db.base import UTCDateTime
from atende.queues.models import Queue
from atende.sla.models import TicketSlaTarget
from atende.tickets.models import Ticket, TicketFollower, TicketTag
from atende.tickets.repository import readable_tickets


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({v for v in values if v is not None})


def contact_names(session: Session, contact_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(contact_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.name, Contact.email).where(Contact.id.in_(ids))
    )
    return {cid: name or email or f"#{cid}" for cid, name, email in rows}


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(user_ids)
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: name or email for uid, name, email in rows}


def queue_names(session: Session, queue_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(queue_ids)
    if not ids:
        return {}
    rows = session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(ids)))
    return {key: name for key, name in rows}


def organization_names(session: Session, organization_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(organization_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {key: name for key, name in rows}


# --- the console's inbox --------------------------------------------------------------------

UNRESOLVED = ("new", "open", "pending_customer", "pending_internal", "scheduled")
VIEWS = (
    "all",
    "mine",
    "queues",
    "unassigned",
    "breaching",
    "breached",
    "waiting",
    "internal",
    "following",
    "elsewhere",
    "on_call",
)
SUPERVISOR_VIEWS = frozenset({"on_call"})  # the weekly on-call review is the supervisors'


@dataclass(frozen=True)
class InboxFilters:
    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    channel: Sequence[str] = ()
    queue_id: int | None = None
    tag: str | None = None
    q: str | None = None


def unresolved_condition() -> Any:
    """``status IN (the unresolved statuses)`` written with the values in the SQL (not bound),
    so that both databases read the partial index ``ix_tickets_unresolved`` (migration 0032):
    the open work is a small, recent part of a table of a million tickets."""
    values: BindParameter[list[str]] = bindparam(
        "unresolved", list(UNRESOLVED), literal_execute=True, unique=True
    )
    return Ticket.status.in_(values)


def view_condition(view: str, actor: Actor, *, now: datetime, on_call_since: datetime) -> Any:
    """Which readable tickets a view holds (``all``: every one)."""
    unresolved = unresolved_condition()
    if view == "mine":
        return and_(unresolved, Ticket.assignee_id == (actor.user_id or 0))
    if view == "queues":
        if not actor.queue_ids:
            return false()
        return and_(unresolved, Ticket.queue_id.in_(sorted(actor.queue_ids)))
    if view == "unassigned":
        return and_(unresolved, Ticket.assignee_id.is_(None))
    if view == "breaching":
        # read from the clocks' side (ix_ticket_sla_targets_state_warning): few clocks are past
        # their warning at a time, however many tickets there are
        return and_(
            unresolved,
            Ticket.id.in_(
                select(TicketSlaTarget.ticket_id).where(
                    TicketSlaTarget.state == "running",
                    TicketSlaTarget.warning_at <= now,
                    TicketSlaTarget.due_at > now,
                )
            ),
        )
    if view == "breached":
        return and_(
            unresolved,
            Ticket.id.in_(
                select(TicketSlaTarget.ticket_id).where(
                    or_(
                        and_(TicketSlaTarget.state == "breached", TicketSlaTarget.met_at.is_(None)),
                        and_(TicketSlaTarget.state == "running", TicketSlaTarget.due_at <= now),
                    )
                )
            ),
        )
    if view == "waiting":
        return Ticket.status == "pending_customer"
    if view == "internal":
        return Ticket.status == "pending_internal"
    if view == "elsewhere":
        # seed 001: what I handled or sent on, still open in another department's hands
        mine = sorted(actor.queue_ids)
        away: Any = Ticket.queue_id.is_(None)
        if mine:
            away = away | Ticket.queue_id.not_in(mine)
        return and_(
            unresolved,
            away,
            Ticket.assignee_id.is_(None) | (Ticket.assignee_id != (actor.user_id or 0)),
            Ticket.id.in_(
                select(TicketFollower.ticket_id).where(
                    TicketFollower.user_id == (actor.user_id or 0)
                )
            ),
        )
    if view == "following":
        return and_(
            unresolved,
            Ticket.id.in_(
                select(TicketFollower.ticket_id).where(
                    TicketFollower.user_id == (actor.user_id or 0)
                )
            ),
        )
    if view == "on_call":
        return and_(Ticket.on_call.is_(True), Ticket.created_at >= on_call_since)
    return true()


COUNT_CAP = 1000  # a view's count stops here: the inbox shows "999+" (never a full scan)
# Views read from the SLA clocks' side: on PostgreSQL counted whole (the clocks past their
# warning, or owed after their due instant, are few), since a limit leads its planner to scan
# the open tickets for them instead of looking the few clocks' tickets up. SQLite looks them up
# either way, and stops at the cap.
CLOCK_VIEWS = frozenset({"breaching", "breached"})


def inbox_counts(
    session: Session, actor: Actor, views: Sequence[str], *, now: datetime, on_call_since: datetime
) -> dict[str, int]:
    """How many readable tickets each view holds, up to ``COUNT_CAP`` (then ``COUNT_CAP``), in
    one statement: each view's tickets are counted through its own index and the count stops at
    the cap, so the cost does not grow with the table (a million tickets, "All tickets")."""
    columns = []
    whole = CLOCK_VIEWS if session.get_bind().dialect.name == "postgresql" else frozenset()
    for v in views:
        ids = (
            readable_tickets(actor)
            .with_only_columns(Ticket.id)
            .where(view_condition(v, actor, now=now, on_call_since=on_call_since))
        )
        bounded = (ids if v in whole else ids.limit(COUNT_CAP)).subquery()
        columns.append(select(func.count()).select_from(bounded).scalar_subquery().label(v))
    row = session.execute(select(*columns)).one()
    return {v: int(row[i] or 0) for i, v in enumerate(views)}


def _filter_conditions(filters: InboxFilters) -> list[Any]:
    f = filters
    out: list[Any] = []
    if f.status:
        out.append(Ticket.status.in_(list(f.status)))
    if f.priority:
        out.append(Ticket.priority.in_(list(f.priority)))
    if f.channel:
        out.append(Ticket.channel.in_(list(f.channel)))
    if f.queue_id is not None:
        out.append(Ticket.queue_id == f.queue_id)
    if f.tag:
        out.append(exists().where(TicketTag.ticket_id == Ticket.id, TicketTag.tag == f.tag.lower()))
    if f.q:
        text = f.q.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        match: Any = Ticket.subject.ilike(f"%{escaped}%", escape="\\")
        digits = text.removeprefix("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            match = or_(match, Ticket.id == int(digits))
        out.append(match)
    return out


SORTS = ("sla", "created", "updated")


def inbox_page(
    session: Session,
    actor: Actor,
    *,
    view: str,
    filters: InboxFilters,
    sort: str,
    after: tuple[datetime | None, int] | None,
    limit: int,
    now: datetime,
    on_call_since: datetime,
) -> Sequence[Ticket]:
    """One keyset page of a view. ``sla``: the nearest SLA due first (``sla_due_at``; tickets
    without a running clock after, oldest first); ``created`` / ``updated``: newest first.
    ``after``: the previous page's last (sort value, id)."""
    conditions = [
        view_condition(view, actor, now=now, on_call_since=on_call_since),
        *_filter_conditions(filters),
    ]
    base = readable_tickets(actor).where(*conditions)
    if sort == "sla":
        return _by_sla_due(session, base, after, limit)
    column = Ticket.updated_at if sort == "updated" else Ticket.created_at
    if after is not None and after[0] is not None:
        base = base.where(tuple_(column, Ticket.id) < tuple_(after[0], after[1]))
    stmt = base.order_by(column.desc(), Ticket.id.desc()).limit(limit)
    return session.scalars(stmt).all()


def _by_sla_due(
    session: Session, base: Any, after: tuple[datetime | None, int] | None, limit: int
) -> list[Ticket]:
    """The tickets with a running clock by due instant, then those without one by number: two
    ordered index reads (``ix_tickets_sla_due``, the primary key) rather than one sort of every
    matching ticket; the second only when the first leaves the page short."""
    due = Ticket.sla_due_at
    found: list[Ticket] = []
    if after is None or after[0] is not None:
        first = base.where(due.is_not(None))
        if after is not None:
            first = first.where(tuple_(due, Ticket.id) > tuple_(after[0], after[1]))
        found = list(session.scalars(first.order_by(due.asc(), Ticket.id.asc()).limit(limit)))
    if len(found) < limit:
        rest = base.where(due.is_(None))
        if after is not None and after[0] is None:
            rest = rest.where(Ticket.id > after[1])
        found += session.scalars(rest.order_by(Ticket.id.asc()).limit(limit - len(found)))
    return found


def staff_choices(session: Session) -> list[tuple[int, str]]:
    """Active staff, by name: whom a ticket may be assigned to."""
    rows = session.execute(
        select(User.id, User.name, User.email)
        .where(User.active.is_(True), User.role.in_(("admin", "supervisor", "agent")))
        .order_by(User.name, User.id)
    )
    return [(uid, name or email) for uid, name, email in rows]


def ticket_subjects(session: Session, ticket_ids: Iterable[int | None]) -> dict[int, str]:
    ids = _ids(ticket_ids)
    if not ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.subject).where(Ticket.id.in_(ids)))
    return {tid: subject for tid, subject in rows}


def queue_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(select(Queue.id, Queue.name).order_by(Queue.name, Queue.id))
    return [(qid, name) for qid, name in rows]


# --- the ticket page's customer panel ---------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """The requester and their organization (with its plan), as the panel shows them."""

    contact: Contact | None
    organization: Organization | None
    plan_name: str | None
    plan: Plan | None = None


def customer_of(session: Session, ticket: Ticket) -> Customer:
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    org_id = ticket.organization_id or (contact.organization_id if contact else None)
    if org_id is None:
        return Customer(contact, None, None)
    row = session.execute(
        select(Organization, Plan)
        .outerjoin(Plan, Plan.id == Organization.plan_id)
        .where(Organization.id == org_id)
    ).one_or_none()
    if row is None:
        return Customer(contact, None, None)
    plan = row[1]
    return Customer(contact, row[0], plan.name if plan is not None else None, plan)


def recent_tickets(
    session: Session,
    actor: Actor,
    *,
    requester_id: int | None,
    organization_id: int | None,
    exclude: int,
    limit: int,
) -> tuple[list[Ticket], list[Ticket]]:
    """The newest readable tickets of the requester, and of the organization (other
    requesters'), besides ``exclude``: two short lists in one statement."""
    if requester_id is None and organization_id is None:
        return [], []
    parts = []
    if requester_id is not None:
        parts.append(
            readable_tickets(actor)
            .where(Ticket.requester_id == requester_id, Ticket.id != exclude)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
            .with_only_columns(Ticket.id)
            .subquery()
        )
    if organization_id is not None:
        others = Ticket.requester_id != requester_id if requester_id is not None else true()
        parts.append(
            readable_tickets(actor)
            .where(
                Ticket.organization_id == organization_id,
                Ticket.id != exclude,
                or_(others, Ticket.requester_id.is_(None)),
            )
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
            .with_only_columns(Ticket.id)
            .subquery()
        )
    ids = union_all(*[select(p.c.id) for p in parts]).subquery()
    rows = session.scalars(
        select(Ticket)
        .where(Ticket.id.in_(select(ids.c.id)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    ).all()
    mine = [t for t in rows if requester_id is not None and t.requester_id == requester_id]
    theirs = [t for t in rows if t not in mine]
    return mine[:limit], theirs[:limit]


# --- the supervisor board ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFigures:
    """One queue's line as the board shows it."""

    queue_id: int
    name: str
    unresolved: int
    waiting: int  # unresolved and nobody assigned
    oldest_waiting_since: datetime | None
    breaching: int  # an SLA warning reached, not yet due
    breached: int


def queue_figures(session: Session, *, now: datetime) -> list[QueueFigures]:
    """Every queue's unresolved tickets, those waiting for someone (and since when the oldest
    waits), and those at SLA risk or breached: one grouped query over the open tickets."""
    unresolved = unresolved_condition()
    unassigned = and_(unresolved, Ticket.assignee_id.is_(None))
    breaching = view_condition("breaching", _SYSTEM, now=now, on_call_since=now)
    breached = view_condition("breached", _SYSTEM, now=now, on_call_since=now)

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = (
        select(
            Ticket.queue_id,
            counted(unresolved),
            counted(unassigned),
            func.min(case((unassigned, Ticket.created_at)), type_=UTCDateTime()),
            counted(breaching),
            counted(breached),
        )
        .where(unresolved, Ticket.queue_id.is_not(None))
        .group_by(Ticket.queue_id)
    )
    rows = {row[0]: row for row in session.execute(stmt)}
    queues = session.execute(select(Queue.id, Queue.name).order_by(Queue.name, Queue.id))
    out = []
    for qid, name in queues:
        row = rows.get(qid)
        if row is None:
            out.append(QueueFigures(qid, name, 0, 0, None, 0, 0))
        else:
            out.append(
                QueueFigures(qid, name, int(row[1]), int(row[2]), row[3], int(row[4]), int(row[5]))
            )
    return out
