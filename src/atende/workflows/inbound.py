"""Ingesting what the channels received (the inbound pipeline's worker step).

The sweep takes the queued items, oldest first, in chunks: a chunk is row-locked in one
statement (``SKIP LOCKED`` on PostgreSQL: two workers never ingest an item twice) and ingested in
one transaction, each item in its own savepoint. An e-mail
finds or creates its contact, threads into a ticket (``channels.threading``) or opens one
(channel ``email``), writes the message and its attachments, and is settled (SLA, rules,
routing). Automatic mail (out-of-office, bounces, lists) is stored on the contact and acts on no
ticket; a bounce marks the address. An item that cannot be ingested becomes dead with the
reason and never blocks the ones after it; an admin retries it.

The ticket and its message take the instant the item was received, not the instant it was
ingested: an e-mail ticket's clocks start at the start of the conversation (seed 000).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from atende.attachments.storage import AttachmentStorage, LocalStorage
from atende.channels import email_out, media, pipeline, repository, threading
from atende.channels.email_parse import ParsedEmail, Unparseable, parse
from atende.channels.models import EmailRecord, InboundItem
from atende.customers import service as customer_service
from atende.db.engine import transaction
from atende.domain import mail
from atende.domain.errors import DomainError
from atende.settings import Settings
from atende.tickets.models import Message, Ticket
from atende.workflows import messaging_inbound
from atende.workflows.messaging_inbound import Ingested

log = logging.getLogger("atende.inbound")

BATCH = 100
CHUNK = 50  # items per transaction
CHUNK_SECONDS = 0.25  # ... or this long, whichever comes first
MAX_CONFLICTS = 3  # an item whose writes clash with another worker's this often is dead
EMPTY_BODY = "(e-mail sem texto)"


def sweep(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    settings: Settings,
    storage: AttachmentStorage | None = None,
    limit: int = BATCH,
    chunk_seconds: float = CHUNK_SECONDS,
) -> int:
    """Ingest up to ``limit`` queued items; returns how many were handled (done or dead).

    Items are taken in chunks, each chunk row-locked in one statement and ingested in one
    transaction (``CHUNK`` items or ``CHUNK_SECONDS``, whichever comes first: on SQLite the
    write slot is not held longer). Each item runs in its own savepoint: one that fails is
    rolled back alone and buried with its reason, the chunk is committed there and the next
    one goes on with the items after it. A
    database error (a lost connection, a deadlock between two workers) rolls the chunk back;
    its items are then tried one transaction each, so none is lost and none blocks the rest."""
    store = storage or LocalStorage(settings.attachments_dir)
    handled = 0
    while handled < limit:
        taken: list[int] = []
        wanted = min(CHUNK, limit - handled)
        try:
            with transaction(sessions) as session:
                done = _ingest_chunk(
                    session, taken, settings=settings, storage=store, now=now, limit=wanted,
                    seconds=chunk_seconds,
                )  # fmt: skip
        except OperationalError:
            if not taken:
                log.exception("inbound: the queue could not be read; the items stay queued")
                return handled
            log.warning("inbound: a chunk of %s items failed on the database; one at a time",
                        len(taken), exc_info=True)  # fmt: skip
            done = _one_at_a_time(sessions, taken, settings=settings, storage=store, now=now)
        handled += done
        if len(taken) < wanted and done == len(taken):  # the queue is empty
            break
    return handled


def _ingest_chunk(
    session: Session,
    taken: list[int],
    *,
    settings: Settings,
    storage: AttachmentStorage,
    now: datetime,
    limit: int,
    seconds: float,
) -> int:
    """Lock up to ``limit`` queued items (their ids go into ``taken``) and ingest them until the
    chunk's time is up; the ones not reached stay queued (their lock ends with the commit)."""
    skip_locked = session.get_bind().dialect.name == "postgresql"
    items = repository.lock_queued_batch(session, limit=limit, skip_locked=skip_locked)
    taken.extend(item.id for item in items)
    until = time.monotonic() + seconds
    done = 0
    for item in items:
        ok = _ingest(session, item, settings=settings, storage=storage, now=now)
        done += 1
        # after a failure the chunk ends with it: the rolled-back savepoint may leave rows it
        # had read in the session (the next chunk starts with a fresh one)
        if not ok or time.monotonic() > until:
            break
    return done


def _one_at_a_time(
    sessions: sessionmaker[Session],
    ids: list[int],
    *,
    settings: Settings,
    storage: AttachmentStorage,
    now: datetime,
) -> int:
    handled = 0
    for item_id in ids:
        try:
            with transaction(sessions) as session:
                if ingest_item(session, item_id, settings=settings, storage=storage, now=now):
                    handled += 1
        except OperationalError:  # the database, not the item: it stays queued
            log.exception("inbound item %s: database error; it stays queued", item_id)
    return handled


def ingest_item(
    session: Session,
    item_id: int,
    *,
    settings: Settings,
    storage: AttachmentStorage,
    now: datetime,
) -> bool:
    """Ingest one queued item (False: not queued any more, or another worker holds it)."""
    skip_locked = session.get_bind().dialect.name == "postgresql"
    item = repository.lock_queued(session, item_id, skip_locked=skip_locked)
    if item is None:
        return False
    _ingest(session, item, settings=settings, storage=storage, now=now)
    return True


def _ingest(
    session: Session,
    item: InboundItem,
    *,
    settings: Settings,
    storage: AttachmentStorage,
    now: datetime,
) -> bool:
    """Ingest one locked item in a savepoint: done (True), or dead with the reason (False; the
    savepoint rolled back, nothing of it half-written). A database error is raised."""
    try:
        with session.begin_nested():
            if item.kind == "email":
                done = ingest_email(session, item, settings=settings, storage=storage, now=now)
            elif item.kind in ("whatsapp", "telegram"):
                done = messaging_inbound.ingest(
                    session, item, now=now, limit=settings.messaging_sender_limit_per_hour
                )
            else:
                raise Unparseable(f"no ingestion for kind {item.kind!r}")
    except OperationalError:
        raise
    except IntegrityError as exc:  # another worker wrote the same row (a new contact) just now
        item.attempts += 1
        if item.attempts >= MAX_CONFLICTS:
            pipeline.bury(item, reason=f"IntegrityError: {exc.orig}", now=now)
            log.warning("inbound item %s is dead after %s conflicts", item.id, item.attempts)
        else:  # it stays queued: the next round sees the other worker's row
            item.reason = f"conflict with another worker, tried again: {exc.orig}"[:2000]
            log.info("inbound item %s: conflict with another worker; again later", item.id)
        return False
    except (Unparseable, DomainError, ValueError, LookupError) as exc:
        item.attempts += 1
        pipeline.bury(item, reason=f"{type(exc).__name__}: {exc}", now=now)
        log.warning("inbound item %s is dead: %s", item.id, exc)
        return False
    except Exception as exc:  # an unexpected failure: dead, with the reason, never blocking
        item.attempts += 1
        pipeline.bury(item, reason=f"{type(exc).__name__}: {exc}", now=now)
        log.exception("inbound item %s is dead", item.id)
        return False
    item.attempts += 1  # counted with the outcome: one UPDATE of the item
    pipeline.finish(
        item, ticket_id=done.ticket_id, message_id=done.message_id, reason=done.note, now=now
    )
    return True


def own_addresses(settings: Settings) -> frozenset[str]:
    return frozenset(a for a in (parseaddr(settings.mail_from)[1].lower(),) if "@" in a)


def ingest_email(
    session: Session,
    item: InboundItem,
    *,
    settings: Settings,
    storage: AttachmentStorage,
    now: datetime,
) -> Ingested:
    parsed = parse(
        item.raw, own_addresses=own_addresses(settings),
        own_domain=email_out.mail_domain(settings),
        max_attachment_bytes=settings.max_attachment_bytes,
    )  # fmt: skip
    at = min(item.received_at, now)
    if not parsed.message_id.startswith("sha256:"):
        first = repository.received_item_id(session, parsed.message_id)
        if first is not None:  # the same e-mail through another mailbox or the SMTP receiver
            return Ingested(None, None, f"duplicate of inbound item {first}")
    contact = customer_service.find_or_create_contact(
        session, name=parsed.sender_name or parsed.sender, email=parsed.sender, phone=None
    )
    record = EmailRecord(
        direction="in", header_id=parsed.message_id, contact_id=contact.id,
        inbound_item_id=item.id, sender=parsed.sender,
        recipients=", ".join(parsed.recipients)[:5000], subject=parsed.subject[:300],
        in_reply_to=" ".join(parsed.in_reply_to)[:500],
        references=" ".join(parsed.references[-email_out.MAX_REFERENCES :]),
        state="received", created_at=at,
    )  # fmt: skip
    if parsed.automatic is not None:
        record.state, record.reason = "automatic", parsed.automatic.reason
        repository.add_record(session, record)
        if parsed.automatic.bounce:
            for address in parsed.failed_recipients:
                repository.mark_bouncing(
                    session, address, reason=f"devolução recebida de {parsed.sender}", now=at
                )
        return Ingested(None, None, f"automatic: {parsed.automatic.reason}")
    since = at - timedelta(hours=1)
    if repository.received_since(session, parsed.sender, since) >= (
        settings.inbound_sender_limit_per_hour
    ):
        record.state, record.reason = "limited", "per-sender rate limit"
        repository.add_record(session, record)
        return Ingested(None, None, "rate limited: too many e-mails from this sender")
    ticket = threading.find_ticket(session, parsed, contact)
    body = parsed.new_text.strip() or EMPTY_BODY
    subject = mail.normalise_subject(parsed.subject)[: mail.MAX_SUBJECT] or "(sem assunto)"
    ticket, message, changes = messaging_inbound.write_received(
        session, ticket, subject=subject, body=body, channel="email", contact_id=contact.id,
        at=at,
    )  # fmt: skip
    _attach(session, storage, ticket, message, parsed, settings, at)
    record.ticket_id, record.message_id = message.ticket_id, message.id
    repository.add_record(session, record)
    messaging_inbound.settle_received(session, ticket, changes, at=at, now=now)
    return Ingested(message.ticket_id, message.id, "")


def _attach(
    session: Session,
    storage: AttachmentStorage,
    ticket: Ticket,
    message: Message,
    parsed: ParsedEmail,
    settings: Settings,
    at: datetime,
) -> None:
    """The e-mail's attachments and inline images, stored by hash, on the message."""
    for part in parsed.attachments:
        media.attach_bytes(
            session, storage, ticket=ticket, message=message, data=part.data,
            filename=part.filename, declared=part.content_type,
            max_bytes=settings.max_attachment_bytes, at=at,
        )  # fmt: skip
