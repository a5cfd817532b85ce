"""Every query of the chat area."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from atende.attachments.models import Attachment
from atende.chat.models import BotFlow, BotRun, Chat, ChatClientMessage, ChatVisitor, ChatWidget
from atende.customers.models import Contact, Organization, Plan
from atende.domain import lifecycle
from atende.queues.models import Queue, QueueMember
from atende.tickets.models import Message, Ticket

OPEN_STATUSES = tuple(sorted(lifecycle.ACTIVE_STATUSES))


# --- widgets ----------------------------------------------------------------------------------


def widgets(session: Session) -> Sequence[ChatWidget]:
    return session.scalars(select(ChatWidget).order_by(ChatWidget.id)).all()


def widget(session: Session, widget_id: int) -> ChatWidget | None:
    return session.get(ChatWidget, widget_id)


def widget_by_key(session: Session, key: str) -> ChatWidget | None:
    return session.scalar(select(ChatWidget).where(ChatWidget.key == key))


# --- visitors ---------------------------------------------------------------------------------


def visitor_by_token_hash(session: Session, token_hash: str) -> ChatVisitor | None:
    return session.scalar(select(ChatVisitor).where(ChatVisitor.token_hash == token_hash))


def visitor(session: Session, visitor_id: int) -> ChatVisitor | None:
    return session.get(ChatVisitor, visitor_id)


def contact(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def plan_of_contact(session: Session, contact_id: int) -> str | None:
    """The plan's name of the contact's organization, if any."""
    stmt = (
        select(Plan.name)
        .join(Organization, Organization.plan_id == Plan.id)
        .join(Contact, Contact.organization_id == Organization.id)
        .where(Contact.id == contact_id)
    )
    return session.scalar(stmt)


# --- chats ------------------------------------------------------------------------------------


def chat(session: Session, chat_id: int, *, for_update: bool = False) -> Chat | None:
    stmt = select(Chat).where(Chat.id == chat_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def chat_of_ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Chat | None:
    stmt = select(Chat).where(Chat.ticket_id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def last_chat_of_visitor(
    session: Session, visitor_id: int, *, for_update: bool = False
) -> Chat | None:
    stmt = (
        select(Chat)
        .where(Chat.visitor_id == visitor_id)
        .order_by(Chat.started_at.desc(), Chat.id.desc())
        .limit(1)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def open_tickets_of_contact(session: Session, contact_id: int, *, besides: int) -> list[int]:
    stmt = (
        select(Ticket.id)
        .where(
            Ticket.requester_id == contact_id,
            Ticket.id != besides,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.merged_into_id.is_(None),
        )
        .order_by(Ticket.id)
        .limit(50)
    )
    return list(session.scalars(stmt))


def chats_in(
    session: Session, states: Sequence[str], readable: Select[Ticket], *, limit: int = 200
) -> Sequence[tuple[Chat, Ticket]]:
    """Chats in ``states`` whose ticket the statement ``readable`` (the reader's tickets:
    ``tickets.repository.readable_tickets``) finds, oldest first."""
    ids = readable.with_only_columns(Ticket.id).scalar_subquery()
    stmt = (
        select(Chat, Ticket)
        .join(Ticket, Ticket.id == Chat.ticket_id)
        .where(Chat.state.in_(list(states)), Ticket.id.in_(ids))
        .order_by(Chat.started_at, Chat.id)
        .limit(limit)
    )
    return [(c, t) for c, t in session.execute(stmt).all()]


def idle_chats(session: Session, *, now: datetime, limit: int = 100) -> Sequence[int]:
    """Chats not ended whose widget's inactivity time has passed since their last activity."""
    rows = session.execute(
        select(Chat.id, Chat.last_activity_at, ChatWidget.inactivity_minutes)
        .join(ChatWidget, ChatWidget.id == Chat.widget_id)
        .where(Chat.state != "ended")
        .order_by(Chat.last_activity_at)
        .limit(limit * 5)
    ).all()
    out = []
    for chat_id, last, minutes in rows:
        if minutes > 0 and (now - last).total_seconds() >= minutes * 60:
            out.append(int(chat_id))
    return out[:limit]


def client_message(session: Session, chat_id: int, client_id: str) -> Message | None:
    stmt = (
        select(Message)
        .join(ChatClientMessage, ChatClientMessage.message_id == Message.id)
        .where(ChatClientMessage.chat_id == chat_id, ChatClientMessage.client_id == client_id)
    )
    return session.scalar(stmt)


def add_client_message(session: Session, chat_id: int, client_id: str, message_id: int) -> None:
    session.add(ChatClientMessage(chat_id=chat_id, client_id=client_id, message_id=message_id))
    session.flush()


def public_messages(
    session: Session, ticket_id: int, *, after: int = 0, limit: int = 500
) -> Sequence[Message]:
    stmt = (
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.public.is_(True), Message.id > after)
        .order_by(Message.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def client_ids(session: Session, chat_id: int, message_ids: Sequence[int]) -> dict[int, str]:
    if not message_ids:
        return {}
    stmt = select(ChatClientMessage.message_id, ChatClientMessage.client_id).where(
        ChatClientMessage.chat_id == chat_id, ChatClientMessage.message_id.in_(message_ids)
    )
    return {int(m): c for m, c in session.execute(stmt).all()}


def attachment_ids(session: Session, message_ids: Sequence[int]) -> dict[int, list[int]]:
    """The public attachments of each message."""
    out: dict[int, list[int]] = {}
    if not message_ids:
        return out
    rows = session.execute(
        select(Attachment.message_id, Attachment.id)
        .where(Attachment.message_id.in_(list(message_ids)), Attachment.public.is_(True))
        .order_by(Attachment.id)
    )
    for message_id, attachment_id in rows:
        if message_id is not None:
            out.setdefault(int(message_id), []).append(int(attachment_id))
    return out


def queue_by_name(session: Session, name: str) -> Queue | None:
    return session.scalar(select(Queue).where(func.lower(Queue.name) == name.strip().lower()))


def ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def new_visitors_from(session: Session, address: str, *, since: datetime) -> int:
    """How many visitors ``address`` made since ``since`` (index on created_from, created_at)."""
    stmt = select(func.count()).where(
        ChatVisitor.created_from == address[:64], ChatVisitor.created_at >= since
    )
    return int(session.scalar(stmt) or 0)


def chats_started_by(session: Session, visitor_id: int, *, since: datetime) -> int:
    stmt = select(func.count()).where(Chat.visitor_id == visitor_id, Chat.started_at >= since)
    return int(session.scalar(stmt) or 0)


def queue_by_id(session: Session, queue_id: int) -> Queue | None:
    return session.get(Queue, queue_id)


def queue_member_ids(session: Session, queue_id: int) -> list[int]:
    """The members of a queue (whom a chat waiting in it is announced to)."""
    return list(
        session.scalars(
            select(QueueMember.user_id)
            .where(QueueMember.queue_id == queue_id)
            .order_by(QueueMember.user_id)
        )
    )


# --- bot flows --------------------------------------------------------------------------------


def flows(session: Session) -> Sequence[BotFlow]:
    return session.scalars(select(BotFlow).order_by(BotFlow.key, BotFlow.version)).all()


def flow(session: Session, flow_id: int) -> BotFlow | None:
    return session.get(BotFlow, flow_id)


def last_version(session: Session, key: str) -> int:
    return int(session.scalar(select(func.max(BotFlow.version)).where(BotFlow.key == key)) or 0)


def published_flow(session: Session, key: str) -> BotFlow | None:
    stmt = (
        select(BotFlow)
        .where(BotFlow.key == key, BotFlow.status == "published")
        .order_by(BotFlow.version.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def published_of_key(session: Session, key: str) -> Sequence[BotFlow]:
    return session.scalars(
        select(BotFlow).where(BotFlow.key == key, BotFlow.status == "published")
    ).all()


def bot_run_of_ticket(session: Session, ticket_id: int) -> BotRun | None:
    return session.scalar(select(BotRun).where(BotRun.ticket_id == ticket_id).with_for_update())
