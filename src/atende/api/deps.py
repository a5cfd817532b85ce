"""Shared request dependencies: the database session (one transaction per request, committed at
the edge) and the acting user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import inspect, update
from sqlalchemy.orm import Session, sessionmaker

from atende.api.admission import Admission, Slot
from atende.auth import service as auth_service
from atende.auth.actor import Actor
from atende.db.base import utcnow
from atende.db.engine import transaction
from atende.domain.errors import ValidationFailed
from atende.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _admitted(request: Request) -> AsyncIterator[Slot]:
    """A slot of the process's `Admission`, held from before the request's first database
    work until after its commit (see api/admission.py); waited for on the event loop."""
    admission: Admission = request.app.state.admission
    async with admission.slot() as slot:  # Busy (503) when none frees in time
        yield slot


Admitted = Annotated[Slot, Depends(_admitted, scope="function")]


async def _db(request: Request, _slot: Admitted) -> AsyncIterator[Session]:
    """Commit when the route returns, roll back when it raises, before the answer is sent.

    Async, so that making the session costs no thread hop (it does no I/O until its first
    statement, in the route's thread); the commit or rollback runs in a worker thread, and
    only when a transaction began."""
    state = request.app.state
    factory: sessionmaker[Session] = (
        state.read_sessionmaker if request.method in SAFE_METHODS else state.sessionmaker
    )
    session = factory()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(_db, scope="function")]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


async def _now() -> datetime:
    return utcnow()


Now = Annotated[datetime, Depends(_now)]


def _api_actor(request: Request, session: DbSession, now: Now) -> Actor:
    header = request.headers.get("authorization", "")
    actor = auth_service.actor_from_authorization(session, header, now)
    request.state.actor = actor
    no_unknown_query(request)  # once the caller is known: an anonymous one gets 401 first
    write_touches_apart(request, session)
    return actor


def write_touches_apart(request: Request, session: Session) -> None:
    """Authentication may record activity (a token's ``last_used_at``, an agent's
    ``last_seen_at``, coarse: at most once a minute). On a read request those writes go in a
    short write transaction of their own: a read transaction on SQLite cannot become a writer
    once another process (a worker's sweep) has committed since it began."""
    if request.method not in SAFE_METHODS or not session.dirty:
        return
    changes = pending_touches(session)
    session.rollback()  # the read transaction stays read-only
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with transaction(factory) as writer:
        apply_touches(writer, changes)


Touches = list[tuple[Any, tuple[Any, ...], dict[str, Any]]]


def pending_touches(session: Session) -> Touches:
    """The changed columns of the session's dirty rows, to be written by another session."""
    changes: Touches = []
    for obj in list(session.dirty):
        state = inspect(obj)
        values = {a.key: a.history.added[0] for a in state.attrs if a.history.added}
        if values and state.identity is not None:
            changes.append((type(obj), state.identity, values))
    return changes


def apply_touches(session: Session, changes: Touches) -> None:
    for cls, identity, values in changes:
        keys = inspect(cls).primary_key
        condition = [col == value for col, value in zip(keys, identity, strict=True)]
        session.execute(update(cls).where(*condition).values(**values))


CurrentActor = Annotated[Actor, Depends(_api_actor)]


def _read_auth(request: Request, _slot: Admitted) -> Iterator[tuple[Actor, Touches]]:
    """The actor, authenticated in a read transaction that ends before the route runs, and
    the activity the authentication recorded (for the route to write: `apply_touches`).

    For routes that write in their own thread from start to commit (`transaction`): on SQLite
    the write slot is then never held across a thread hop. Held across hops (a write session
    opened by the authentication, committed after the route), under more concurrent writers
    than worker threads every thread waited for the slot while its holder waited for a thread
    to commit in (500 after 30 s at 64 concurrent creations)."""
    factory: sessionmaker[Session] = request.app.state.read_sessionmaker
    session = factory()
    try:
        header = request.headers.get("authorization", "")
        actor = auth_service.actor_from_authorization(session, header, utcnow())
        request.state.actor = actor
        no_unknown_query(request)
        touches = pending_touches(session)
        session.rollback()
    finally:
        session.close()
    yield actor, touches


ReadAuth = Annotated[tuple[Actor, Touches], Depends(_read_auth, scope="function")]


def _declared_query(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query(sub)
    return names


def no_unknown_query(request: Request) -> None:
    """An API route refuses a query parameter it does not know (422 naming it): a misspelt or
    unsupported filter (``?follower_id=``) would otherwise be ignored, and the answer would
    look filtered when it is not. It also refuses a value with a NUL character."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.url.path.startswith("/api/"):
        return
    unknown = sorted(set(request.query_params.keys()) - _declared_query(dependant))
    if unknown:
        raise ValidationFailed(
            "unknown query parameter {unknown!r}", field=unknown[0], unknown=unknown[0]
        )
    # PostgreSQL cannot compare text with a NUL character (500 on some filters): no value has one
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise ValidationFailed("must not contain NUL characters", field=name)
