"""IMAP mailboxes (admins): connect, list, change, remove; each change in the audit trail.

The password is stored encrypted (``channels/secrets.py``) and never shown back: the answers
say only that one is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.actor import Actor
from atende.channels import imap_poll, repository, secrets
from atende.channels.models import ImapMailbox
from atende.domain.errors import Conflict, NotFound, PermissionDenied

FIELDS = ("name", "host", "port", "tls", "username", "folder", "active")


def _ensure_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an admin manages the mailboxes")


def view(box: ImapMailbox) -> dict[str, Any]:
    return {
        **{f: getattr(box, f) for f in FIELDS},
        "id": box.id,
        "password_set": bool(box.password_encrypted),
        "uidvalidity": box.uidvalidity,
        "last_uid": box.last_uid,
        "last_polled_at": box.last_polled_at,
        "last_error": box.last_error,
    }


def _saved(session: Session, box: ImapMailbox) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "a mailbox named {name!r} exists already", field="name", name=box.name
        ) from None


def create(
    session: Session, *, actor: Actor, data: dict[str, Any], secret_key: str, now: datetime
) -> ImapMailbox:
    _ensure_admin(actor)
    box = ImapMailbox(
        **{f: data[f] for f in FIELDS if f in data},
        password_encrypted=secrets.encrypt(secret_key, data["password"]),
        last_uid=0, last_error="", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(box)
    _saved(session, box)
    audit.created(session, actor, box, at=now)
    return box


def get(session: Session, *, actor: Actor, mailbox_id: int) -> ImapMailbox:
    _ensure_admin(actor)
    box = repository.mailbox(session, mailbox_id)
    if box is None:
        raise NotFound("mailbox {mailbox_id} not found", field="mailbox_id", mailbox_id=mailbox_id)
    return box


def list_all(session: Session, *, actor: Actor) -> Sequence[ImapMailbox]:
    _ensure_admin(actor)
    return repository.mailboxes(session, active_only=False)


def update(
    session: Session,
    *,
    actor: Actor,
    mailbox_id: int,
    changes: dict[str, Any],
    secret_key: str,
    now: datetime,
) -> ImapMailbox:
    box = get(session, actor=actor, mailbox_id=mailbox_id)
    before = audit.snapshot(box)
    for field in FIELDS:
        if field in changes:
            setattr(box, field, changes[field])
    if changes.get("password"):
        box.password_encrypted = secrets.encrypt(secret_key, changes["password"])
    if {"host", "port", "username", "folder"} & changes.keys():
        box.uidvalidity, box.last_uid = None, 0  # another mailbox: read it from its start
    box.updated_at = now
    _saved(session, box)
    audit.updated(session, actor, box, before, at=now)
    return box


@dataclass(frozen=True)
class ConnectionCheck:
    """The answer of a connection test: the folder's size, or what failed (as the server or
    the network said it; ``last_error`` of a poll reads the same)."""

    ok: bool
    messages: int | None
    error: str


def check_connection(
    session: Session, *, actor: Actor, mailbox_id: int, secret_key: str
) -> ConnectionCheck:
    """Log in to the mailbox with its stored password and open its folder, as the worker's
    poll does, without reading or storing anything (admins)."""
    box = get(session, actor=actor, mailbox_id=mailbox_id)
    try:
        password = secrets.decrypt(secret_key, box.password_encrypted)
    except ValueError as exc:
        return ConnectionCheck(False, None, str(exc))
    try:
        count = imap_poll.try_login(
            host=box.host, port=box.port, tls=box.tls, username=box.username,
            password=password, folder=box.folder,
        )  # fmt: skip
    except (IMAPClientError, OSError) as exc:
        return ConnectionCheck(False, None, f"{type(exc).__name__}: {exc}"[:2000])
    return ConnectionCheck(True, count, "")


def delete(session: Session, *, actor: Actor, mailbox_id: int, now: datetime) -> None:
    box = get(session, actor=actor, mailbox_id=mailbox_id)
    audit.record(
        session, actor=actor, action="deleted", entity=box, before=audit.snapshot(box),
        after=None, at=now,
    )  # fmt: skip
    session.delete(box)
    session.flush()
