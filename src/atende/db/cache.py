"""Per-process copies of rows that rarely change (SLA policies, automation rules, calendars,
the reply check's lists, API credentials), kept exact by one version counter in the database.

Every flush that writes a watched table bumps ``cache_state.version`` in the same transaction:
a session event does it, so no use case can forget to. A transaction that wants a copy reads
the version once (a single-row primary-key read) and uses the copies made at that version; any
other version empties them first. The database stays the only shared state: another process
sees a change at its next transaction, exactly when it would have seen the rows themselves.
A transaction that changed watched rows itself neither reads nor fills the copies (it sees its
own uncommitted rows; its copies could be rolled back).

Copies must be plain, immutable values (tuples, frozen dataclasses), never ORM instances: they
are shared by every thread of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

from sqlalchemy import BigInteger, Integer, event, inspect, text
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from atende.db.base import Base

T = TypeVar("T")

# table -> (does a new row matter?, columns whose change alone does not matter). A new user,
# token or contact is in no copy yet (it is read when first used); a new rule or policy is.
# The copies: SLA policies, rules (of an event), built calendars, the reply check's lists, and
# a token's actor (its user, the queues they belong to, the organization of their contact).
# Of a contact only its organization counts, of a queue only its deletion (its members go with
# it); a column added to either later counts until it is listed here (the safe side).
WATCHED: Final[dict[str, tuple[bool, frozenset[str]]]] = {
    "sla_policies": (True, frozenset()),
    "calendars": (True, frozenset()),
    "rules": (True, frozenset()),
    "reply_check_lists": (True, frozenset()),
    "queues": (
        False,
        frozenset(
            {
                "name",
                "description",
                "assignment_mode",
                "calendar_id",
                "default_max_open_tickets",
                "default_max_chats",
                "created_at",
            }
        ),
    ),
    "queue_members": (True, frozenset({"last_assigned_at"})),
    "users": (False, frozenset()),
    "api_tokens": (False, frozenset({"last_used_at"})),
    "contacts": (False, frozenset({"name", "email", "phone", "role", "created_at"})),
}


class CacheState(Base):
    """One row (id 1): the version of the watched tables, bumped by every write to them."""

    __tablename__ = "cache_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


_VERSION: Final = "atende.cache_version"
_WROTE: Final = "atende.cache_wrote"
_BUMP = text("UPDATE cache_state SET version = version + 1 WHERE id = 1")
_READ = text("SELECT version FROM cache_state WHERE id = 1")

_lock = threading.Lock()
_state: dict[str, Any] = {"version": None, "entries": {}}


def _version(session: Session) -> Any:
    version = session.info.get(_VERSION)
    if version is None:
        version = session.execute(_READ).scalar()
        session.info[_VERSION] = version
    return version


def version(session: Session) -> Any:
    """The version of the watched tables as this transaction sees them (read once)."""
    return _version(session)


def lookup(session: Session, key: Hashable) -> Any:
    """The copy of ``key`` valid for this transaction, or None."""
    if session.info.get(_WROTE):
        return None
    version = _version(session)
    with _lock:
        if _state["version"] != version:
            _state["version"], _state["entries"] = version, {}
        return _state["entries"].get(key)


def store(session: Session, key: Hashable, value: Any) -> None:
    """Keep ``value`` (read in this transaction) as the copy of ``key``."""
    if session.info.get(_WROTE):
        return
    version = _version(session)
    with _lock:
        if _state["version"] == version:
            _state["entries"][key] = value


def get(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """The copy of ``key`` valid for this transaction, made by ``load()`` when missing."""
    found = lookup(session, key)
    if found is not None:
        result: T = found
        return result
    value = load()
    store(session, key, value)
    return value


def clear() -> None:
    """Forget every copy (tests; a process that changed rows behind the ORM's back)."""
    with _lock:
        _state["version"], _state["entries"] = None, {}


def _matters(obj: Any, how: str) -> bool:
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table not in WATCHED:
        return False
    inserts_matter, ignored = WATCHED[table]
    if how == "new":
        return inserts_matter
    if how == "deleted":
        return True
    return any(attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in ignored)


def _bump(session: Session) -> None:
    session.info[_WROTE] = True
    session.info.pop(_VERSION, None)
    session.execute(_BUMP)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_WROTE):
        return
    if (
        any(_matters(obj, "new") for obj in session.new)
        or any(_matters(obj, "deleted") for obj in session.deleted)
        or any(_matters(obj, "dirty") for obj in session.dirty)
    ):
        _bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    """``update(Model)`` / ``delete(Model)`` statements bypass the flush: they bump too."""
    if not (state.is_update or state.is_delete) or state.session.info.get(_WROTE):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in WATCHED:
        return
    if state.is_update:
        # an UPDATE of ignored columns only (a token's last_used_at) changes no copy
        assigned = getattr(state.statement, "_values", None)
        if assigned and {getattr(c, "key", c) for c in assigned} <= WATCHED[name][1]:
            return
    _bump(state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.get(_WROTE):
        clear()  # this process sees its own change at once


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction ended (not a savepoint)
        session.info.pop(_WROTE, None)
        session.info.pop(_VERSION, None)
