"""``Idempotency-Key`` for POSTs that create things (tickets, messages).

A retried request (same user, same key, same method, path and body) gets the stored answer and
creates nothing twice; the same key with a different request answers 409. The record is written
in the same transaction as what the request created, so either both exist or neither does. Two
copies of one request racing each other: the second waits on the unique index and then answers
409 (``idempotency_key_in_use``) while the first commits; a later retry replays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.auth import repository as auth_repository
from atende.auth.actor import Actor
from atende.auth.models import IdempotencyRecord
from atende.domain.errors import Conflict

HEADER = "Idempotency-Key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="makes a retried POST create nothing twice (printable ASCII, ≤ 200)",
    ),
]


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"


class IdempotencyInUse(Conflict):
    code = "idempotency_key_in_use"


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps(
        [method.upper(), path, payload], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, *, actor: Actor, key: str | None, print_: str) -> JSONResponse | None:
    """The stored answer for this key, None when the key is new (or absent)."""
    if key is None or actor.user_id is None:
        return None
    record = auth_repository.idempotency_record(session, actor.user_id, key)
    if record is None:
        return None
    if record.fingerprint != print_:
        raise IdempotencyConflict(
            "the {header} {key!r} was already used for a different "
            "request; use a new key for a new request",
            field=HEADER,
            header=HEADER,
            key=key,
        )
    return JSONResponse(
        json.loads(record.body),
        status_code=record.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def remember(
    session: Session,
    *,
    actor: Actor,
    key: str | None,
    print_: str,
    status_code: int,
    body: Any,
    now: datetime,
) -> None:
    """Store the answer in the current transaction (nothing when no key was sent)."""
    if key is None or actor.user_id is None:
        return
    record = IdempotencyRecord(
        user_id=actor.user_id,
        key=key,
        fingerprint=print_,
        status_code=status_code,
        body=json.dumps(body, separators=(",", ":"), default=str),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        raise IdempotencyInUse(
            "another request with the {header} {key!r} is being processed; retry later",
            field=HEADER,
            header=HEADER,
            key=key,
        ) from exc


def run(
    session: Session,
    request: Request,
    *,
    actor: Actor,
    key: str | None,
    body: BaseModel,
    now: datetime,
    produce: Callable[[], Any],
    status_code: int = 201,
) -> Any:
    """Replay the stored answer, or ``produce()`` one (JSON-ready) and store it; the request's
    method, path and ``body`` as sent make the fingerprint a retry must match."""
    payload = body.model_dump(mode="json", exclude_unset=True)
    print_ = fingerprint(request.method, request.url.path, payload)
    stored = replay(session, actor=actor, key=key, print_=print_)
    if stored is not None:
        return stored
    body = produce()
    remember(
        session,
        actor=actor,
        key=key,
        print_=print_,
        status_code=status_code,
        body=body,
        now=now,
    )
    return JSONResponse(body, status_code=status_code)
