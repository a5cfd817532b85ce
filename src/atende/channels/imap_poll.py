"""Polling IMAP mailboxes (imapclient): the new messages of each active mailbox become queued
inbound items, exactly as the SMTP receiver stores them.

Per mailbox and folder, the folder's UIDVALIDITY and the last UID stored are kept; a poll asks
for UIDs above it, fetches them with ``BODY.PEEK[]`` (the messages stay unread for the people
who also read that mailbox) in batches, and stores each batch and the new last UID in one
transaction. When UIDVALIDITY changes the folder is read again from its start; the provider id
(the Message-ID) makes every message already stored a no-op. A failure (network, login) is kept
on the mailbox (``last_error``) and the next poll tries again. A running worker watches each
mailbox with IDLE instead (``channels/imap_idle.py``) and polls only a server without it; a
worker run once (``atende worker --once``, tests) polls every ``ATENDE_IMAP_POLL_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy.orm import Session, sessionmaker

from atende.channels import pipeline, repository, secrets
from atende.channels.email_parse import provider_id
from atende.db.engine import transaction
from atende.settings import Settings

log = logging.getLogger("atende.imap")

FETCH_BATCH = 50
TIMEOUT_SECONDS = 30.0
CHECK_TIMEOUT_SECONDS = 10.0  # an admin waits for the answer of a connection test


@dataclass(frozen=True)
class Box:
    id: int
    host: str
    port: int
    tls: bool
    username: str
    password: str
    folder: str
    uidvalidity: int | None
    last_uid: int


def sweep(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Poll every active mailbox; returns how many new messages were stored."""
    with transaction(sessions) as session:
        ids = [box.id for box in repository.mailboxes(session, active_only=True)]
    return sum(poll(sessions, box_id, settings=settings, now=now) for box_id in ids)


def poll(
    sessions: sessionmaker[Session], mailbox_id: int, *, settings: Settings, now: datetime
) -> int:
    box = load(sessions, mailbox_id, settings=settings, now=now)
    if box is None:
        return 0
    try:
        stored = _fetch_new(sessions, box, now=now)
    except (IMAPClientError, OSError) as exc:
        log.warning("mailbox %s (%s@%s): %s", box.id, box.username, box.host, exc)
        finish(sessions, box.id, now=now, error=describe(exc))
        return 0
    finish(sessions, box.id, now=now, error="")
    return stored


def load(
    sessions: sessionmaker[Session], mailbox_id: int, *, settings: Settings, now: datetime
) -> Box | None:
    """The mailbox's connection and bookmark, its password decrypted; None when it is gone,
    inactive, or its password cannot be read (that is kept on the mailbox)."""
    with transaction(sessions) as session:
        found = repository.mailbox(session, mailbox_id)
        if found is None or not found.active:
            return None
        try:
            password = secrets.decrypt(settings.resolved_secret_key, found.password_encrypted)
        except ValueError as exc:
            found.last_error, found.last_polled_at = str(exc), now
            return None
        return Box(found.id, found.host, found.port, found.tls, found.username, password,
                   found.folder, found.uidvalidity, found.last_uid)  # fmt: skip


def describe(exc: BaseException) -> str:
    """A failure as kept on the mailbox (``last_error``)."""
    return f"{type(exc).__name__}: {exc}"[:2000]


def connect(box: Box) -> tuple[IMAPClient, int]:
    """Log in and open the folder read-only: (the client, the folder's UIDVALIDITY)."""
    client = IMAPClient(box.host, port=box.port, ssl=box.tls, timeout=TIMEOUT_SECONDS)
    try:
        client.login(box.username, box.password)
        selected = client.select_folder(box.folder, readonly=True)
    except BaseException:
        logout(client)
        raise
    return client, int(selected[b"UIDVALIDITY"])


def logout(client: IMAPClient) -> None:
    with contextlib.suppress(IMAPClientError, OSError):
        client.logout()


def _fetch_new(sessions: sessionmaker[Session], box: Box, *, now: datetime) -> int:
    client, uidvalidity = connect(box)
    try:
        return fetch_new(client, sessions, box.id, uidvalidity, now=now)
    finally:
        logout(client)


def bookmark(sessions: sessionmaker[Session], box_id: int) -> tuple[int | None, int] | None:
    """The mailbox's stored (UIDVALIDITY, last UID); None when it is gone."""
    with transaction(sessions) as session:
        found = repository.mailbox(session, box_id)
        return None if found is None else (found.uidvalidity, found.last_uid)


def fetch_new(
    client: IMAPClient,
    sessions: sessionmaker[Session],
    box_id: int,
    uidvalidity: int,
    *,
    now: datetime,
) -> int:
    """Store the messages above the stored last UID of the selected folder (``BODY.PEEK[]``,
    in batches; each batch and the new last UID in one transaction): how many were new."""
    mark = bookmark(sessions, box_id)
    if mark is None:
        return 0
    last = mark[1] if uidvalidity == mark[0] else 0
    stored = 0
    uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
    if not uids:
        _advance(sessions, box_id, uidvalidity, last)
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        with transaction(sessions) as session:
            for uid in batch:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if not isinstance(raw, bytes):
                    continue
                _, created = pipeline.store(
                    session, kind="email", channel=f"imap:{box_id}",
                    provider_id=provider_id(raw), raw=raw, now=now,
                )  # fmt: skip
                stored += created
            _advance_in(session, box_id, uidvalidity, batch[-1])
    return stored


def try_login(*, host: str, port: int, tls: bool, username: str, password: str, folder: str) -> int:
    """Connect, log in and open ``folder`` read-only as a poll would, then log out: how many
    messages the folder holds. Raises IMAPClientError or OSError saying what failed; reads and
    changes nothing (the admin pages' "test the connection")."""
    client = IMAPClient(host, port=port, ssl=tls, timeout=CHECK_TIMEOUT_SECONDS)
    try:
        client.login(username, password)
        selected = client.select_folder(folder, readonly=True)
        return int(selected.get(b"EXISTS", 0))
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()


def _advance(sessions: sessionmaker[Session], box_id: int, uidvalidity: int, last: int) -> None:
    with transaction(sessions) as session:
        _advance_in(session, box_id, uidvalidity, last)


def _advance_in(session: Session, box_id: int, uidvalidity: int, last: int) -> None:
    box = repository.mailbox(session, box_id, for_update=True)
    if box is None:
        return
    if box.uidvalidity != uidvalidity:
        box.uidvalidity, box.last_uid = uidvalidity, 0
    box.last_uid = max(box.last_uid, last)


def finish(sessions: sessionmaker[Session], box_id: int, *, now: datetime, error: str) -> None:
    with transaction(sessions) as session:
        box = repository.mailbox(session, box_id, for_update=True)
        if box is not None:
            box.last_polled_at, box.last_error = now, error
