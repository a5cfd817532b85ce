"""Vacation handover (seed 001): an absence (agent, from, to, substitute).

* While an absence is in force (from its start instant, even before the sweep has started it)
  no new assignment reaches the agent: auto-assignment and pulling skip them
  (``routing.repository.absent_user_ids``).
* At its start the worker's sweep (``absences_sweep``) moves every open ticket (new, open,
  pending_*) assigned to the agent to the substitute through the tickets service (timeline, SLA,
  rules and routing all see an assignee change by the system, which may exceed the substitute's
  capacity), adds an internal note to each, notifies the substitute, sets the agent offline
  and records the moved ids; the absence is then ``active``.
* At its end the absence is ``ended``; with ``return_tickets`` the moved tickets that are still
  open and still assigned to the substitute go back to the agent, with a note.
* Cancelling a scheduled absence drops it; cancelling an active one ends it now.

The notes are internal events, written in English like the other system notes on the timeline
(customer-facing text is Portuguese); dates are shown as DD/MM/YYYY HH:MM in the absent agent's
time zone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.agents.models import Absence, User
from atende.audit import record as audit
from atende.auth.access import ensure_staff, ensure_supervisor
from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, ValidationFailed
from atende.i18n import SITE_LOCALE, Text, notice
from atende.notifications import repository as notify_repository
from atende.notifications import service as notify_service
from atende.queues import line as queue_line
from atende.routing import presence, presence_repository
from atende.tickets.commands import change, message
from atende.tickets.events import Settle

log = logging.getLogger("atende.routing")

HANDOVER_ACTOR: Final = Actor(user_id=None, role="system", name="Vacation handover")
SWEEP_LIMIT: Final = 200
STATES: Final = ("scheduled", "active", "ended", "cancelled")


# --- use cases ------------------------------------------------------------------------------


def create_absence(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    starts_at: datetime,
    ends_at: datetime,
    substitute_id: int,
    return_tickets: bool,
    note: str,
    now: datetime,
) -> Absence:
    """Schedule an absence (supervisors and admins). The sweep starts it at ``starts_at``."""
    ensure_supervisor(actor)
    if ends_at <= starts_at:
        raise ValidationFailed("an absence must end after it starts", field="ends_at")
    if ends_at <= now:
        raise ValidationFailed("an absence must end in the future", field="ends_at")
    agent = presence_repository.active_staff_user(session, user_id)
    if agent is None:
        raise ValidationFailed(
            "user {user_id} is not an active staff member", field="user_id", user_id=user_id
        )
    if substitute_id == user_id:
        raise ValidationFailed("the substitute must be someone else", field="substitute_id")
    substitute = presence_repository.active_staff_user(session, substitute_id)
    if substitute is None:
        raise ValidationFailed(
            "user {substitute_id} is not an active staff member",
            field="substitute_id",
            substitute_id=substitute_id,
        )
    span = {"starts_at": starts_at, "ends_at": ends_at}
    clash = presence_repository.overlapping(session, user_id=user_id, as_substitute=False, **span)
    if clash is not None:
        raise Conflict(
            "{name} already has absence #{id} from {starts_at} to {ends_at}",
            field="starts_at",
            name=agent.name,
            id=clash.id,
            starts_at=_when(clash.starts_at, agent),
            ends_at=_when(clash.ends_at, agent),
        )
    covering = presence_repository.overlapping(session, user_id=user_id, as_substitute=True, **span)
    if covering is not None:
        raise Conflict(
            "{name} is the substitute in absence #{id} during that time",
            field="user_id",
            name=agent.name,
            id=covering.id,
        )
    away = presence_repository.overlapping(
        session, user_id=substitute_id, as_substitute=False, **span
    )
    if away is not None:
        raise Conflict(
            "the substitute {name} is absent then (absence #{id})",
            field="substitute_id",
            name=substitute.name,
            id=away.id,
        )
    absence = Absence(
        user_id=user_id,
        substitute_id=substitute_id,
        starts_at=starts_at,
        ends_at=ends_at,
        return_tickets=return_tickets,
        state="scheduled",
        moved_ticket_ids=[],
        note=note,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(absence)
    session.flush()
    audit.created(session, actor, absence, at=now)
    return absence


def list_absences(
    session: Session,
    *,
    actor: Actor,
    user_id: int | None = None,
    state: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Absence]:
    """Newest first. Supervisors and admins see every absence; an agent those where they are
    the absent agent or the substitute."""
    ensure_staff(actor)
    if state is not None and state not in STATES:
        raise ValidationFailed(
            "unknown state {state!r}; one of {states}",
            field="state",
            state=state,
            states=", ".join(STATES),
        )
    involving = actor.user_id if actor.role == "agent" else None
    return list(
        presence_repository.absence_page(
            session,
            involving=involving,
            user_id=user_id,
            state=state,
            before_id=before_id,
            limit=limit,
        )
    )


def get_absence(session: Session, *, actor: Actor, absence_id: int) -> Absence:
    ensure_staff(actor)
    absence = presence_repository.absence(session, absence_id)
    if absence is None or (
        actor.role == "agent" and actor.user_id not in (absence.user_id, absence.substitute_id)
    ):
        raise NotFound("absence {absence_id} not found", absence_id=absence_id)
    return absence


def cancel_absence(
    session: Session, *, actor: Actor, absence_id: int, now: datetime, settle: Settle
) -> Absence:
    """A scheduled absence is cancelled; an active one ends now (returning the tickets when
    asked to)."""
    ensure_supervisor(actor)
    absence = presence_repository.absence(session, absence_id, lock=True)
    if absence is None:
        raise NotFound("absence {absence_id} not found", absence_id=absence_id)
    before = audit.snapshot(absence)
    if absence.state == "scheduled":
        absence.state = "cancelled"
    elif absence.state == "active":
        absence.ends_at = max(now, absence.starts_at)
        _end(session, absence, now=now, settle=settle)
    else:
        raise Conflict(
            "absence #{id} is already {state}", field="state", id=absence.id, state=absence.state
        )
    session.flush()
    audit.updated(session, actor, absence, before, at=now)
    return absence


def absence_view(absence: Absence) -> dict[str, Any]:
    return {
        "id": absence.id,
        "user_id": absence.user_id,
        "substitute_id": absence.substitute_id,
        "starts_at": absence.starts_at,
        "ends_at": absence.ends_at,
        "return_tickets": absence.return_tickets,
        "state": absence.state,
        "moved_ticket_ids": [int(i) for i in absence.moved_ticket_ids or []],
        "note": absence.note,
        "created_by_id": absence.created_by_id,
        "created_at": absence.created_at,
    }


# --- the sweep ------------------------------------------------------------------------------


def due_absence_ids(session: Session, *, now: datetime) -> list[int]:
    """Absences whose start or end has come (the sweep's candidates)."""
    due = presence_repository.due_to_start(session, now=now, limit=SWEEP_LIMIT)
    return list(due) + list(presence_repository.due_to_end(session, now=now, limit=SWEEP_LIMIT))


def advance(
    session: Session, *, absence_id: int, now: datetime, settle: Settle, skip_locked: bool = False
) -> bool:
    """Start the absence if its start has come, or end it if its end has; in the caller's
    transaction (the sweep gives each absence its own; the demo loader calls it directly).
    False when there was nothing to do (not due, cancelled, or done by another worker)."""
    absence = presence_repository.absence(session, absence_id, lock=True, skip_locked=skip_locked)
    if absence is None:
        return False
    if absence.state == "scheduled" and absence.starts_at <= now:
        if absence.ends_at <= now:
            absence.state = "ended"  # wholly in the past: nothing to hand over
        else:
            _start(session, absence, now=now, settle=settle)
    elif absence.state == "active" and absence.ends_at <= now:
        _end(session, absence, now=now, settle=settle)
    else:
        return False
    session.flush()
    return True


def _start(session: Session, absence: Absence, *, now: datetime, settle: Settle) -> None:
    agent = presence_repository.user(session, absence.user_id)
    substitute = presence_repository.user(session, absence.substitute_id)
    agent_name = agent.name if agent is not None else f"user {absence.user_id}"
    sub_name = substitute.name if substitute is not None else f"user {absence.substitute_id}"
    until = _when(absence.ends_at, agent)
    moved: list[int] = []
    if substitute is not None and substitute.active:
        said = notice(
            "{agent} is away until {until}: ticket handed over to {substitute} (absence #{id}).",
            agent=agent_name, until=until, substitute=sub_name, id=absence.id,
        )  # fmt: skip
        note = said.render(SITE_LOCALE)
        if absence.note:
            note += " " + notice("Note: {note}", note=absence.note).render(SITE_LOCALE)
        for ticket_id in presence_repository.open_ticket_ids_of(session, absence.user_id):
            with queue_line.capacity_override(session):  # the handover must happen
                _, changes = change.update_ticket(
                    session,
                    actor=HANDOVER_ACTOR,
                    ticket_id=ticket_id,
                    changes={"assignee_id": absence.substitute_id},
                    now=now,
                )
                settle(changes)
            _, changes = message.add_message(
                session,
                actor=HANDOVER_ACTOR,
                ticket_id=ticket_id,
                body=note,
                public=False,
                now=now,
            )
            settle(changes)
            moved.append(ticket_id)
        if moved and substitute is not None:
            _notify(
                session,
                substitute,
                key=f"absence:{absence.id}:start",
                now=now,
                text=notice(
                    "{count} ticket(s) of {agent} handed over to you until {until}",
                    count=len(moved),
                    agent=agent_name,
                    until=absence.ends_at,
                ),
            )
            _warn_if_over_capacity(session, absence, substitute, moved=len(moved), now=now)
    else:
        log.warning(
            "absence %s: substitute %s is inactive; nothing handed over",
            absence.id,
            absence.substitute_id,
        )
    absence.moved_ticket_ids = moved
    absence.state = "active"
    presence.set_offline(session, user_id=absence.user_id, now=now, cause="absence", settle=settle)


def _end(session: Session, absence: Absence, *, now: datetime, settle: Settle) -> None:
    absence.state = "ended"
    if not absence.return_tickets or not absence.moved_ticket_ids:
        return
    agent = presence_repository.active_staff_user(session, absence.user_id)
    if agent is None:
        log.warning(
            "absence %s: user %s is no longer active staff; tickets stay with %s",
            absence.id,
            absence.user_id,
            absence.substitute_id,
        )
        return
    substitute = presence_repository.user(session, absence.substitute_id)
    sub_name = substitute.name if substitute is not None else f"user {absence.substitute_id}"
    note = notice(
        "{agent} is back: ticket returned from {substitute} (absence #{id}).",
        agent=agent.name, substitute=sub_name, id=absence.id,
    ).render(SITE_LOCALE)  # fmt: skip
    ids = [int(i) for i in absence.moved_ticket_ids]
    returned = presence_repository.returnable_ticket_ids(
        session, ids, substitute_id=absence.substitute_id
    )
    for ticket_id in returned:
        with queue_line.capacity_override(session):  # giving back what was theirs
            _, changes = change.update_ticket(
                session,
                actor=HANDOVER_ACTOR,
                ticket_id=ticket_id,
                changes={"assignee_id": absence.user_id},
                now=now,
            )
            settle(changes)
        _, changes = message.add_message(
            session, actor=HANDOVER_ACTOR, ticket_id=ticket_id, body=note, public=False, now=now
        )
        settle(changes)
    if returned:
        _notify(
            session,
            agent,
            key=f"absence:{absence.id}:return",
            now=now,
            text=notice(
                "Welcome back: {count} ticket(s) returned to you from {substitute}",
                count=len(returned),
                substitute=sub_name,
            ),
        )


def _warn_if_over_capacity(
    session: Session, absence: Absence, substitute: User, *, moved: int, now: datetime
) -> None:
    """The handover must happen whatever the substitute's load (seed 001 caps an analyst's
    backlog, e.g. at 5): when it goes past their capacity, the supervisors are told at once,
    and the presence board shows the overshoot (``over_capacity``)."""
    load = queue_line.loads(session, [substitute.id])[substitute.id]
    cap = load.max_open_tickets
    if cap is None or load.open_tickets <= cap:
        return
    warning = notice(
        "Vacation handover: {substitute} now has {open} open tickets, above their limit of "
        "{cap} ({moved} handed over, absence #{id}): spread them or raise the limit",
        substitute=substitute.name, open=load.open_tickets, cap=cap, moved=moved, id=absence.id,
    )  # fmt: skip
    supervisors = notify_repository.queue_supervisors(session, None)
    if supervisors:
        notify_service.notify(
            session, users=supervisors, kind="absence_over_capacity",
            key=f"absence:{absence.id}:over-capacity", text=warning, ticket_id=None, now=now,
        )  # fmt: skip


def _notify(session: Session, user: User, *, key: str, text: Text, now: datetime) -> None:
    notify_service.notify(
        session, users=[user], kind="absence", key=key, text=text, ticket_id=None, now=now
    )


def _when(instant: datetime, user: User | None) -> str:
    """DD/MM/YYYY HH:MM in the user's time zone (the team reads Brazilian dates)."""
    zone = user.timezone if user is not None and user.timezone else "America/Sao_Paulo"
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("America/Sao_Paulo")
    return instant.astimezone(tz).strftime("%d/%m/%Y %H:%M")
