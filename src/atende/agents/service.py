"""Staff users and portal users: creation, changes, and the last-admin guard."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from atende.agents import repository
from atende.agents.models import User
from atende.audit import record as audit
from atende.auth import service as auth_service
from atende.auth.access import ensure_admin, ensure_staff
from atende.auth.actor import Actor
from atende.auth.passwords import check_new_password, hash_password
from atende.customers.models import Contact
from atende.db.base import utcnow
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.queues.models import Queue


def _check_timezone(tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("unknown timezone {tz!r}", field="timezone", tz=tz) from exc


def _check_queues(session: Session, queue_ids: list[int]) -> None:
    for qid in queue_ids:
        if session.get(Queue, qid) is None:
            raise ValidationFailed("queue {qid} does not exist", field="queue_ids", qid=qid)


def create_user(session: Session, *, actor: Actor, data: dict[str, Any]) -> User:
    ensure_admin(actor)
    email = str(data["email"]).lower()
    if repository.user_by_email(session, email):
        raise Conflict("a user with e-mail {email} already exists", field="email", email=email)
    _check_timezone(data.get("timezone", "America/Sao_Paulo"))
    role = data.get("role", "agent")
    contact_id = data.get("contact_id")
    if role == "contact":
        if contact_id is None or session.get(Contact, contact_id) is None:
            raise ValidationFailed(
                "a contact user needs an existing contact_id", field="contact_id"
            )
    elif contact_id is not None:
        raise ValidationFailed("only role 'contact' links to a contact", field="contact_id")
    queue_ids = list(data.get("queue_ids") or [])
    _check_queues(session, queue_ids)
    password = data.get("password")
    if password:
        check_new_password(password, name=data["name"], email=email)
    user = User(
        name=data["name"],
        email=email,
        role=role,
        password_hash=hash_password(password) if password else None,
        contact_id=contact_id,
        timezone=data.get("timezone", "America/Sao_Paulo"),
        locale=data.get("locale", "pt_BR"),
        active=True,
        max_open_tickets=data.get("max_open_tickets"),
        max_chats=data.get("max_chats"),
    )
    session.add(user)
    session.flush()
    if queue_ids:
        repository.set_user_queues(session, user.id, queue_ids)
    audit.created(session, actor, user, extra={"queue_ids": sorted(set(queue_ids))})
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    changes: dict[str, Any],
    now: datetime | None = None,
    keep_token: str | None = None,
) -> User:
    """Change a user (admins). A new password must follow the rules (auth/passwords.py) and
    ends the user's web sessions and API tokens, except ``keep_token`` (the digest of the
    token the request came with) when admins change their own."""
    ensure_admin(actor)
    user = get_user(session, actor=actor, user_id=user_id)
    memberships = changes.get("queue_ids") is not None
    before = audit.snapshot(user, {"queue_ids": _queue_ids(session, user)} if memberships else None)
    demoting = "role" in changes and changes["role"] != "admin" and user.role == "admin"
    deactivating = changes.get("active") is False and user.active
    at_fault = "role" if demoting else "active"
    if (demoting or deactivating) and user.id == actor.user_id:
        raise Conflict("you cannot demote or deactivate your own account", field=at_fault)
    if (
        (demoting or deactivating)
        and user.role == "admin"
        and user.active
        and repository.active_admin_count(session) <= 1
    ):
        raise Conflict("the last active admin cannot be demoted or deactivated", field=at_fault)
    if "email" in changes and changes["email"] is not None:
        email = str(changes["email"]).lower()
        other = repository.user_by_email(session, email)
        if other is not None and other.id != user.id:
            raise Conflict("a user with e-mail {email} already exists", field="email", email=email)
        user.email = email
    if changes.get("role") == "contact" and user.contact_id is None:
        raise ValidationFailed("a staff user cannot become a contact user", field="role")
    if changes.get("role") in ("admin", "supervisor", "agent") and user.contact_id is not None:
        raise ValidationFailed("a contact user cannot become staff", field="role")
    if changes.get("timezone"):
        _check_timezone(changes["timezone"])
    for key in ("name", "role", "active", "timezone", "locale"):
        if changes.get(key) is not None:
            setattr(user, key, changes[key])
    for key in ("max_open_tickets", "max_chats"):  # null: back to the queues' default
        if key in changes:
            setattr(user, key, changes[key])
    if changes.get("password"):
        own = user.id == actor.user_id
        auth_service.set_password(
            session,
            user,
            changes["password"],
            actor=actor,
            now=now or utcnow(),
            keep_token=keep_token if own else None,
        )
    if changes.get("queue_ids") is not None:
        _check_queues(session, changes["queue_ids"])
        repository.set_user_queues(session, user.id, changes["queue_ids"])
    session.flush()
    after = {"queue_ids": sorted(set(changes["queue_ids"]))} if memberships else None
    audit.updated(session, actor, user, before, at=now, extra=after)
    return user


def _queue_ids(session: Session, user: User) -> list[int]:
    return repository.queue_ids_by_user(session, [user.id])[user.id]


def delete_user(session: Session, *, actor: Actor, user_id: int) -> None:
    ensure_admin(actor)
    user = get_user(session, actor=actor, user_id=user_id)
    if user.id == actor.user_id:
        raise Conflict("you cannot delete your own account")
    if user.role == "admin" and user.active and repository.active_admin_count(session) <= 1:
        raise Conflict("the last active admin cannot be deleted")
    audit.deleted(
        session, actor, user, audit.snapshot(user, {"queue_ids": _queue_ids(session, user)})
    )
    session.delete(user)
    session.flush()


def get_user(session: Session, *, actor: Actor, user_id: int) -> User:
    ensure_staff(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user {user_id} not found", user_id=user_id)
    return user
