from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from atende.agents.models import AgentPresence, User
from atende.auth.models import ApiToken, IdempotencyRecord, LoginAttempt, WebSession
from atende.queues.models import QueueMember


def token_with_user(
    session: Session, token_hash: str
) -> tuple[ApiToken, User, AgentPresence | None] | None:
    """The token, its user and the user's presence (one statement: every request needs them)."""
    row = session.execute(
        select(ApiToken, User, AgentPresence)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    ).first()
    return (row[0], row[1], row[2]) if row else None


def web_session_with_user(
    session: Session, session_hash: str, now: datetime
) -> tuple[WebSession, User, AgentPresence | None] | None:
    row = session.execute(
        select(WebSession, User, AgentPresence)
        .join(User, User.id == WebSession.user_id)
        .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        .where(WebSession.session_hash == session_hash, WebSession.expires_at > now)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def delete_web_session(session: Session, session_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.session_hash == session_hash))


def delete_web_sessions_of(session: Session, user_id: int, *, but: str | None = None) -> None:
    """Every web session of the user, except the one whose hash is ``but``."""
    condition = [WebSession.user_id == user_id]
    if but is not None:
        condition.append(WebSession.session_hash != but)
    session.execute(delete(WebSession).where(*condition))


def live_tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
    )


def queue_ids_of(session: Session, user_id: int) -> frozenset[int]:
    rows = session.scalars(select(QueueMember.queue_id).where(QueueMember.user_id == user_id))
    return frozenset(rows)


def failed_logins_since(session: Session, keys: list[str], since: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(LoginAttempt.key.in_(keys), LoginAttempt.at >= since)
        )
        or 0
    )


def record_failed_login(session: Session, keys: list[str], at: datetime) -> None:
    session.add_all(LoginAttempt(key=k, at=at) for k in keys)


def clear_failed_logins(session: Session, key: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


def prune_login_attempts(session: Session, before: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def idempotency_record(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
