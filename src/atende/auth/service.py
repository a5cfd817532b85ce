"""Logins, API tokens and browser sessions. Secrets are stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.audit import record as audit
from atende.auth import repository
from atende.auth.actor import Actor
from atende.auth.models import ApiToken, WebSession
from atende.auth.passwords import check_new_password, hash_password, verify_password
from atende.customers.models import Contact
from atende.db import cache as db_cache
from atende.domain.errors import DomainError, NotFound, ValidationFailed

TOKEN_PREFIX = "atd_"  # noqa: S105 - a public prefix, not a secret


class AuthenticationFailed(DomainError):
    status = 401
    code = "authentication_failed"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_for(session: Session, user: User) -> Actor:
    organization_id = None
    if user.contact_id is not None:
        contact = session.get(Contact, user.contact_id)
        organization_id = contact.organization_id if contact else None
    queue_ids = repository.queue_ids_of(session, user.id) if user.role == "agent" else frozenset()
    return Actor(
        user_id=user.id,
        role=user.role,
        name=user.name,
        email=user.email,
        contact_id=user.contact_id,
        organization_id=organization_id,
        queue_ids=queue_ids,
        timezone=user.timezone,
        locale=user.locale,
    )


def create_token(
    session: Session, *, user: User, name: str, now: datetime, actor: Actor | None = None
) -> tuple[ApiToken, str]:
    """A new token; the plain secret is returned once and never stored (nor audited).
    ``actor``: who made it (the user by default)."""
    if not user.active:
        raise ValidationFailed("user {email} is inactive", field="email", email=user.email)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:120],
        token_hash=digest(secret),
        prefix=secret[:12],
        created_at=now,
    )
    session.add(token)
    session.flush()
    audit.created(session, actor or actor_for(session, user), token, at=now)
    return token, secret


@dataclass(frozen=True)
class _KnownToken:
    actor: Actor
    recheck_at: datetime


# A token seen in this process is not read again for a minute, unless a user, token, queue
# membership or contact changed meanwhile (atende/db/cache.py: revocation is exact). The
# minute keeps the activity stamps (token last use, agent presence) as fresh as they were.
_RECHECK = timedelta(seconds=60)


def authenticate_token(session: Session, secret: str, now: datetime) -> Actor:
    if not secret:
        raise AuthenticationFailed("unknown, revoked or malformed API token")
    token_hash = digest(secret)
    known = db_cache.lookup(session, ("api_token", token_hash))
    if isinstance(known, _KnownToken) and known.recheck_at > now:
        return known.actor
    found = repository.token_with_user(session, token_hash)
    if found is None or not found[1].active:
        raise AuthenticationFailed("unknown, revoked or malformed API token")
    token, user, presence = found
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, to keep reads from writing on every call
    _seen(presence, now)
    actor = actor_for(session, user)
    db_cache.store(session, ("api_token", token_hash), _KnownToken(actor, now + _RECHECK))
    return actor


def _seen(presence: Any, now: datetime) -> None:
    """A staff member's request is activity: it keeps their presence from expiring (written at
    most once a minute; the row came with the authentication query, so no extra read)."""
    if presence is not None:
        _touch_presence(presence, now)


PRESENCE_TOUCH_EVERY = timedelta(minutes=1)


def _touch_presence(row: Any, now: datetime) -> None:
    """Keep ``last_seen_at`` of a (loaded) presence row within a minute of now."""
    if row.status == "offline":
        return
    if row.last_seen_at is not None and now - row.last_seen_at < PRESENCE_TOUCH_EVERY:
        return
    row.last_seen_at = now


def actor_from_authorization(session: Session, header: str, now: datetime) -> Actor:
    """The actor behind an ``Authorization: Bearer <token>`` header value, or 401."""
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationFailed("missing bearer token: send 'Authorization: Bearer <token>'")
    return authenticate_token(session, secret.strip(), now)


def bearer_digest(header: str) -> str | None:
    """The digest of the token an ``Authorization: Bearer`` header carries (to recognise the
    credential a request was made with), None without one."""
    scheme, _, secret = header.partition(" ")
    return digest(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None


def end_other_credentials(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    now: datetime,
    keep_token: str | None = None,
    keep_web_session: str | None = None,
) -> None:
    """After a password change: every web session of the user ends and every API token is
    revoked, except the credential the change was made with (``keep_token``: a token's digest,
    ``keep_web_session``: a session's), which stays signed in."""
    repository.delete_web_sessions_of(session, user_id, but=keep_web_session)
    for token in repository.live_tokens_of(session, user_id):
        if token.token_hash != keep_token:
            before = audit.snapshot(token)
            token.revoked_at = now  # a watched row: every process's copy forgets it (db/cache)
            audit.updated(session, actor, token, before, at=now, action="revoked")


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    actor: Actor,
    now: datetime,
    keep_token: str | None = None,
    keep_web_session: str | None = None,
    field: str = "password",
) -> None:
    """Check the new password against the rules (auth/passwords.py), store its hash and end
    the user's other sessions and tokens."""
    check_new_password(password, name=user.name, email=user.email, field=field)
    user.password_hash = hash_password(password)
    end_other_credentials(
        session,
        actor=actor,
        user_id=user.id,
        now=now,
        keep_token=keep_token,
        keep_web_session=keep_web_session,
    )


def change_own_password(
    session: Session,
    *,
    actor: Actor,
    current: str,
    new: str,
    now: datetime,
    keep_token: str | None,
    max_attempts: int,
    window: timedelta,
) -> DomainError | None:
    """A user changes their own password, proving they know the current one. A wrong current
    password is counted (``max_attempts`` per ``window``, then 429) and *returned*, not
    raised, so that the caller commits the count before it answers the error."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise AuthenticationFailed("this credential belongs to no user")
    key = f"password:{user.id}"
    if repository.failed_logins_since(session, [key], now - window) >= max_attempts:
        raise TooManyAttempts("too many wrong current passwords; wait a few minutes")
    if not verify_password(current, user.password_hash):
        repository.record_failed_login(session, [key], now)
        return ValidationFailed("is not your current password", field="current_password")
    if new == current:
        raise ValidationFailed("is the current password; choose a new one", field="new_password")
    repository.clear_failed_logins(session, key)
    before = audit.snapshot(user)
    set_password(
        session, user, new, actor=actor, now=now, keep_token=keep_token, field="new_password"
    )
    audit.updated(session, actor, user, before, at=now)
    return None


def revoke_token(session: Session, *, actor: Actor, token_id: int, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound("token {token_id} not found", token_id=token_id)
    if token.revoked_at is not None:
        return
    before = audit.snapshot(token)
    token.revoked_at = now
    audit.updated(session, actor, token, before, at=now, action="revoked")


def _pair_key(client: str, account: str) -> str:
    """The throttle key of one client address trying one account (hashed: the key column
    holds 300 characters, an e-mail up to 254)."""
    return "pair:" + digest(f"{client}\n{account}")


def login(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    now: datetime,
    max_attempts: int,
    window: timedelta,
    session_days: int,
) -> tuple[WebSession, str, User]:
    """Check a password, throttled by client address: a client that failed ``max_attempts``
    times on this account, or ``4 * max_attempts`` times on any accounts, within ``window`` is
    refused (429) even the right password until the window has passed. The account itself is
    never locked: the right password from a client that has not been failing always gets in,
    so nobody can lock another person out by failing on purpose (docs/security.md).

    Unknown e-mails and wrong passwords get the same answer and cost the same time.
    """
    account = email.strip().lower()
    pair_key = _pair_key(client, account)
    client_key = "client:" + client
    since = now - window
    if (
        repository.failed_logins_since(session, [pair_key], since) >= max_attempts
        or repository.failed_logins_since(session, [client_key], since) >= max_attempts * 4
    ):
        raise TooManyAttempts("too many failed logins; wait a few minutes and try again")
    user = repository.user_by_email(session, email.strip())
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        repository.record_failed_login(session, [pair_key, client_key], now)
        raise AuthenticationFailed("e-mail or password is wrong")
    repository.clear_failed_logins(session, pair_key)
    repository.prune_login_attempts(session, since)
    secret = secrets.token_urlsafe(32)
    web = WebSession(
        user_id=user.id,
        session_hash=digest(secret),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(days=session_days),
    )
    session.add(web)
    session.flush()
    return web, secret, user


def session_actor(session: Session, secret: str, now: datetime) -> tuple[Actor, WebSession] | None:
    found = repository.web_session_with_user(session, digest(secret), now) if secret else None
    if found is None or not found[1].active:
        return None
    web, user, presence = found
    _seen(presence, now)
    return actor_for(session, user), web


def logout(session: Session, secret: str) -> None:
    repository.delete_web_session(session, digest(secret))
