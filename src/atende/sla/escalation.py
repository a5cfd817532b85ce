"""What an SLA warning or breach sets off, per the policy's ``escalation`` settings.

``{"warning": {"raise_priority": true, "notify": ["assignee", "supervisors"]},
   "breach":  {"raise_priority": false, "notify": ["assignee", "supervisors"]}}`` is the default.
Raising the priority is a timeline event by the system; notifications go to the assignee and to
the queue's supervisors (in-app, e-mail copy by a job), once per target cycle and event.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.i18n import N_, Text, notice
from atende.notifications import repository as notify_repository
from atende.notifications import service as notify_service
from atende.sla.signals import SlaSignal
from atende.tickets.models import PRIORITIES, Ticket
from atende.tickets.timeline import record_event

DEFAULT_ESCALATION: Final[dict[str, dict[str, Any]]] = {
    "warning": {"raise_priority": True, "notify": ["assignee", "supervisors"]},
    "breach": {"raise_priority": False, "notify": ["assignee", "supervisors"]},
}
ESCALATION_ACTOR: Final = Actor(user_id=None, role="system", name="SLA escalation")


def escalation_config(raw: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The full escalation settings: ``raw`` over the defaults."""
    config = deepcopy(DEFAULT_ESCALATION)
    for step in ("warning", "breach"):
        given = (raw or {}).get(step) or {}
        for key in ("raise_priority", "notify"):
            if key in given:
                config[step][key] = given[key]
    return config


Escalation = tuple[tuple[str, bool, tuple[str, ...]], ...]
"""``escalation_config`` frozen: ``(("warning", raise_priority, notify), ("breach", ...))``, a
plain value the process's policy copies can share between threads."""


def frozen_escalation(raw: dict[str, Any] | None) -> Escalation:
    config = escalation_config(raw)
    return tuple(
        (step, bool(config[step].get("raise_priority")), tuple(config[step].get("notify") or ()))
        for step in ("warning", "breach")
    )


DEFAULT_STEPS: Final = frozen_escalation(None)


def raised(priority: str) -> str | None:
    """The next priority up, or None at the top."""
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[index + 1] if index + 1 < len(PRIORITIES) else None


TARGETS: Final = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
    "private_first_response": N_("private first response"),
    "private_next_response": N_("private next response"),
    "private_resolution": N_("private resolution"),
}


def _notice(ticket: Ticket, signal: SlaSignal) -> Text:
    """What the escalation tells the assignee and supervisors, in each one's language."""
    target: object = Text(TARGETS.get(signal.kind, signal.kind))
    if signal.kind.endswith("next_response") and signal.cycle > 1:
        target = notice("{target} #{cycle}", target=target, cycle=signal.cycle)
    due: object = signal.due_at if signal.due_at is not None else "—"
    if signal.event == "sla_warning":
        return notice(
            "Ticket #{number} {subject!r}: {target} nearing its target (due {due})",
            number=ticket.number, subject=ticket.subject, target=target, due=due,
        )  # fmt: skip
    return notice(
        "Ticket #{number} {subject!r}: {target} breached (due {due})",
        number=ticket.number, subject=ticket.subject, target=target, due=due,
    )  # fmt: skip


def escalate(
    session: Session,
    ticket: Ticket,
    signal: SlaSignal,
    *,
    now: datetime,
    config: Escalation,
    may_raise: bool = True,
) -> bool:
    """Carry out the policy's escalation ``config`` (its copy: ``policies.escalation_of``) for
    ``signal``; True when the priority was raised
    (the caller re-evaluates: a policy may depend on the priority). ``may_raise`` False: the
    target's escalation already raised the priority in this step (the settle loop's rule: one
    warning or breach raises it at most one step), so only the notifications go out.

    A breach whose warning was never announced (``signal.skipped_warning``) raises the priority
    if the warning's settings or the breach's say so: once, not twice."""
    steps = {name: (raise_it, notify) for name, raise_it, notify in config}
    raise_step, notify_step = steps["warning" if signal.event == "sla_warning" else "breach"]
    what = "nearing its target" if signal.event == "sla_warning" else "breached"
    raise_priority = raise_step or (signal.skipped_warning and steps["warning"][0])
    bumped = False
    if raise_priority and may_raise:
        target = raised(ticket.priority)
        if target is not None:
            before, ticket.priority = ticket.priority, target
            record_event(
                session,
                ticket,
                actor=ESCALATION_ACTOR,
                kind="priority",
                at=now,
                before=before,
                after=target,
                detail=f"escalated: {signal.label} {what}",
            )
            bumped = True
    who = set(notify_step)
    users = notify_repository.escalation_recipients(
        session,
        assignee_id=ticket.assignee_id if "assignee" in who else None,
        queue_id=ticket.queue_id,
        supervisors="supervisors" in who,
    )
    if users:
        notify_service.notify(
            session,
            users=users,
            kind=signal.event,
            key=f"{signal.event}:{ticket.id}:{signal.kind}:{signal.cycle}",
            text=_notice(ticket, signal),
            ticket_id=ticket.id,
            now=now,
        )
    return bumped
