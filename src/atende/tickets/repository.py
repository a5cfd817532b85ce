"""Every query of the tickets area. Access goes through ``readable_tickets`` / ``get_readable``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Select,
    and_,
    column,
    delete,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from atende.agents.models import User
from atende.attachments.models import Attachment
from atende.auth.actor import Actor
from atende.customers.models import Contact, Organization, Plan
from atende.queues.models import Queue
from atende.tickets import text_index
from atende.tickets.models import (
    Message,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketTag,
    TicketType,
)

# --- access -------------------------------------------------------------------------------


def readable_tickets(actor: Actor) -> Select[Ticket]:
    """The tickets ``actor`` may see.

    admin, supervisor, system: all; agent: tickets of the queues they belong to plus those
    assigned to them or that they follow (e.g. one they transferred to another department);
    contact: their organization's tickets, or their own without one.
    """
    stmt = select(Ticket)
    if actor.sees_all_tickets:
        return stmt
    if actor.role == "agent":
        if actor.user_id is None:
            return stmt.where(false())
        mine = or_(Ticket.assignee_id == actor.user_id, _followed(actor.user_id))
        if actor.queue_ids:
            return stmt.where(or_(Ticket.queue_id.in_(sorted(actor.queue_ids)), mine))
        return stmt.where(mine)
    if actor.is_contact:
        if actor.organization_id is not None:
            return stmt.where(Ticket.organization_id == actor.organization_id)
        if actor.contact_id is not None:
            return stmt.where(Ticket.requester_id == actor.contact_id)
    return stmt.where(false())


def get_readable(
    session: Session, actor: Actor, ticket_id: int, *, for_update: bool = False
) -> Ticket | None:
    """The ticket if it exists and ``actor`` may see it; locked for the transaction on request."""
    stmt = readable_tickets(actor).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update(of=Ticket)
    return session.scalar(stmt)


def ticket_by_id(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
    """No access check: for following links the caller has already been allowed to follow."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilters:
    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    channel: Sequence[str] = ()
    queue_id: int | None = None
    assignee_id: int | None = None
    organization_id: int | None = None
    requester_id: int | None = None
    followed_by: int | None = None
    type: str | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    on_call: bool | None = None
    reviewed: bool | None = None  # the on-call review mark


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# A text held by at least COMMON_HITS of the COMMON_SAMPLE newest tickets is common: the walk
# finds a page at once, and counting its holders through the trigram indexes would not be cheap
# (a word in every message makes the index read every entry).
COMMON_SAMPLE = 500
COMMON_HITS = 5


def _common_among_newest(session: Session, match: Any) -> bool:
    newest = (
        select(Ticket.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(COMMON_SAMPLE)
        .subquery()
    )
    hits = select(Ticket.id).where(Ticket.id.in_(select(newest.c.id)), match).limit(COMMON_HITS)
    found = session.scalar(select(func.count()).select_from(hits.subquery())) or 0
    return found >= COMMON_HITS


# Up to this many tickets whose subject or messages contain the text, a list with ``q=`` is
# read from them (found through PostgreSQL's trigram indexes) and sorted; beyond it, the text
# is common enough that walking the list's own order finds a page within a few thousand rows.
RARE_TEXT_LIMIT = 5000


def _text_match(session: Session, actor: Actor, q: str) -> Any:
    """The condition of ``q=``: the text in the subject or in a message (public ones only for
    a contact).

    The plain form walks the list's order and tests each ticket: quick for a common text, a
    scan of the whole table for a rare one. On PostgreSQL the trigram indexes (migration 0008)
    find every ticket holding the text; when there are at most `RARE_TEXT_LIMIT` of them the
    list is read from those. A text common among the newest tickets walks without counting;
    trigrams need three characters, so shorter texts walk too. Every way gives the same list.
    """
    like = _like(q)
    subject_has = Ticket.subject.ilike(like, escape="\\")
    body_has: ColumnElement[bool] = Message.body_text.ilike(like, escape="\\")
    if actor.is_contact:
        body_has = and_(body_has, Message.public.is_(True))
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        plain = or_(subject_has, exists().where(Message.ticket_id == Ticket.id, body_has))
        return _sqlite_text_match(session, q, plain)
    if dialect != "postgresql":
        return or_(subject_has, exists().where(Message.ticket_id == Ticket.id, body_has))
    # OFFSET 0 keeps PostgreSQL probing each ticket's messages by its index as the walk goes;
    # without it the planner hashes every message holding the text first (a scan of them all).
    probe = select(Message.id).where(Message.ticket_id == Ticket.id, body_has).offset(0)
    walk = or_(subject_has, probe.exists())
    if len(q.strip()) < 3 or _common_among_newest(session, walk):
        return walk
    holders = union_all(
        select(Ticket.id.label("ticket_id")).where(subject_has),
        select(Message.ticket_id.label("ticket_id")).where(body_has),
    ).subquery()
    return walk if _too_many(session, holders) else Ticket.id.in_(select(holders.c.ticket_id))


_TICKETS_TEXT = table("tickets_text", column("rowid"))
_MESSAGES_TEXT = table("messages_text", column("rowid"))


def _sqlite_text_match(session: Session, q: str, walk: Any) -> Any:
    """SQLite's form of `_text_match`, through the trigram full-text indexes of migration
    0010: the tickets whose subject or messages may hold the text (a phrase of its trigrams,
    any case), and every ticket or message not indexed yet (above the watermarks of
    tickets/text_index.py); the plain condition ``walk`` then decides for each. The same
    choices as on PostgreSQL: a text common among the newest tickets, or shorter than a
    trigram, walks the list, and so does one with too many candidates (or a backlog of rows
    to index, when no worker runs)."""
    if len(q.strip()) < 3 or _common_among_newest(session, walk):
        return walk
    marks = text_index.watermarks(session)
    phrase = '"' + q.replace('"', '""') + '"'
    candidates = union_all(
        select(_TICKETS_TEXT.c.rowid.label("ticket_id")).where(
            literal_column("tickets_text").op("MATCH")(phrase)
        ),
        select(Message.ticket_id.label("ticket_id")).where(
            Message.id.in_(
                select(_MESSAGES_TEXT.c.rowid).where(
                    literal_column("messages_text").op("MATCH")(phrase)
                )
            )
        ),
        select(Ticket.id.label("ticket_id")).where(Ticket.id > marks["tickets"]),
        select(Message.ticket_id.label("ticket_id")).where(Message.id > marks["messages"]),
    ).subquery()
    if _too_many(session, candidates):
        return walk
    return and_(Ticket.id.in_(select(candidates.c.ticket_id)), walk)


def _too_many(session: Session, tickets: Any) -> bool:
    """Whether more than `RARE_TEXT_LIMIT` rows hold the text (counted no further)."""
    counted = select(tickets.c.ticket_id).limit(RARE_TEXT_LIMIT + 1).subquery()
    return (session.scalar(select(func.count()).select_from(counted)) or 0) > RARE_TEXT_LIMIT


def ticket_page(
    session: Session,
    actor: Actor,
    *,
    filters: TicketFilters,
    sort_field: str,
    descending: bool,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Ticket]:
    """One keyset page: ``limit`` tickets after the (sort value, id) of the previous page's last.

    Never counts and never reads past the page: each equality filter has a composite index
    ``(column, created_at, id)`` that serves both the filter and the order.
    """
    f = filters
    conditions: list[Any] = []
    if f.status:
        conditions.append(Ticket.status.in_(list(f.status)))
    if f.priority:
        conditions.append(Ticket.priority.in_(list(f.priority)))
    if f.channel:
        conditions.append(Ticket.channel.in_(list(f.channel)))
    if f.queue_id is not None:
        conditions.append(Ticket.queue_id == f.queue_id)
    if f.assignee_id is not None:
        conditions.append(Ticket.assignee_id == f.assignee_id)
    if f.organization_id is not None:
        conditions.append(Ticket.organization_id == f.organization_id)
    if f.requester_id is not None:
        conditions.append(Ticket.requester_id == f.requester_id)
    if f.followed_by is not None:
        conditions.append(_followed(f.followed_by))
    if f.type is not None:
        conditions.append(Ticket.type == f.type)
    if f.created_from is not None:
        conditions.append(Ticket.created_at >= f.created_from)
    if f.created_to is not None:
        conditions.append(Ticket.created_at < f.created_to)
    if f.on_call is not None:
        conditions.append(Ticket.on_call.is_(f.on_call))
    if f.reviewed is not None:
        reviewed_at = Ticket.on_call_reviewed_at
        conditions.append(reviewed_at.is_not(None) if f.reviewed else reviewed_at.is_(None))
    # A tag list in creation order is driven from ticket_tags' (tag, created_at, ticket_id)
    # index; in another order the tag is a plain filter.
    by_tag = f.tag is not None and sort_field != "updated_at"
    if f.tag is not None and not by_tag:
        conditions.append(
            exists().where(TicketTag.ticket_id == Ticket.id, TicketTag.tag == f.tag.lower())
        )
    if f.q:
        conditions.append(_text_match(session, actor, f.q))
    column: Any = Ticket.updated_at if sort_field == "updated_at" else Ticket.created_at
    ident: Any = Ticket.id
    if by_tag:
        column, ident = TicketTag.created_at, TicketTag.ticket_id
    key = tuple_(column, ident)
    if after is not None:
        conditions.append(key < tuple_(*after) if descending else key > tuple_(*after))
    order = (column.desc(), ident.desc()) if descending else (column.asc(), ident.asc())

    def scoped(stmt: Any) -> Any:
        if by_tag:
            assert f.tag is not None
            on = (TicketTag.ticket_id == Ticket.id) & (TicketTag.tag == f.tag.lower())
            return stmt.join(TicketTag, on)
        return stmt

    branches = _agent_branches(actor)
    if branches is None:
        stmt = scoped(readable_tickets(actor)).where(*conditions).order_by(*order).limit(limit)
        return session.scalars(stmt).all()
    # An agent sees "my queues OR assigned to me". Planners (SQLite's above all) answer an OR
    # by reading and sorting every matching row; one top-N per branch, each served by its
    # (column, created_at, id) index, then merged, costs the same at any table size.
    parts = [
        scoped(select(Ticket.id, column.label("sort_key")))
        .where(branch, *conditions)
        .order_by(*order)
        .limit(limit)
        .subquery()
        for branch in branches
    ]
    merged = union(*[select(p.c.id, p.c.sort_key) for p in parts]).subquery()
    by_key = (
        (merged.c.sort_key.desc(), merged.c.id.desc())
        if descending
        else (
            merged.c.sort_key.asc(),
            merged.c.id.asc(),
        )
    )
    stmt = select(Ticket).join(merged, merged.c.id == Ticket.id).order_by(*by_key).limit(limit)
    return session.scalars(stmt).all()


def forwarded(
    session: Session, actor: Actor, *, after: tuple[datetime, int] | None, limit: int
) -> Sequence[tuple[Ticket, TicketFollower]]:
    """The open tickets ``actor`` follows that are with another department: in a queue that
    is not one of theirs (or none), and not assigned to them; oldest first, with the follow.
    Staff only; a follower may read what they follow (``readable_tickets``)."""
    assert actor.user_id is not None
    mine = sorted(actor.queue_ids)
    away: Any = Ticket.queue_id.is_(None)
    if mine:
        away = away | Ticket.queue_id.not_in(mine)
    conditions: list[Any] = [
        Ticket.status.not_in(("resolved", "closed")),
        Ticket.assignee_id.is_(None) | (Ticket.assignee_id != actor.user_id),
        away,
    ]
    if after is not None:
        conditions.append(tuple_(Ticket.created_at, Ticket.id) > tuple_(*after))
    stmt = (
        select(Ticket, TicketFollower)
        .join(
            TicketFollower,
            (TicketFollower.ticket_id == Ticket.id) & (TicketFollower.user_id == actor.user_id),
        )
        .where(*conditions)
        .order_by(Ticket.created_at.asc(), Ticket.id.asc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt).all()]


def _agent_branches(actor: Actor) -> list[Any] | None:
    """The OR branches of an agent's access, or None when access is a single condition."""
    if actor.role != "agent" or not actor.queue_ids or actor.user_id is None:
        return None
    branches: list[Any] = [Ticket.queue_id == q for q in sorted(actor.queue_ids)]
    branches.append(Ticket.assignee_id == actor.user_id)
    branches.append(_followed(actor.user_id))
    return branches


def _followed(user_id: int) -> Any:
    return Ticket.id.in_(select(TicketFollower.ticket_id).where(TicketFollower.user_id == user_id))


# --- tags ---------------------------------------------------------------------------------


def tags_by_ticket(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = sorted(set(ticket_ids))
    out: dict[int, list[str]] = {ticket_id: [] for ticket_id in ids}
    if not ids:
        return out
    rows = session.execute(
        select(TicketTag.ticket_id, TicketTag.tag)
        .where(TicketTag.ticket_id.in_(ids))
        .order_by(TicketTag.ticket_id, TicketTag.tag)
    )
    for ticket_id, tag in rows:
        out[ticket_id].append(tag)
    return out


def set_tags(
    session: Session, ticket: Ticket, tags: Iterable[str], *, new: bool = False
) -> tuple[str, ...]:
    """Replace the ticket's tags (``new``: it has none yet, nothing to delete); returns them as
    stored (sorted, once each)."""
    stored = tuple(sorted(set(tags)))
    if not new:
        session.execute(delete(TicketTag).where(TicketTag.ticket_id == ticket.id))
    session.add_all(
        TicketTag(ticket_id=ticket.id, tag=t, created_at=ticket.created_at) for t in stored
    )
    return stored


# --- timeline -----------------------------------------------------------------------------


def messages_of(
    session: Session, ticket_id: int, *, public_only: bool = False
) -> Sequence[Message]:
    stmt = select(Message).where(Message.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(Message.public.is_(True))
    return session.scalars(stmt.order_by(Message.position)).all()


def events_of(
    session: Session, ticket_id: int, *, public_only: bool = False
) -> Sequence[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketEvent.public.is_(True))
    return session.scalars(stmt.order_by(TicketEvent.position)).all()


def messages_by_ids(session: Session, message_ids: Iterable[int]) -> Sequence[Message]:
    ids = sorted(set(message_ids))
    if not ids:
        return []
    return session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id)).all()


def has_public_message_besides(
    session: Session, ticket_id: int, message_ids: Iterable[int]
) -> bool:
    """Whether the ticket has a public message (the customer's or a public reply) that is not
    one of ``message_ids``."""
    stmt = select(Message.id).where(
        Message.ticket_id == ticket_id,
        Message.public.is_(True),
        Message.id.not_in(sorted(set(message_ids))),
    )
    return session.scalar(stmt.limit(1)) is not None


def move_attachments(session: Session, message_ids: Sequence[int], ticket_id: int) -> None:
    """Attachments follow their messages to another ticket."""
    if message_ids:
        session.execute(
            update(Attachment)
            .where(Attachment.message_id.in_(list(message_ids)))
            .values(ticket_id=ticket_id)
        )


def attachments_for_message(
    session: Session, ticket_id: int, attachment_ids: Sequence[int], *, public_only: bool
) -> Sequence[Attachment]:
    """Attachments of this ticket not yet bound to a message, among ``attachment_ids``
    (only public ones with ``public_only``: what a contact may read)."""
    if not attachment_ids:
        return []
    stmt = select(Attachment).where(
        Attachment.id.in_(list(attachment_ids)),
        Attachment.ticket_id == ticket_id,
        Attachment.message_id.is_(None),
    )
    if public_only:
        stmt = stmt.where(Attachment.public.is_(True))
    return session.scalars(stmt).all()


def attachment_ids_by_message(session: Session, message_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = sorted(set(message_ids))
    out: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(Attachment.message_id, Attachment.id)
        .where(Attachment.message_id.in_(ids))
        .order_by(Attachment.id)
    )
    for message_id, attachment_id in rows:
        if message_id is not None:
            out[message_id].append(attachment_id)
    return out


# --- references ---------------------------------------------------------------------------


def staff_user(session: Session, user_id: int) -> User | None:
    """An active admin, supervisor or agent."""
    return session.scalar(
        select(User).where(
            User.id == user_id,
            User.active.is_(True),
            User.role.in_(("admin", "supervisor", "agent")),
        )
    )


def staff_user_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """``{id: name}`` of the staff users among ``user_ids`` (active or not)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.name).where(
            User.id.in_(ids), User.role.in_(("admin", "supervisor", "agent"))
        )
    )
    return {row[0]: row[1] for row in rows}


def queue(session: Session, queue_id: int) -> Queue | None:
    return session.get(Queue, queue_id)


def organization(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def contact(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def ticket_id_by_external_id(session: Session, external_id: str) -> int | None:
    return session.scalar(select(Ticket.id).where(Ticket.external_id == external_id))


# --- ticket types -------------------------------------------------------------------------


def ticket_types(session: Session) -> Sequence[TicketType]:
    return session.scalars(select(TicketType).order_by(TicketType.name)).all()


def ticket_type_by_name(session: Session, name: str) -> TicketType | None:
    return session.scalar(select(TicketType).where(TicketType.name == name))


def ticket_type(session: Session, type_id: int) -> TicketType | None:
    return session.get(TicketType, type_id)


def has_event(session: Session, ticket_id: int, kind: str) -> bool:
    stmt = select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind
    )
    return session.scalar(stmt.limit(1)) is not None


def facts_of(
    session: Session, ticket: Ticket, *, tags: Sequence[str] | None = None
) -> dict[str, Any]:
    """The related rows a condition may look at: tags (read unless given: the tags the caller
    just wrote), queue name, organization, contact."""
    if tags is not None:
        tags = list(tags)
    else:
        tags = list(
            session.scalars(
                select(TicketTag.tag)
                .where(TicketTag.ticket_id == ticket.id)
                .order_by(TicketTag.tag)
            )
        )
    queue, org, plan, contact = related_rows(session, ticket)
    queue_name = queue.name if queue is not None else None
    plan_name = plan.name if plan is not None else None
    return {"tags": tags, "queue": queue_name, "org": org, "plan": plan_name, "contact": contact}


_RELATED: Final = "_atende_related_rows"


def related_rows(session: Session, ticket: Ticket) -> tuple[Any, Any, Any, Any]:
    """The ticket's queue, organization, plan and requester, by primary key.

    The session's identity map holds rows weakly: a contact read when the ticket was created is
    gone by the time the SLA policy and then the rules look at the ticket's facts, and would be
    read again each time. The rows are kept with the ticket instance for the current transaction
    (and only while the ids they were read for are unchanged)."""
    transaction = session.get_transaction()
    key = (id(transaction), ticket.queue_id, ticket.organization_id, ticket.requester_id)
    kept = ticket.__dict__.get(_RELATED)
    if kept is not None and kept[0] == key:
        queue, org, plan, contact = kept[1]
        if org is None or (plan.id if plan is not None else None) == org.plan_id:
            return queue, org, plan, contact
    queue = session.get(Queue, ticket.queue_id) if ticket.queue_id is not None else None
    org = session.get(Organization, ticket.organization_id) if ticket.organization_id else None
    plan = session.get(Plan, org.plan_id) if org is not None and org.plan_id is not None else None
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id is not None else None
    ticket.__dict__[_RELATED] = (key, (queue, org, plan, contact))
    return queue, org, plan, contact
