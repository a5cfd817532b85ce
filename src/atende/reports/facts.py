"""The reports' reactor: each ticket change the settle loop hands it becomes measured spans,
written as ``metric_facts`` rows in the change's transaction (docs/metrics.md).

A ticket that has no measuring state yet and was not created by the change (an imported
ticket, or one older than the reports) is measured from its stored history first, so its facts
are the ones its history implies. Bot, automatic and system messages and internal notes are
never an agent's answer: only a public message of a human agent is (``author_kind == "agent"``
with an author).

Business seconds count on the calendar of the ticket's SLA policy when one applies, else of
its queue, else on the default calendar (24x7 in America/Sao_Paulo when there is none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from atende.calendars import service as calendar_service
from atende.domain import metrics
from atende.domain.businesstime import BusinessCalendar
from atende.reports import repository
from atende.reports.models import MetricFact, TicketMetricState
from atende.sla import policies as sla_policies
from atende.sla import views as sla_views
from atende.sla.signals import SlaSignal
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket

DEFAULT_TIMEZONE = "America/Sao_Paulo"
SLA_PREFIX = "sla:"


class Recorder:
    """Writes the facts of one settle (one transaction, one ``now``)."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now
        # the states this settle read or wrote: the session's identity map holds its objects
        # weakly, so without this a ticket's second change in the settle would read it again
        self._rows: dict[int, TicketMetricState] = {}

    # --- entry points of the settle loop ------------------------------------------------

    def changed(self, change: Changed, clocks: sla_views.Clocks | None) -> None:
        """A ticket changed (after its SLA clocks were re-evaluated: ``clocks``)."""
        ticket = change.ticket
        row, spans, fresh = self._state(ticket, change)
        state = row.state
        before = json.dumps(state, sort_keys=True)
        if not fresh:  # a new or replayed ticket's state already holds the change's steps
            for step in _steps_of(change, state, self.now):
                spans.extend(metrics.advance(state, step))
        outcomes = _sla_outcomes(state, clocks) if clocks is not None else []
        reply = _message_step(change.message)
        replier = reply.user_id if reply is not None and reply.kind == "agent_reply" else None
        self._write(ticket, spans, outcomes, clocks, replier=replier)
        if not fresh and json.dumps(state, sort_keys=True) != before:
            flag_modified(row, "state")

    def signals(self, ticket: Ticket, signals: Sequence[SlaSignal]) -> None:
        """SLA signals announced without a change (the sweeper): a breach is an outcome."""
        breaches = [s for s in signals if s.event == "sla_breach"]
        if not breaches:
            return
        row = self._known(ticket.id)
        if row is None:
            return  # measured on its next change, from its history
        outcomes = []
        for s in breaches:
            key = f"{s.kind}:{s.cycle}"
            if key in row.state["sla"]:
                continue
            row.state["sla"].append(key)
            start = s.due_at or s.at
            outcomes.append(_Outcome(s.kind, start, s.at, 0, met=False))
        if outcomes:
            self._write(ticket, [], outcomes, None)
            flag_modified(row, "state")

    # --- state --------------------------------------------------------------------------

    def _state(
        self, ticket: Ticket, change: Changed
    ) -> tuple[TicketMetricState, list[metrics.Span], bool]:
        """The ticket's measuring state, the spans of its history when it had none, and
        whether the state is new (then it already holds what the change did)."""
        if change.opened is None:
            found = self._known(ticket.id)
            if found is not None:
                return found, [], False
        state = metrics.initial_state()
        spans: list[metrics.Span] = []
        if change.opened is not None:  # created now: its status and assignee are known
            created = metrics.Step(
                "created", ticket.created_at, value=ticket.status, user_id=ticket.assignee_id
            )
            steps = [created]
            if change.opened.contact_message_at is not None:
                steps.append(metrics.Step("contact_message", change.opened.contact_message_at))
        else:  # never measured (an import, a ticket older than the reports): its history
            steps = _history_steps(self.session, ticket)
        for step in steps:
            spans.extend(metrics.advance(state, step))
        row = TicketMetricState(ticket_id=ticket.id, state=state)
        self.session.add(row)
        self._rows[ticket.id] = row
        return row, spans, True

    def _known(self, ticket_id: int) -> TicketMetricState | None:
        row = self._rows.get(ticket_id)
        if row is None or row not in self.session:  # a rolled-back savepoint dropped it
            row = repository.state_of(self.session, ticket_id)
            if row is not None:
                self._rows[ticket_id] = row
        return row

    # --- facts --------------------------------------------------------------------------

    def _calendar(self, ticket: Ticket, clocks: sla_views.Clocks | None) -> BusinessCalendar:
        session = self.session
        calendar_id: int | None = None
        policy_id = clocks.row.policy_id if clocks is not None else None
        if policy_id is not None:
            for policy in sla_policies.active_policies(session):
                if policy.id == policy_id:
                    calendar_id = policy.calendar_id
                    break
        if calendar_id is None and ticket.queue_id is not None:
            queue = repository.queue(session, ticket.queue_id)
            calendar_id = queue.calendar_id if queue is not None else None
        if calendar_id is None:
            calendar_id = calendar_service.default_calendar_id(session)
        found = (
            calendar_service.business_calendar_by_id(session, calendar_id)
            if calendar_id is not None
            else None
        )
        return found or calendar_service.always_open_calendar(DEFAULT_TIMEZONE)

    def _write(
        self,
        ticket: Ticket,
        spans: Sequence[metrics.Span],
        outcomes: Sequence[_Outcome],
        clocks: sla_views.Clocks | None,
        *,
        replier: int | None = None,
    ) -> None:
        """``replier``: the agent whose reply came with the change; a response target's
        outcome is theirs (a resolution's, and one without a reply, the assignee's)."""
        if not spans and not outcomes:
            return
        plan_id = None
        if ticket.organization_id is not None:
            org = repository.organization(self.session, ticket.organization_id)
            plan_id = org.plan_id if org is not None else None
        dims: dict[str, Any] = {
            "ticket_id": ticket.id,
            "queue_id": ticket.queue_id,
            "organization_id": ticket.organization_id,
            "plan_id": plan_id,
            "channel": ticket.channel,
        }
        cal: BusinessCalendar | None = None
        rows = []
        for span in spans:
            business = 0
            if span.parts:
                cal = cal or self._calendar(ticket, clocks)
                business = sum(cal.business_seconds_between(a, b) for a, b in span.parts)
            rows.append(
                MetricFact(
                    **dims,
                    metric=span.metric,
                    agent_id=span.agent_id,
                    started_at=span.started_at,
                    ended_at=span.ended_at,
                    seconds=span.seconds,
                    business_seconds=business,
                    met=span.met,
                )
            )
        for o in outcomes:
            rows.append(
                MetricFact(
                    **dims,
                    metric=SLA_PREFIX + o.kind,
                    agent_id=(
                        replier
                        if replier is not None and o.kind.endswith("response")
                        else ticket.assignee_id
                    ),
                    started_at=o.started_at,
                    ended_at=o.ended_at,
                    seconds=max(0, int((o.ended_at - o.started_at).total_seconds())),
                    business_seconds=o.business_seconds,
                    met=o.met,
                )
            )
        self.session.add_all(rows)


class _Outcome:
    def __init__(
        self, kind: str, started_at: datetime, ended_at: datetime, business: int, *, met: bool
    ) -> None:
        self.kind, self.started_at, self.ended_at = kind, started_at, ended_at
        self.business_seconds, self.met = business, met


def _sla_outcomes(state: dict[str, Any], clocks: sla_views.Clocks) -> list[_Outcome]:
    """The SLA targets that reached their outcome (met or breached) since last seen."""
    out = []
    for kind, target in sorted(clocks.targets.items()):
        if target.state not in ("met", "breached") or target.started_at is None:
            continue
        key = f"{kind}:{target.cycle}"
        if key in state["sla"]:
            continue
        state["sla"].append(key)
        met = target.state == "met"
        end = target.met_at if met else target.breached_at
        if end is None:
            continue
        out.append(_Outcome(kind, target.started_at, end, target.business_seconds_used, met=met))
    return out


def _message_step(message: Message | None) -> metrics.Step | None:
    if message is None or not message.public:
        return None
    if message.author_kind == "contact":
        return metrics.Step("contact_message", message.created_at)
    if message.author_kind == "agent" and message.author_user_id is not None:
        return metrics.Step("agent_reply", message.created_at, user_id=message.author_user_id)
    return None  # a bot's or an automatic message is nobody's answer


def _steps_of(change: Changed, state: dict[str, Any], now: datetime) -> list[metrics.Step]:
    """The steps a change made: its message, its assignment and its status change, in the
    order they happened (a resolution after the reply that came with it; a reopen before the
    customer's message that caused it)."""
    ticket = change.ticket
    steps: list[metrics.Step] = []
    if ticket.assignee_id != state["assignee"]:
        steps.append(metrics.Step("assigned", now, user_id=ticket.assignee_id))
    message = _message_step(change.message)
    at = message.at if message is not None else now
    status = (
        metrics.Step("status", at, value=ticket.status)
        if ticket.status != state["status"]
        else None
    )
    if status is not None and ticket.status in metrics.DONE:
        steps.extend(s for s in (message, status) if s is not None)
    else:
        steps.extend(s for s in (status, message) if s is not None)
    return steps


def _history_steps(session: Session, ticket: Ticket) -> list[metrics.Step]:
    """A ticket's stored history as steps (``created`` first, then in time order)."""
    messages, events = repository.history(session, ticket.id)
    initial_status, initial_assignee = ticket.status, ticket.assignee_id
    first_status = next((e for e in events if e[1] == "status"), None)
    if first_status is not None and isinstance(first_status[2], str):
        initial_status = first_status[2]
    first_assignee = next((e for e in events if e[1] == "assignee"), None)
    if first_assignee is not None:
        before = first_assignee[2]
        initial_assignee = before if isinstance(before, int) else None
    timed: list[tuple[datetime, int, int, metrics.Step]] = []
    opening = min((m[4] for m in messages), default=None)
    for at, kind, public, user_id, position in messages:
        if kind == "agent" and position == opening and at == ticket.created_at:
            continue  # an agent's opening message is not an answer
        step = None
        if public and kind == "contact":
            step = metrics.Step("contact_message", at)
        elif public and kind == "agent" and user_id is not None:
            step = metrics.Step("agent_reply", at, user_id=user_id)
        if step is not None:
            timed.append((at, 1, position, step))
    for at, kind, _before, after, position in events:
        if kind == "status" and isinstance(after, str):
            # a resolution comes after the messages of its instant, a reopen before
            order = 2 if after in metrics.DONE else 0
            timed.append((at, order, position, metrics.Step("status", at, value=after)))
        elif kind == "assignee":
            user = after if isinstance(after, int) else None
            timed.append((at, 0, position, metrics.Step("assigned", at, user_id=user)))
    timed.sort(key=lambda x: (x[0], x[1], x[2]))
    created = metrics.Step(
        "created", ticket.created_at, value=initial_status, user_id=initial_assignee
    )
    return [created, *(t[3] for t in timed)]
