"""Every query of the inbound pipeline and of e-mail in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.channels.models import EmailAddress, EmailRecord, ImapMailbox, InboundItem
from atende.customers.models import Contact
from atende.tickets.models import Message, Ticket

# --- inbound items -------------------------------------------------------------------------


def add_item(session: Session, item: InboundItem) -> tuple[InboundItem, bool]:
    """Store ``item``; (the stored item, True) or, for a redelivery, (the one already there,
    False). A savepoint: a redelivery racing the first delivery never fails the caller."""
    existing = item_by_provider(session, item.kind, item.channel, item.provider_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        found = item_by_provider(session, item.kind, item.channel, item.provider_id)
        assert found is not None
        return found, False
    return item, True


def item_by_provider(
    session: Session, kind: str, channel: str, provider_id: str
) -> InboundItem | None:
    return session.scalar(
        select(InboundItem).where(
            InboundItem.kind == kind,
            InboundItem.channel == channel,
            InboundItem.provider_id == provider_id,
        )
    )


def queued_ids(session: Session, *, limit: int) -> list[int]:
    rows = session.scalars(
        select(InboundItem.id)
        .where(InboundItem.state == "queued")
        .order_by(InboundItem.id)
        .limit(limit)
    )
    return list(rows)


def lock_queued(session: Session, item_id: int, *, skip_locked: bool) -> InboundItem | None:
    """The item if it is still queued, row-locked; None when done, dead, or (PostgreSQL)
    another worker holds it (``SKIP LOCKED``: two workers never ingest it twice)."""
    stmt = select(InboundItem).where(InboundItem.id == item_id, InboundItem.state == "queued")
    stmt = stmt.with_for_update(skip_locked=skip_locked)
    return session.scalar(stmt)


def lock_queued_batch(session: Session, *, limit: int, skip_locked: bool) -> list[InboundItem]:
    """Up to ``limit`` of the oldest queued items, row-locked in one statement; on PostgreSQL
    (``SKIP LOCKED``) those another worker holds are passed over, so workers take disjoint
    batches."""
    stmt = (
        select(InboundItem)
        .where(InboundItem.state == "queued")
        .order_by(InboundItem.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(session.scalars(stmt))


def claim_next(session: Session, *, skip_locked: bool) -> InboundItem | None:
    """The oldest queued item nobody holds, row-locked."""
    stmt = (
        select(InboundItem)
        .where(InboundItem.state == "queued")
        .order_by(InboundItem.id)
        .limit(1)
        .with_for_update(skip_locked=skip_locked)
    )
    return session.scalar(stmt)


def item(session: Session, item_id: int) -> InboundItem | None:
    return session.get(InboundItem, item_id)


def item_page(
    session: Session, *, state: str | None, kind: str | None, after_id: int | None, limit: int
) -> Sequence[InboundItem]:
    stmt = select(InboundItem)
    if state is not None:
        stmt = stmt.where(InboundItem.state == state)
    if kind is not None:
        stmt = stmt.where(InboundItem.kind == kind)
    if after_id is not None:
        stmt = stmt.where(InboundItem.id < after_id)
    return session.scalars(stmt.order_by(InboundItem.id.desc()).limit(limit)).all()


def requeue(session: Session, item_id: int) -> int:
    result = session.execute(
        update(InboundItem)
        .where(InboundItem.id == item_id, InboundItem.state == "dead")
        .values(state="queued", reason="")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def item_of_message(session: Session, ticket_id: int, message_id: int) -> InboundItem | None:
    return session.scalar(
        select(InboundItem).where(
            InboundItem.ticket_id == ticket_id, InboundItem.message_id == message_id
        )
    )


# --- threading -----------------------------------------------------------------------------


def ticket(session: Session, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def records_by_header_ids(session: Session, header_ids: Sequence[str]) -> Sequence[EmailRecord]:
    """Stored e-mails (in or out, tied to a ticket) with any of these Message-IDs, newest first."""
    if not header_ids:
        return []
    return session.scalars(
        select(EmailRecord)
        .where(EmailRecord.header_id.in_(list(header_ids)), EmailRecord.ticket_id.is_not(None))
        .order_by(EmailRecord.id.desc())
    ).all()


def received_item_id(session: Session, header_id: str) -> int | None:
    """The inbound item that already brought the e-mail with this Message-ID, if any."""
    return session.scalar(
        select(EmailRecord.inbound_item_id)
        .where(EmailRecord.header_id == header_id, EmailRecord.direction == "in")
        .order_by(EmailRecord.id)
        .limit(1)
    )


def contact(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


# --- records -------------------------------------------------------------------------------


def add_record(session: Session, record: EmailRecord) -> EmailRecord:
    session.add(record)
    session.flush()
    return record


def record(session: Session, record_id: int, *, for_update: bool = False) -> EmailRecord | None:
    stmt = select(EmailRecord).where(EmailRecord.id == record_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def ticket_records(session: Session, ticket_id: int) -> Sequence[EmailRecord]:
    return session.scalars(
        select(EmailRecord).where(EmailRecord.ticket_id == ticket_id).order_by(EmailRecord.id)
    ).all()


def last_inbound(session: Session, ticket_id: int) -> EmailRecord | None:
    """The customer's last e-mail on the ticket (what our reply answers)."""
    return session.scalar(
        select(EmailRecord)
        .where(
            EmailRecord.ticket_id == ticket_id,
            EmailRecord.direction == "in",
            EmailRecord.state == "received",
        )
        .order_by(EmailRecord.id.desc())
        .limit(1)
    )


def received_since(session: Session, sender: str, since: datetime) -> int:
    """How many e-mails ``sender`` sent us since ``since`` (the per-sender rate limit)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(EmailRecord)
            .where(
                EmailRecord.sender == sender,
                EmailRecord.direction == "in",
                EmailRecord.created_at >= since,
            )
        )
        or 0
    )


# --- addresses -----------------------------------------------------------------------------


def address(session: Session, email: str) -> EmailAddress | None:
    return session.get(EmailAddress, email.lower())


def mark_bouncing(session: Session, email: str, *, reason: str, now: datetime) -> EmailAddress:
    found = address(session, email)
    if found is None:
        found = EmailAddress(address=email.lower(), bouncing=True, reason=reason, updated_at=now)
        try:
            with session.begin_nested():
                session.add(found)
                session.flush()
        except IntegrityError:
            found = address(session, email)
            assert found is not None
    found.bouncing, found.reason, found.updated_at = True, reason[:2000], now
    return found


def message(session: Session, message_id: int) -> Message | None:
    return session.get(Message, message_id)


def first_message(session: Session, ticket_id: int) -> Message | None:
    return session.scalar(
        select(Message).where(Message.ticket_id == ticket_id).order_by(Message.position).limit(1)
    )


# --- IMAP mailboxes ------------------------------------------------------------------------


def mailbox(session: Session, mailbox_id: int, *, for_update: bool = False) -> ImapMailbox | None:
    stmt = select(ImapMailbox).where(ImapMailbox.id == mailbox_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def mailboxes(session: Session, *, active_only: bool) -> Sequence[ImapMailbox]:
    stmt = select(ImapMailbox).order_by(ImapMailbox.id)
    if active_only:
        stmt = stmt.where(ImapMailbox.active.is_(True))
    return session.scalars(stmt).all()


# --- IMAP watchers' leases (PostgreSQL advisory locks, held by a worker's own connection) ---

WATCH_LOCK_CLASS = 0x494D4150  # "IMAP": the advisory locks' first key; the mailbox id the second


def take_watch_lock(connection: Connection, mailbox_id: int) -> bool:
    """Take the mailbox's watcher lock on ``connection`` (autocommit) unless another holds it:
    it lasts until released or until the connection ends (the worker's process died)."""
    return bool(
        connection.scalar(
            text("SELECT pg_try_advisory_lock(:kind, :box)"),
            {"kind": WATCH_LOCK_CLASS, "box": mailbox_id},
        )
    )


def release_watch_lock(connection: Connection, mailbox_id: int) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(:kind, :box)"),
        {"kind": WATCH_LOCK_CLASS, "box": mailbox_id},
    )


def ping(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))
