"""Agent presence: online, paused (with a reason from the admins' list) or offline.

There is no invisible state (seed 004: agents never go invisible, they set a pause). Every change
closes the agent's current ``PresenceLog`` period and opens the next one, with its cause (the
agent, ``session expired``, ``absence``, ``logout``), for pause and occupancy reports.

Effects of a change (same transaction):

* paused or offline: the agent's chats nobody has answered yet go back to the front of their
  queue (``routing.service.requeue_unanswered_chats``) and are handed out at once in
  auto-assign queues; tickets already in progress stay with the agent;
* online: the agent's auto-assign queues hand out their waiting tickets at once.

Activity (``touch``) keeps ``last_seen_at`` within a minute; the worker's idle sweep
(``workflows/sweeps.py``) sets agents not seen for ``presence_timeout_minutes`` offline
(docs/routing.md).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.agents.models import PRESENCE_STATUSES, AgentPresence, PauseReason, PresenceLog
from atende.audit import record as audit
from atende.auth.access import ensure_admin, ensure_staff, ensure_supervisor
from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.queues import line as queue_line
from atende.queues import repository as queue_repository
from atende.routing import presence_repository
from atende.routing import repository as routing_repository
from atende.routing import service as routing_service
from atende.tickets.events import Settle

log = logging.getLogger("atende.routing")

TOUCH_EVERY: Final = timedelta(minutes=1)
DEFAULT_TIMEOUT_MINUTES: Final = 30
IDLE_SWEEP_LIMIT: Final = 500
SESSION_EXPIRED: Final = "session expired"
AWAY: Final = ("paused", "offline")


# --- changing presence ----------------------------------------------------------------------


def set_presence(
    session: Session,
    *,
    actor: Actor,
    status: str,
    reason: str | None,
    now: datetime,
    settle: Settle,
    cause: str = "agent",
) -> AgentPresence:
    """The calling staff member's new status. ``paused`` needs an active reason from the
    list; ``online`` and ``offline`` take none. Setting the current status again changes
    nothing."""
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff members have a presence")
    if status not in PRESENCE_STATUSES:
        raise ValidationFailed(
            "unknown status {status!r}: one of {presence_statuses} "
            "(there is no invisible state: pause with a reason instead)",
            field="status",
            status=status,
            presence_statuses=", ".join(PRESENCE_STATUSES),
        )
    reason = (reason or "").strip() or None
    if status == "paused":
        reason = _valid_reason(session, reason)
    elif reason is not None:
        raise ValidationFailed(
            "only a pause takes a reason, not {status!r}", field="reason", status=status
        )
    current = presence_repository.presence_of(session, actor.user_id)
    if current is None and status == "offline":
        return AgentPresence(user_id=actor.user_id, status="offline", reason=None)
    if current is not None and (current.status, current.reason) == (status, reason):
        touch(session, actor.user_id, now)
        return current
    row = _locked_row(session, actor.user_id, now=now)
    row.last_seen_at = now  # changing one's status is activity (and restarts the idle clock)
    return _change(
        session, row, name=actor.label, status=status, reason=reason, now=now, cause=cause,
        settle=settle,
    )  # fmt: skip


def _valid_reason(session: Session, given: str | None) -> str:
    """The canonical name of an active pause reason, or 422 naming the allowed ones."""
    allowed = [r.name for r in presence_repository.reasons(session, include_inactive=False)]
    if not allowed:
        raise ValidationFailed(
            "no pause reasons are defined yet: an admin adds them (POST /api/v1/pause-reasons)",
            field="reason",
        )
    found = presence_repository.reason_by_name(session, given) if given else None
    if found is None or not found.active:
        if given is None:
            raise ValidationFailed(
                "a pause needs a reason; one of: {allowed}",
                field="reason",
                allowed=", ".join(allowed),
            )
        raise ValidationFailed(
            "unknown pause reason {given!r}; one of: {allowed}",
            field="reason",
            given=given,
            allowed=", ".join(allowed),
        )
    return found.name


def _locked_row(session: Session, user_id: int, *, now: datetime) -> AgentPresence:
    row = queue_repository.lock_presence(session, user_id)
    if row is None:
        presence_repository.insert_presence(session, user_id, now=now)
        row = queue_repository.lock_presence(session, user_id)
    assert row is not None  # inserted just above (or by a concurrent transaction)
    return row


def _change(
    session: Session,
    row: AgentPresence,
    *,
    name: str,
    status: str,
    reason: str | None,
    now: datetime,
    cause: str,
    settle: Settle,
) -> AgentPresence:
    """Move the (locked) row to ``status``: close the log period, open the next, and carry
    out the effects on the agent's chats and queues."""
    if row.status == status and row.reason == reason:
        return row
    period = presence_repository.open_period(session, row.user_id)
    if period is not None:
        period.ended_at = max(now, period.started_at)
    session.add(
        PresenceLog(
            user_id=row.user_id, status=status, reason=reason, started_at=now, cause=cause[:40]
        )
    )
    row.status, row.reason, row.since = status, reason, now
    session.flush()
    settle.presence(
        user_id=row.user_id, name=name, status=status, reason=reason, since=now, cause=cause
    )
    if status == "online":
        queue_ids = routing_repository.queue_ids_of(session, row.user_id)
    else:
        why = {
            "paused": f"{name} paused ({reason})",
            "offline": f"{name} went offline" + ("" if cause == "agent" else f" ({cause})"),
        }[status]
        moved = routing_service.requeue_unanswered_chats(
            session, user_id=row.user_id, now=now, why=why, settle=settle
        )
        queue_ids = presence_repository.queue_ids_of_tickets(session, moved)
    if queue_ids:
        settle.dispatch(sorted(set(queue_ids)))
    return row


def set_offline(
    session: Session, *, user_id: int, now: datetime, cause: str, settle: Settle
) -> bool:
    """The system sets an agent offline (logout, absence): same effects as the agent doing
    it. False when they were offline already."""
    current = presence_repository.presence_of(session, user_id)
    if current is None or current.status == "offline":
        return False
    row = _locked_row(session, user_id, now=now)
    user = presence_repository.user(session, user_id)
    name = user.name if user is not None else f"user {user_id}"
    _change(
        session, row, name=name, status="offline", reason=None, now=now, cause=cause,
        settle=settle,
    )  # fmt: skip
    return True


def touch(session: Session, user_id: int, now: datetime) -> None:
    """Record activity: ``last_seen_at`` moves at most once a minute per user (no write
    otherwise), and only for an online or paused agent (nothing expires when offline)."""
    touch_row(presence_repository.presence_of(session, user_id), now)


def touch_row(row: AgentPresence | None, now: datetime) -> None:
    """:func:`touch` on a presence row already loaded (authentication loads it)."""
    if row is None or row.status == "offline":
        return
    if row.last_seen_at is not None and now - row.last_seen_at < TOUCH_EVERY:
        return
    row.last_seen_at = now


def idle_user_ids(
    session: Session, *, now: datetime, timeout_minutes: int, limit: int
) -> list[int]:
    """Online or paused agents not seen for ``timeout_minutes`` (the idle sweep's candidates)."""
    cutoff = now - timedelta(minutes=timeout_minutes)
    return list(presence_repository.idle_user_ids(session, cutoff=cutoff, limit=limit))


def expire_idle_one(
    session: Session, user_id: int, *, now: datetime, timeout_minutes: int, settle: Settle
) -> bool:
    """An agent not seen for ``timeout_minutes`` goes offline (cause ``session expired``);
    False when seen meanwhile, or swept by another worker."""
    cutoff = now - timedelta(minutes=timeout_minutes)
    postgres = session.get_bind().dialect.name == "postgresql"
    row = presence_repository.lock_idle(session, user_id, cutoff=cutoff, skip_locked=postgres)
    if row is None:
        return False
    user = presence_repository.user(session, user_id)
    name = user.name if user is not None else f"user {user_id}"
    _change(
        session, row, name=name, status="offline", reason=None, now=now, cause=SESSION_EXPIRED,
        settle=settle,
    )  # fmt: skip
    return True


# --- reading presence -----------------------------------------------------------------------


def presence_view(row: AgentPresence | None, user_id: int) -> dict[str, Any]:
    if row is None:
        return {
            "user_id": user_id,
            "status": "offline",
            "reason": None,
            "since": None,
            "last_seen_at": None,
        }
    return {
        "user_id": user_id,
        "status": row.status,
        "reason": row.reason,
        "since": row.since,
        "last_seen_at": row.last_seen_at,
    }


def my_presence(session: Session, *, actor: Actor) -> dict[str, Any]:
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only staff members have a presence")
    return presence_view(presence_repository.presence_of(session, actor.user_id), actor.user_id)


def presence_board(session: Session, *, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """For supervisors: every active staff member with their status (offline when never set),
    since when and why, last activity, load against capacity, and whether they are absent."""
    ensure_supervisor(actor)
    people = presence_repository.active_staff(session)
    ids = [u.id for u in people]
    rows = queue_repository.presence(session, ids)
    loads = queue_line.loads(session, ids)
    absent = queue_repository.absent_user_ids(session, ids, now)
    board = []
    for user in people:
        load = loads[user.id]
        board.append(
            {
                **presence_view(rows.get(user.id), user.id),
                "name": user.name,
                "role": user.role,
                "open_tickets": load.open_tickets,
                "max_open_tickets": load.max_open_tickets,
                "over_capacity": load.max_open_tickets is not None
                and load.open_tickets > load.max_open_tickets,
                "chats": load.chats,
                "max_chats": load.max_chats,
                "absent": user.id in absent,
            }
        )
    return board


def presence_log(
    session: Session,
    *,
    actor: Actor,
    user_id: int | None,
    start: datetime | None,
    end: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[PresenceLog]:
    """Presence periods (newest first) for pause and occupancy reports: supervisors see
    everyone's, an agent their own."""
    ensure_staff(actor)
    if actor.role == "agent":
        if user_id is not None and user_id != actor.user_id:
            raise PermissionDenied("agents see their own presence log only", field="user_id")
        user_id = actor.user_id
    if start is not None and end is not None and end <= start:
        raise ValidationFailed("'to' must come after 'from'", field="to")
    return list(
        presence_repository.log_page(
            session, user_id=user_id, start=start, end=end, before_id=before_id, limit=limit
        )
    )


# --- pause reasons --------------------------------------------------------------------------


def list_reasons(
    session: Session, *, actor: Actor, include_inactive: bool = False
) -> list[PauseReason]:
    ensure_staff(actor)
    return list(presence_repository.reasons(session, include_inactive=include_inactive))


def create_reason(session: Session, *, actor: Actor, name: str, now: datetime) -> PauseReason:
    ensure_admin(actor)
    name = _reason_name(name)
    if presence_repository.reason_by_name(session, name) is not None:
        raise Conflict("a pause reason named {name!r} already exists", field="name", name=name)
    row = PauseReason(name=name, active=True, created_at=now)
    session.add(row)
    session.flush()
    audit.created(session, actor, row, at=now)
    return row


def update_reason(
    session: Session, *, actor: Actor, reason_id: int, changes: dict[str, Any]
) -> PauseReason:
    """Rename or (de)activate a reason. Agents paused with it stay paused; the log keeps the
    name they paused with."""
    ensure_admin(actor)
    row = presence_repository.reason(session, reason_id)
    if row is None:
        raise NotFound("pause reason {reason_id} not found", reason_id=reason_id)
    for key in ("name", "active"):
        if key in changes and changes[key] is None:
            raise ValidationFailed("{key} may not be null", field=key, key=key)
    before = audit.snapshot(row)
    if "name" in changes:
        name = _reason_name(changes["name"])
        other = presence_repository.reason_by_name(session, name)
        if other is not None and other.id != row.id:
            raise Conflict("a pause reason named {name!r} already exists", field="name", name=name)
        row.name = name
    if "active" in changes:
        row.active = bool(changes["active"])
    session.flush()
    audit.updated(session, actor, row, before)
    return row


def _reason_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("a pause reason needs a name", field="name")
    return name
