from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.audit import record as audit
from atende.auth.access import ensure_supervisor
from atende.auth.actor import Actor
from atende.calendars import service as calendar_service
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.queues import repository
from atende.queues.models import Queue


def _check_members(session: Session, user_ids: list[int]) -> None:
    for uid in user_ids:
        user = session.get(User, uid)
        if user is None or user.role == "contact":
            raise ValidationFailed("user {uid} is not a staff user", field="member_ids", uid=uid)


def create_queue(session: Session, *, actor: Actor, data: dict[str, Any]) -> Queue:
    ensure_supervisor(actor)
    if repository.queue_by_name(session, data["name"]):
        raise Conflict("a queue named {name!r} already exists", field="name", name=data["name"])
    members = data.pop("member_ids", [])
    _check_members(session, members)
    _check_calendar(session, data.get("calendar_id"))
    if data.get("triage"):
        _clear_triage(session, actor)
    queue = Queue(**data)
    session.add(queue)
    session.flush()
    repository.set_members(session, queue.id, members)
    session.flush()  # the answer lists the members
    audit.created(session, actor, queue, extra={"member_ids": sorted(set(members))})
    return queue


def _clear_triage(session: Session, actor: Actor) -> None:
    """No queue is the triage queue any more (another is being marked): audited."""
    current = repository.triage_queue(session)
    if current is None:
        return
    before = audit.snapshot(current)
    current.triage = False
    session.flush()  # before the other is marked: at most one triage queue (a unique index)
    audit.updated(session, actor, current, before)


def update_queue(
    session: Session, *, actor: Actor, queue_id: int, changes: dict[str, Any]
) -> Queue:
    ensure_supervisor(actor)
    queue = get_queue(session, actor=actor, queue_id=queue_id)
    memberships = changes.get("member_ids") is not None
    members = repository.members_by_queue(session, [queue.id])[queue.id] if memberships else None
    before = audit.snapshot(queue, {"member_ids": members} if memberships else None)
    if changes.get("name"):
        other = repository.queue_by_name(session, changes["name"])
        if other is not None and other.id != queue.id:
            raise Conflict(
                "a queue named {name!r} already exists", field="name", name=changes["name"]
            )
        queue.name = changes["name"]
    if changes.get("description") is not None:
        queue.description = changes["description"]
    if changes.get("member_ids") is not None:
        _check_members(session, changes["member_ids"])
        repository.set_members(session, queue.id, changes["member_ids"])
    if "assignment_mode" in changes:
        if changes["assignment_mode"] is None:
            raise ValidationFailed("assignment_mode may not be null", field="assignment_mode")
        queue.assignment_mode = changes["assignment_mode"]
    if "calendar_id" in changes:
        _check_calendar(session, changes["calendar_id"])
        queue.calendar_id = changes["calendar_id"]
    if changes.get("triage") is True and not queue.triage:
        _clear_triage(session, actor)
        queue.triage = True
    elif changes.get("triage") is False and queue.triage:
        raise ValidationFailed(
            "a triage queue is needed: mark another queue as triage instead", field="triage"
        )
    for key in ("default_max_open_tickets", "default_max_chats"):
        if key in changes:
            setattr(queue, key, changes[key])
    session.flush()
    after = {"member_ids": sorted(set(changes["member_ids"]))} if memberships else None
    audit.updated(session, actor, queue, before, extra=after)
    return queue


def _check_calendar(session: Session, calendar_id: int | None) -> None:
    if calendar_id is not None and not calendar_service.calendar_exists(session, calendar_id):
        raise ValidationFailed(
            "calendar {calendar_id} does not exist", field="calendar_id", calendar_id=calendar_id
        )


def get_queue(session: Session, *, actor: Actor, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id) if actor.is_staff else None
    if queue is None:
        raise NotFound("queue {queue_id} not found", queue_id=queue_id)
    return queue


def view(session: Session, queues: list[Queue]) -> list[dict[str, Any]]:
    members = repository.members_by_queue(session, [q.id for q in queues])
    return [
        {
            "id": q.id,
            "name": q.name,
            "description": q.description,
            "member_ids": members[q.id],
            "assignment_mode": q.assignment_mode,
            "calendar_id": q.calendar_id,
            "default_max_open_tickets": q.default_max_open_tickets,
            "default_max_chats": q.default_max_chats,
            "triage": q.triage,
            "created_at": q.created_at,
        }
        for q in queues
    ]
