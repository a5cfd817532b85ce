"""Shared request dependencies: the database session (one transaction per request, committed at
the edge) and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from atende.auth import service as auth_service
from atende.auth.actor import Actor
from atende.db.base import utcnow
from atende.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _db(request: Request) -> Iterator[Session]:
    """Commit when the route returns, roll back when it raises, before the answer is sent."""
    state = request.app.state
    factory: sessionmaker[Session] = (
        state.read_sessionmaker if request.method in SAFE_METHODS else state.sessionmaker
    )
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(_db, scope="function")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


def _now() -> datetime:
    return utcnow()


Now = Annotated[datetime, Depends(_now)]


def _api_actor(request: Request, session: DbSession, now: Now) -> Actor:
    header = request.headers.get("authorization", "")
    actor = auth_service.actor_from_authorization(session, header, now)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(_api_actor)]
