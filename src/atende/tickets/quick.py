"""The quick creation path: the common ``POST /tickets`` computed before the write.

A creation by an agent for an existing contact (or none), into no queue or a queue that waits
for agents to pull (manual assignment), with no automation rule matching it and no SLA clock
to announce at once, writes rows that need nothing from the write itself: the ticket, its
``created`` event, the opening message, the SLA policy event, the policy row, the clocks and
the tags. `draft` computes them in a *read* transaction with the very functions the full use
case runs (`service.open_ticket`, `routing.on_created`, `sla.first_clocks`, the rules'
`any_would_match`); `write` inserts them with a handful of plain INSERT statements. On SQLite
the write lock is held only for those, not for the whole use case (docs/performance.md).

Anything else returns None from `draft` and takes the full path, `service.create_ticket`: an
import, an assignee, a new requester, an auto-assign queue, a matching rule, a clock that
escalates, an ``Idempotency-Key``. `write` answers None (nothing written) when the per-process
copies the draft used (policies, rules, queues) changed since: the full path runs then too.
tests/tickets/test_quick.py proves both paths store the same rows and answer the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, inspect, text
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from atende.auth.actor import Actor
from atende.customers import repository as customer_repository
from atende.customers import service as customer_service
from atende.customers.models import Contact, Organization, Plan
from atende.db import cache as db_cache
from atende.queues.models import Queue
from atende.routing import repository as routing_repository
from atende.routing import service as routing_service
from atende.rules import engine as rules_engine
from atende.sla import service as sla_service
from atende.sla.models import TicketSla, TicketSlaTarget
from atende.tickets import repository
from atende.tickets import service as ticket_service
from atende.tickets.models import Message, Ticket, TicketEvent, TicketTag
from atende.tickets.schemas import RequesterIn, TicketIn

log = logging.getLogger("atende.tickets")


@dataclass
class Draft:
    """A creation ready to be written: every row but the ticket's id."""

    actor: Actor
    ticket: Ticket
    entries: list[Message | TicketEvent]
    sla: sla_service.FirstClocks
    tags: list[str]
    version: Any  # of the per-process copies the draft was computed from


def eligible(actor: Actor | None, data: TicketIn) -> bool:
    """Whether the input alone allows the quick path (the rest is decided by `draft`)."""
    return (
        (actor is None or actor.is_staff)
        and not data.is_import
        and data.external_id is None
        and data.assignee_id is None
        and data.chat_ended_at is None
    )


def draft(session: Session, *, actor: Actor, data: TicketIn, now: datetime) -> Draft | None:
    """The rows of this creation, computed with reads only; None for the full path.

    Raises what the full path raises for bad input (the same checks, in the same order)."""
    if not eligible(actor, data):
        return None
    if data.requester is not None:  # given by e-mail or phone instead of contact_id
        contact_id = _known_requester(session, data.requester)
        if contact_id is None:
            return None  # a new contact to create, or one to fill in: the full path's work
        data = data.model_copy(update={"requester": None, "contact_id": contact_id})
    contact = _known_row(session, Contact, data.contact_id)
    _known_row(session, Queue, data.queue_id)
    org = _known_row(
        session, Organization, data.organization_id or getattr(contact, "organization_id", None)
    )
    _known_row(session, Plan, getattr(org, "plan_id", None))
    opened = ticket_service.open_ticket(session, actor=actor, data=data, now=now)
    ticket = opened.ticket
    if ticket.queue_id is not None:
        queue = routing_repository.queue(session, ticket.queue_id)
        if queue is None or queue.assignment_mode != "manual":
            return None  # an auto-assign queue hands the ticket out: the full path's work
    routing_service.on_created(session, ticket, now=now)
    repository.remember_tags(session, ticket.id, opened.tags)  # the facts see them (no id yet)
    clocks = sla_service.first_clocks(
        session, ticket, contact_message_at=opened.contact_message_at, now=now
    )
    if clocks is None:
        return None
    matched = rules_engine.any_would_match(
        session, ticket=ticket, event="ticket_created", now=now, message=opened.opening_message
    )
    if matched is not False:
        return None
    ticket.next_sla_deadline = clocks.next_deadline
    ticket.sla_due_at = clocks.due_at
    return Draft(
        actor=actor,
        ticket=ticket,
        entries=[*opened.entries, *clocks.events],
        sla=clocks,
        tags=opened.tags,
        version=db_cache.version(session),
    )


def _known_requester(session: Session, requester: RequesterIn) -> int | None:
    """The id of the existing contact a ``requester`` names, as `find_or_create_contact` finds
    it, when using it adds nothing to that contact; None otherwise (the full path).

    Only answers no new contact can change are kept as per-process copies (a change to a
    contact makes them all stale): an e-mail's contact (e-mails are unique) and, for a
    requester without an e-mail, a phone's (the oldest contact with it wins). A requester
    whose e-mail no contact has goes the full way: the contact to create, or the one its
    phone finds, which a contact made with that e-mail later would take over."""
    email = str(requester.email).lower() if requester.email else None
    phone = (
        customer_service.normalise_phone(requester.phone, field="requester.phone")
        if requester.phone
        else None
    )
    if email is not None:
        key = ("requester e-mail", email)
    elif phone is not None:
        key = ("requester phone", phone)
    else:
        return None
    contact_id = db_cache.lookup(session, key)
    if contact_id is None:
        if email is not None:
            found = customer_repository.contact_by_email(session, email)
        else:
            found = customer_repository.contact_by_phone(session, str(phone))
        if found is None:
            return None
        contact_id = found.id
        db_cache.store(session, key, contact_id)
    contact = _known_row(session, Contact, contact_id)
    if contact is None or customer_service.requester_fill_in(contact, email=email, phone=phone):
        return None
    return int(contact_id)


def _known_row(session: Session, model: type[Any], ident: int | None) -> Any:
    """Put the per-process copy of a watched row (contacts, queues, organizations, plans:
    atende/db/cache.py) in this read session, so the checks and facts that ``session.get`` it
    read no row; on a miss, read it and keep a copy. The session only reads: the row is never
    written from here. Returns the row (None when there is none)."""
    if ident is None:
        return None
    key = ("row", model.__tablename__, ident)
    # a row this session read already (a requester found by e-mail) is used as it is
    row = session.identity_map.get(session.identity_key(model, ident))
    values = db_cache.lookup(session, key)
    if row is None and values is not None:
        row = model(**values)
        make_transient_to_detached(row)
        session.add(row)
    elif row is None:
        row = session.get(model, ident)
    if row is not None and values is None:
        columns = inspect(model).column_attrs
        db_cache.store(session, key, {a.key: getattr(row, a.key) for a in columns})
    db_cache.memo(session, "known rows")[key] = row  # the identity map holds rows weakly
    return row


BATCH_LOCK_TIMEOUT = 2.0  # seconds a batch may wait for a row lock (PostgreSQL)


def write(session: Session, drafts: Sequence[Draft]) -> list[Ticket] | None:
    """Insert the drafts' rows; the tickets with their ids, or None when nothing was written
    because the copies changed since drafting: redo them in full. An ``IntegrityError`` (a
    row they refer to was deleted meanwhile) leaves the transaction to roll back, then redo.

    The caller commits; `tickets.api.answer_json` makes each answer from its draft."""
    if not drafts:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # One thread writes a process's batches in turn: a batch waiting on a row lock (the
        # foreign-key check of a contact or queue that a long transaction deletes or locks
        # FOR UPDATE) must not hold up the ones behind it for long. Past the timeout it
        # fails, and each of its requests waits on its own.
        milliseconds = max(1, int(BATCH_LOCK_TIMEOUT * 1000))  # 0 would mean no timeout
        session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
    if any(d.version != db_cache.version(session) for d in drafts):
        return None
    _insert(session, drafts)
    return [d.ticket for d in drafts]


def _insert(session: Session, drafts: Sequence[Draft]) -> None:
    tickets = _table(Ticket)
    ids = session.execute(
        insert(tickets).returning(tickets.c.id, sort_by_parameter_order=True),
        [_values(d.ticket) for d in drafts],
    ).scalars()
    for d, ticket_id in zip(drafts, ids, strict=True):
        d.ticket.id = ticket_id
    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for d in drafts:
        for entry in d.entries:
            entry.ticket_id = d.ticket.id
            (messages if isinstance(entry, Message) else events).append(_values(entry))
    session.execute(insert(_table(TicketEvent)), events)
    if messages:
        session.execute(insert(_table(Message)), messages)
    for d in drafts:
        d.sla.row.ticket_id = d.ticket.id
        for target in d.sla.targets.values():
            target.ticket_id = d.ticket.id
    session.execute(insert(_table(TicketSla)), [_values(d.sla.row) for d in drafts])
    targets = [_values(t) for d in drafts for t in d.sla.targets.values()]
    if targets:
        session.execute(insert(_table(TicketSlaTarget)), targets)
    tags = [
        {"ticket_id": d.ticket.id, "tag": tag, "created_at": d.ticket.created_at}
        for d in drafts
        for tag in d.tags
    ]
    if tags:
        session.execute(insert(_table(TicketTag)), tags)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


_NEEDED = object()  # a column with neither a value nor a plain default


_PLANS: dict[type[Any], tuple[tuple[str, str, Any], ...]] = {}


def _columns(model: type[Any]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, column, what an unset attribute writes) for each column of ``model``
    (worked out once per model); the new row's autoincrement ``id`` is left to the database."""
    found = _PLANS.get(model)
    if found is not None:
        return found
    plan = []
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        if column.primary_key and column.autoincrement is not False and attr.key == "id":
            continue
        if column.default is None:
            unset: Any = None
        else:
            unset = column.default.arg if column.default.is_scalar else _NEEDED
        plan.append((attr.key, column.key, unset))
    _PLANS[model] = tuple(plan)
    return _PLANS[model]


def _values(obj: Any) -> dict[str, Any]:
    """Every column of a not-yet-stored row: what was set, else the column's plain default,
    else NULL (the same values a flush of ``obj`` would write)."""
    given = inspect(obj).dict
    values: dict[str, Any] = {}
    for key, column, unset in _columns(type(obj)):
        value = given.get(key, unset)
        if value is _NEEDED:
            raise ValueError(f"{type(obj).__name__}.{key} needs a value")
        values[column] = value
    return values


# --- group commit -----------------------------------------------------------------------------


class _Job:
    def __init__(
        self, drafted: Draft, touches: Any, waiter: asyncio.Future[bool | None] | None = None
    ) -> None:
        self.draft = drafted
        self.touches = touches
        self.finished = False
        self.written: bool | None = None  # True; False: redo in full; None: unknown
        self.waiter = waiter  # an event loop's request waits on it

    def done(self, written: bool | None) -> None:
        self.written, self.finished = written, True
        if self.waiter is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop (shutdown): nobody waits
                self.waiter.get_loop().call_soon_threadsafe(_settle, self.waiter, written)


def _settle(waiter: asyncio.Future[bool | None], written: bool | None) -> None:
    if not waiter.done():
        waiter.set_result(written)


class GroupWriter:
    """Writes the drafts of concurrent requests together: one transaction, one INSERT per
    table, one commit for all that are waiting (group commit).

    Requests on the event loop queue their drafts and wait; one thread drains the queue,
    writing everything queued (up to `MAX_BATCH`) batch after batch, so under load a batch
    fills while the one before it is written. A batch that cannot be written as drafted (the
    copies changed, a row it refers to went, any error) writes nothing: each of its requests
    then runs the full use case on its own, which answers (or fails) for itself. Answers are
    made by each request from its draft after the commit (the write lock is held only for
    the statements)."""

    MAX_BATCH = 64

    def __init__(self) -> None:
        self._queue: list[_Job] = []
        self._queue_lock = threading.Lock()
        self._draining = False  # one drain thread at a time: batches are written in turn

    async def write_async(
        self,
        factory: sessionmaker[Session],
        drafted: Draft,
        *,
        touches: Any,
        apply_touches: Callable[[Session, Any], None],
    ) -> bool | None:
        """True once the draft is written and committed (``drafted.ticket.id`` is set);
        False when nothing was written: redo it in full; None when the commit failed on its
        way (saved or not, nobody can tell: it must not be redone). The request waits without
        a thread of its own."""
        loop = asyncio.get_running_loop()
        job = _Job(drafted, touches, loop.create_future())
        with self._queue_lock:
            self._queue.append(job)
            start, self._draining = not self._draining, True
        if start:
            loop.run_in_executor(None, self._drain, factory, apply_touches)
        assert job.waiter is not None
        return await job.waiter

    def _drain(
        self, factory: sessionmaker[Session], apply_touches: Callable[[Session, Any], None]
    ) -> None:
        batch: list[_Job] = []
        connection: Connection | None = None  # kept for consecutive batches: no pool checkout
        try:  # (and its liveness ping) per batch
            # an Engine; a Connection in tests (decision 0002), or no sessionmaker at all
            bind = getattr(factory, "kw", {}).get("bind")
            while True:
                with self._queue_lock:
                    batch = self._queue[: self.MAX_BATCH]
                    del self._queue[: self.MAX_BATCH]
                    if not batch:
                        self._draining = False
                        return
                if connection is None and isinstance(bind, Engine):
                    try:
                        connection = bind.connect()
                    except Exception:  # no connection (pool timeout, database down)
                        log.warning("%d quick creations are redone in full", len(batch),
                                    exc_info=True)  # fmt: skip
                        for job in batch:
                            job.done(False)
                        continue
                session = factory() if connection is None else factory(bind=connection)
                if not self._write(session, batch, apply_touches) and connection is not None:
                    connection.close()  # after an error, the next batch takes a fresh one
                    connection = None
        except BaseException:  # never leave requests waiting on a drain that stopped
            with self._queue_lock:
                left, self._queue, self._draining = self._queue, [], False
            for job in [*batch, *left]:
                if not job.finished:
                    job.done(False)
            raise
        finally:
            if connection is not None:
                connection.close()

    @staticmethod
    def _write(
        session: Session,
        batch: list[_Job],
        apply_touches: Callable[[Session, Any], None],
    ) -> bool:
        """Write one batch in ``session``; False after an error (the connection may be bad)."""
        written: bool | None = False
        failed = False
        try:
            try:
                if write(session, [job.draft for job in batch]) is not None:
                    for job in batch:
                        apply_touches(session, job.touches)
                    written = True
            except Exception:  # nothing was written: each request redoes its own in full
                log.warning("%d quick creations are redone in full", len(batch), exc_info=True)
                written, failed = False, True
            if written:
                try:
                    session.commit()
                except Exception:  # saved or not, nobody can tell: never redo these
                    log.exception("the commit of %d quick creations failed", len(batch))
                    written, failed = None, True
            else:
                session.rollback()
        finally:
            session.close()
        for job in batch:
            job.done(written)
        return not failed
