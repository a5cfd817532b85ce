"""The periodic sweeps: time moves clocks, auto-closes, time-based rules, absences and idle
presence. Each finds its due items in a short read, then handles each item in its own
transaction, settled by the one settle loop; a failure is logged and the item stays due for the
next sweep. Several workers may sweep at once: each item is row-locked (``SKIP LOCKED`` on
PostgreSQL) and re-checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atende.autoclose import service as autoclose
from atende.chat import repository as chat_repository
from atende.db.engine import transaction
from atende.routing import absences, presence
from atende.rules import engine as rules_engine
from atende.sla import repository as sla_repository
from atende.workflows import chat as chat_workflows
from atende.workflows.settle import Settler

log = logging.getLogger("atende.sweeps")

SLA_SWEEP_LIMIT = 1000
SWEEP_THREADS = 4  # tickets of one SLA sweep handled at once on PostgreSQL
AUTO_CLOSE_LIMIT = 500
IDLE_LIMIT = 500


def _each(
    sessions: sessionmaker[Session],
    ids: list[int],
    now: datetime,
    what: str,
    handle: Callable[[Session, int, Settler], bool],
    *,
    threads: int = 1,
) -> int:
    """``handle`` each item in its own transaction; with ``threads`` > 1 (PostgreSQL only:
    SQLite has one writer) that many items are handled at once, each on its own connection,
    so the database's round trips of one overlap another's work."""

    def one(item_id: int) -> bool:
        try:
            with transaction(sessions) as session:
                return handle(session, item_id, Settler(session, now=now))
        except Exception:
            log.exception("%s %s failed; it stays due for the next sweep", what, item_id)
            return False

    if threads > 1 and len(ids) > 1 and _postgres_sessions(sessions):
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sweep") as pool:
            return sum(pool.map(one, ids))
    return sum(one(item_id) for item_id in ids)


def _postgres_sessions(sessions: sessionmaker[Session]) -> bool:
    bind = sessions.kw.get("bind")
    return bind is not None and bind.dialect.name == "postgresql"


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def sla_deadlines(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    limit: int = SLA_SWEEP_LIMIT,
    threads: int = SWEEP_THREADS,
) -> int:
    """Re-evaluate the tickets whose next SLA deadline (warning or due) has come: the
    evaluation announces the warning or breach, escalates, fires the ``sla_warning`` /
    ``sla_breach`` rules and moves ``next_sla_deadline`` on. Returns how many. On PostgreSQL
    ``threads`` tickets are handled at once (a burst of deadlines, e.g. Monday 08:00); each is
    row-locked ``SKIP LOCKED`` and checked again, as with several workers."""
    with transaction(sessions) as session:
        ids = sla_repository.due_ticket_ids(session, now=now, limit=limit)

    def handle(session: Session, ticket_id: int, settle: Settler) -> bool:
        ticket = sla_repository.lock_due_ticket(
            session, ticket_id, now=now, skip_locked=_postgres(session)
        )
        if ticket is None:
            return False  # swept by another worker meanwhile, or changed
        settle.refresh(ticket)
        return True

    return _each(sessions, list(ids), now, "SLA sweep of ticket", handle, threads=threads)


def auto_close(
    sessions: sessionmaker[Session], now: datetime, *, limit: int = AUTO_CLOSE_LIMIT
) -> int:
    """Close the resolved tickets whose auto-close instant has come; returns how many."""
    with transaction(sessions) as session:
        ids = autoclose.due_ticket_ids(session, now=now, limit=limit)

    def handle(session: Session, ticket_id: int, settle: Settler) -> bool:
        return autoclose.close_if_due(session, ticket_id, now=now, settle=settle)

    return _each(sessions, ids, now, "auto-close of ticket", handle)


def time_rules(sessions: sessionmaker[Session], now: datetime) -> int:
    """Fire the time_based rules whose threshold has come (one transaction, a savepoint per
    ticket: see ``rules.engine.sweep_time_based``)."""
    with transaction(sessions) as session:
        settler = Settler(session, now=now)
        return rules_engine.sweep_time_based(
            session, now=now, cascade=settler.cascade, settle=settler
        )


def absences_due(sessions: sessionmaker[Session], now: datetime) -> int:
    """Start the absences whose time has come (the vacation handover) and end those that are
    over; returns how many changed state."""
    with transaction(sessions) as session:
        ids = absences.due_absence_ids(session, now=now)

    def handle(session: Session, absence_id: int, settle: Settler) -> bool:
        return absences.advance(
            session, absence_id=absence_id, now=now, settle=settle, skip_locked=_postgres(session)
        )

    return _each(sessions, ids, now, "absence (start or end)", handle)


def presence_idle(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    timeout_minutes: int = presence.DEFAULT_TIMEOUT_MINUTES,
    limit: int = IDLE_LIMIT,
) -> int:
    """Online or paused agents not seen for ``timeout_minutes`` go offline (cause ``session
    expired``); returns how many."""
    with transaction(sessions) as session:
        ids = presence.idle_user_ids(session, now=now, timeout_minutes=timeout_minutes, limit=limit)

    def handle(session: Session, user_id: int, settle: Settler) -> bool:
        return presence.expire_idle_one(
            session, user_id, now=now, timeout_minutes=timeout_minutes, settle=settle
        )

    return _each(sessions, ids, now, "idle expiry of user", handle)


def end_idle_chats(
    sessions: sessionmaker[Session], now: datetime, *, limit: int = IDLE_LIMIT
) -> int:
    """Chats idle past their widget's ``inactivity_minutes`` end (by ``timeout``); how many."""
    with transaction(sessions) as session:
        ids = chat_repository.idle_chats(session, now=now, limit=limit)

    def handle(session: Session, chat_id: int, settle: Settler) -> bool:
        return chat_workflows.end_idle(session, chat_id=chat_id, now=now)

    return _each(sessions, list(ids), now, "inactivity end of chat", handle)
