"""A ticket's SLA clocks: pick the policy, compute from the history, persist, explain.

``reevaluate`` is called after every change to a ticket (the settle loop, ``workflows/settle.py``)
and by the sweeper when ``tickets.next_sla_deadline`` has come. It recomputes every clock from the
ticket's stored history (messages and status events) with :mod:`atende.domain.sla`, so imported
tickets get the state their history implies, and writes a timeline event for each change: policy
applied / changed / none matches, target met, warning reached, breached, paused, resumed.

When the applicable policy changes, the clocks are recomputed from the history under the new
policy (the business time already consumed is kept: it is the history's). A target that had
already ended (met or breached) under the old policy keeps its stored result, so a promise kept
stays kept and a breach stays a breach (even where the new policy's target would still run: it
was announced and escalated once).

A ticket's first evaluation dates its events when they happened (an import replays its
history); every later one dates what it finds now (``sla/announce.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy.orm import Session

from atende.calendars import service as calendar_service
from atende.domain import sla as sla_domain
from atende.domain.businesstime import BusinessCalendar
from atende.sla import repository, views
from atende.sla.announce import FINAL, PRIVATE, announce, sla_event
from atende.sla.models import TicketSla, TicketSlaTarget
from atende.sla.policies import ActivePolicy, match_policy
from atende.sla.signals import SlaSignal
from atende.tickets.events import Opened
from atende.tickets.models import Ticket

# --------------------------------------------------------------------------------------------
# History of a ticket
# --------------------------------------------------------------------------------------------


def ticket_history(
    session: Session, ticket: Ticket, opened: Opened | None = None
) -> sla_domain.History:
    """The plain history the SLA clocks are computed from.

    Status changes come from the ``status`` events; the first event's ``before`` is the status
    at creation. Without status events (or a resolved ticket whose resolution has no event),
    ``resolved_at`` stands in for the change to ``resolved``. The opening message written by an
    agent (at creation, first in the timeline) is not a reply; internal notes are ignored.

    ``opened``: the ticket was created by the change being settled; its history is its opening
    message, nothing is read.
    """
    if opened is not None:  # created in this transaction: no status change, one opening message
        opening = (
            [sla_domain.MessageEvent(opened.contact_message_at, "contact")]
            if opened.contact_message_at is not None
            else []
        )
        return sla_domain.History(
            created_at=ticket.created_at,
            channel=ticket.channel,
            initial_status=ticket.status,
            status_changes=[],
            messages=opening,
            resolved_at=ticket.resolved_at,
            chat_ended_at=ticket.chat_ended_at,
        )
    events = repository.status_events(session, ticket.id)
    changes = [
        sla_domain.StatusChange(at, str(after)) for at, _, after in events if isinstance(after, str)
    ]
    initial = "new"
    if events and isinstance(events[0][1], str):
        initial = events[0][1]
    done = sla_domain.DONE_STATUSES
    if (
        ticket.status in done
        and ticket.resolved_at is not None
        and not any(c.status in done for c in changes)
    ):
        changes.append(sla_domain.StatusChange(ticket.resolved_at, "resolved"))
        changes.sort(key=lambda c: c.at)
    messages: list[sla_domain.MessageEvent] = []
    rows = repository.message_events(session, ticket.id)
    opening_position = min((r[3] for r in rows), default=None)
    for at, author, public, position in rows:
        if author == "contact":
            messages.append(sla_domain.MessageEvent(at, "contact"))
        elif author == "agent" and public:
            if position == opening_position and at == ticket.created_at:
                continue  # the agent's opening message is not a response
            messages.append(sla_domain.MessageEvent(at, "agent"))
    return sla_domain.History(
        created_at=ticket.created_at,
        channel=ticket.channel,
        initial_status=initial,
        status_changes=changes,
        messages=messages,
        resolved_at=ticket.resolved_at,
        chat_ended_at=ticket.chat_ended_at,
    )


# --------------------------------------------------------------------------------------------
# Re-evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reevaluated:
    """What a re-evaluation did: the warnings and breaches it announced for the first time (the
    caller escalates them and runs the ``sla_warning`` / ``sla_breach`` rules), and the ticket's
    SLA rows as it left them."""

    signals: list[SlaSignal]
    clocks: views.Clocks


def reevaluate(
    session: Session,
    *,
    ticket: Ticket,
    now: datetime,
    opened: Opened | None = None,
    tags: Sequence[str] | None = None,
) -> Reevaluated:
    """Recompute the ticket's SLA clocks at ``now``; persist them, set
    ``ticket.next_sla_deadline`` and write timeline events for what changed. Flushes.

    What the caller knows saves reads: ``opened`` when the change being settled created the
    ticket (nothing is stored yet: its first evaluation reads nothing), ``tags`` when the change
    wrote the ticket's tags."""
    signals: list[SlaSignal] = []
    now = now.astimezone(UTC).replace(microsecond=0)
    policy, why = match_policy(session, ticket, now=now, tags=tags)
    if opened is None:
        row = repository.ticket_sla(session, ticket.id)
        stored = repository.targets_of(session, ticket.id)
    else:  # created in this transaction: nothing stored yet
        row, stored = None, {}
    first_time = row is None
    if row is None:
        row = TicketSla(ticket_id=ticket.id, paused=False, explanation="", public=False)
        session.add(row)

    if policy is None:
        if first_time or row.policy_id is not None or row.policy_name is not None:
            before = row.policy_name
            detail = "no SLA policy matches"
            if before:
                detail = f"no SLA policy matches any more (was {before})"
            sla_event(
                session,
                ticket,
                "sla_policy",
                detail,
                at=_at(ticket, now, first_time),
                before=before,
                after=None,
            )
        for target in stored.values():
            session.delete(target)
        _set_outcome(row, (None, None, False, "", False), now=now)
        ticket.next_sla_deadline = None
        ticket.sla_due_at = None
        session.flush()
        return Reevaluated(signals, views.Clocks(row, {}))

    cal = calendar_service.business_calendar_by_id(session, policy.calendar_id)
    assert cal is not None  # calendar_id is a RESTRICT foreign key
    history = ticket_history(session, ticket, opened)
    own_calendars = target_calendars(session, policy, cal)
    evaluation = sla_domain.evaluate(cal, policy.clocks, history, now=now, calendars=own_calendars)
    evaluations = [("", evaluation)]
    if policy.private_clocks is not None:  # the staff's stricter targets, on the same clocks
        evaluations.append((
            PRIVATE,
            sla_domain.evaluate(
                cal, policy.private_clocks, history, now=now, calendars=own_calendars
            ),
        ))  # fmt: skip

    changed_policy = row.policy_id != policy.id
    if first_time or changed_policy:
        old = row.policy_name
        if old and not first_time:
            detail = f"SLA policy changed from {old} to {policy.name}: {why}"
        else:
            detail = f"SLA policy {policy.name} applied: {why}"
        sla_event(
            session,
            ticket,
            "sla_policy",
            detail,
            at=_at(ticket, now, first_time),
            before=old,
            after=policy.name,
        )
    elif evaluation.paused != row.paused:
        if evaluation.paused:
            sla_event(
                session,
                ticket,
                "sla_paused",
                f"SLA clocks paused while the ticket is {evaluation.status}",
                at=now,
            )
        else:
            sla_event(session, ticket, "sla_resumed", "SLA clocks resumed", at=now)

    _set_outcome(row, (policy.id, policy.name, policy.public, why, evaluation.paused), now=now)

    kinds_now = {scope + k.value for scope, ev in evaluations for k in ev.targets}
    current = dict(stored)
    for kind, target in stored.items():
        if kind not in kinds_now:
            session.delete(target)
            del current[kind]

    for scope, ev in evaluations:
        for kind, clock in ev.targets.items():
            key = scope + kind.value
            cycles = (
                ev.next_response_cycles if kind is sla_domain.TargetKind.NEXT_RESPONSE else (clock,)
            )
            signals.extend(
                _target(session, ticket, stored.get(key), key, clock, cycles, current,
                        now=now, tz=cal.timezone, policy=policy, historic=first_time)
            )  # fmt: skip

    deadlines = [e.next_deadline for _, e in evaluations if e.next_deadline is not None]
    ticket.next_sla_deadline = min(deadlines) if deadlines else None
    running = [
        c.due_at
        for _, e in evaluations
        for c in e.targets.values()
        if c.due_at is not None and c.state.value in ("running", "paused")
    ]
    ticket.sla_due_at = min(running) if running else None  # the queue line's SLA order
    session.flush()
    return Reevaluated(signals, views.Clocks(row, current))


def _target(
    session: Session,
    ticket: Ticket,
    old_row: TicketSlaTarget | None,
    key: str,
    clock: sla_domain.TargetClock,
    cycles: tuple[sla_domain.TargetClock, ...],
    current: dict[str, TicketSlaTarget],
    *,
    now: datetime,
    tz: tzinfo,
    policy: ActivePolicy,
    historic: bool,
) -> list[SlaSignal]:
    """Announce and store one target (``key``: its kind, ``private_`` first for a private
    one); returns the warnings and breaches it announced."""
    if (
        old_row is not None
        and old_row.policy_id != policy.id
        and old_row.state in FINAL
        and (clock.state.value in FINAL or old_row.state == "breached")
        and old_row.cycle == clock.cycle
        and old_row.started_at == clock.started_at
    ):
        # an ended target keeps its result under the policy it ended under: a promise kept
        # stays kept, and a breach stays a breach (announced and escalated once, even if
        # the new policy's longer target would still be running)
        return []
    signals = announce(
        session, ticket, old_row, cycles, now=now, tz=tz, policy=policy, historic=historic,
        private=key.startswith(PRIVATE),
    )  # fmt: skip
    if old_row is None:
        old_row = TicketSlaTarget(ticket_id=ticket.id, kind=key, warned=False)
        session.add(old_row)
        current[key] = old_row
    _store(old_row, clock, policy, now=now)
    return signals


def target_calendars(
    session: Session, policy: ActivePolicy, cal: BusinessCalendar
) -> dict[sla_domain.TargetKind, BusinessCalendar]:
    """The calendars of the policy's targets that have a clock of their own (24x7 in the
    policy calendar's zone, or a calendar of their own); the others count on ``cal``."""
    out: dict[sla_domain.TargetKind, BusinessCalendar] = {}
    for kind, calendar_id in policy.target_calendars:
        if calendar_id is None:
            out[kind] = calendar_service.always_open_calendar(cal.timezone.key)
            continue
        own = calendar_service.business_calendar_by_id(session, calendar_id)
        if own is not None:  # calendars are never deleted; checked when the policy is saved
            out[kind] = own
    return out


def _set_outcome(
    row: TicketSla, outcome: tuple[int | None, str | None, bool, str, bool], *, now: datetime
) -> None:
    """Store the policy outcome; ``evaluated_at`` moves only when the outcome changes, so a
    re-evaluation that changes nothing writes nothing (and costs no UPDATE)."""
    current = (row.policy_id, row.policy_name, row.public, row.explanation, row.paused)
    if current == outcome and row.evaluated_at is not None:
        return
    row.policy_id, row.policy_name, row.public, row.explanation, row.paused = outcome
    row.evaluated_at = now


def _at(ticket: Ticket, now: datetime, first_time: bool) -> datetime:
    """When a policy decision is shown: at creation for a ticket's first evaluation."""
    return min(ticket.created_at, now) if first_time else now


def _store(
    row: TicketSlaTarget, clock: sla_domain.TargetClock, policy: ActivePolicy, *, now: datetime
) -> None:
    new_cycle = row.cycle != clock.cycle or row.started_at != clock.started_at
    row.policy_id, row.policy_name = policy.id, policy.name
    row.state = clock.state.value
    row.cycle = clock.cycle
    row.started_at = clock.started_at
    row.due_at = clock.due_at
    row.warning_at = clock.warning_at
    row.met_at = clock.met_at
    row.breached_at = clock.breached_at
    row.business_seconds_used = clock.business_seconds_used
    row.target_seconds = clock.target_seconds
    reached = clock.warning_at is not None and clock.warning_at <= now
    row.warned = reached if new_cycle else bool(row.warned) or reached


# --------------------------------------------------------------------------------------------
# Tickets to re-evaluate
# --------------------------------------------------------------------------------------------


def open_tickets_of_organization(session: Session, organization_id: int) -> list[Ticket]:
    """The open tickets of an organization (re-evaluated when its plan or account facts
    change: the policy may change; business time already used is kept)."""
    ids = repository.open_ticket_ids_of_organization(session, organization_id)
    found = (session.get(Ticket, ticket_id) for ticket_id in ids)
    return [t for t in found if t is not None]
