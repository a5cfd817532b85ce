"""The one settle loop: the only place that knows the order of reactions to a ticket change.

A command returns what it changed (``tickets.events.Changed``); ``Settler`` feeds each change to
the reactors, in this order:

1. ``updated_at`` moves to now (unless the change says not to: an import); the change is
   written to the event stream (``stream.publish.Publisher``; so are the SLA signals of 4);
2. the SLA clocks are re-evaluated (``sla.service.reevaluate``), which announces warnings and
   breaches as signals;
3. auto-close follows the status (``autoclose.service.schedule``);
4. each signal escalates (``sla.escalation``); a raised priority re-evaluates the clocks, since a
   policy may depend on the priority (bounded: a priority can only go up to urgent);
5. followers hear of a reply to the customer or of the resolution;
6. the automation rules of the change's event run, then those of the SLA signals; a rule that
   changes the ticket calls a tickets command and hands what it returned back to this loop
   (depth first, so the next rule sees the ticket as it is), bounded by the rules cascade
   (``rules.engine.Cascade``: at most ``MAX_CASCADE_DEPTH`` levels, a rule once per chain);
7. when the change asks for it, auto-assign queues hand out work (``routing.assignment``); an
   automatic assignment is itself a change settled here, but never dispatches again.

The state of a settle (the rules cascade, whether a dispatch is under way) lives in the
``Settler`` object and is passed explicitly, never through ``session.info``. Plain function
calls, no ORM event hooks. A ``Settler`` belongs to one transaction and one ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.autoclose import service as autoclose
from atende.domain import lifecycle
from atende.routing import assignment
from atende.routing import service as routing_service
from atende.rules import engine as rules_engine
from atende.sla import escalation
from atende.sla import service as sla_service
from atende.stream.publish import Publisher
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket


class Settler:
    """Settles the changes of one transaction (call it with what a command returned)."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now
        self.cascade = rules_engine.Cascade()
        self.dispatching = False
        self.stream = Publisher(session, now=now)  # events leave after commit (stream/)

    def __call__(self, changes: Sequence[Changed]) -> None:
        for change in changes:
            self._settle(change)

    def signals(self, ticket: Ticket, signals: Sequence[Any]) -> None:
        """A clock moved without a change (the SLA sweep, a re-evaluation after a policy or
        calendar edit): ``signals`` came from ``sla.service.reevaluate``."""
        autoclose.schedule(self.session, ticket, now=self.now)
        self._react(ticket, event=None, message=None, signals=signals)

    def refresh(self, ticket: Ticket) -> None:
        """Re-evaluate a ticket whose clocks may have moved, and react to what that announces."""
        self.signals(ticket, sla_service.reevaluate(self.session, ticket=ticket, now=self.now))

    def dispatch(self, queue_ids: Sequence[int] | None = None) -> int:
        """Auto-assign queues hand out waiting work (every one when ``queue_ids`` is None)."""
        if self.dispatching:
            return 0
        self.dispatching = True
        try:
            return assignment.dispatch(self.session, now=self.now, queue_ids=queue_ids, settle=self)
        finally:
            self.dispatching = False

    # --- the loop ------------------------------------------------------------------------

    def _settle(self, change: Changed) -> None:
        session, ticket, now = self.session, change.ticket, self.now
        if change.touch and (ticket.updated_at is None or now > ticket.updated_at):
            ticket.updated_at = now
        if ticket.status_changed_at is None:
            ticket.status_changed_at = ticket.created_at or now
        session.flush()
        self.stream(change)
        signals = sla_service.reevaluate(session, ticket=ticket, now=now)
        autoclose.schedule(session, ticket, now=now)
        self._react(ticket, event=change.event, message=change.message, signals=signals)
        if change.dispatch:
            self._dispatch_after(ticket, change.freed_user_ids)

    def _react(
        self,
        ticket: Ticket,
        *,
        event: str | None,
        message: Message | None,
        signals: Sequence[Any],
    ) -> None:
        session, now = self.session, self.now
        fired: list[Any] = []
        pending = list(signals)
        for _ in range(len(lifecycle.STATUSES)):  # bounded: a raise can only go up to urgent
            if not pending:
                break
            bumped = False
            for signal in pending:
                bumped = escalation.escalate(session, ticket, signal, now=now) or bumped
                fired.append(signal)
            pending = []
            if bumped:  # a policy may depend on the priority: the clocks follow at once
                session.flush()
                pending = sla_service.reevaluate(session, ticket=ticket, now=now)
        self.stream.signals(ticket, fired)
        self._tell_followers(ticket, event=event, message=message)
        if event is not None:
            self._rules(ticket, event=event, message=message)
        for sla_event in dict.fromkeys(signal.event for signal in fired):  # once per event
            self._rules(ticket, event=sla_event, message=None)

    def _rules(self, ticket: Ticket, *, event: str, message: Message | None) -> None:
        rules_engine.run(
            self.session,
            ticket=ticket,
            event=event,
            now=self.now,
            message=message,
            cascade=self.cascade,
            settle=self,
        )

    def _tell_followers(
        self, ticket: Ticket, *, event: str | None, message: Message | None
    ) -> None:
        session, now = self.session, self.now
        if event == "message_sent" and message is not None:
            routing_service.notify_followers(
                session, ticket, event="follower_reply", author_user_id=message.author_user_id,
                now=now, key=f"reply:{message.id}",
                text=f"Ticket #{ticket.number} {ticket.subject!r}: new reply to the customer",
            )  # fmt: skip
        elif event == "ticket_updated" and ticket.status == "resolved" and ticket.resolved_at:
            routing_service.notify_followers(
                session, ticket, event="follower_resolved", author_user_id=None, now=now,
                key=f"resolved:{ticket.id}:{ticket.resolved_at.isoformat()}",
                text=f"Ticket #{ticket.number} {ticket.subject!r} was resolved: confirm with the "
                "customer",
            )  # fmt: skip

    def _dispatch_after(self, ticket: Ticket, freed_user_ids: Sequence[int]) -> None:
        """A ticket that waits in an auto-assign queue, or capacity that freed (a ticket
        resolved or closed, reassigned away), is handed out at once."""
        if self.dispatching:
            return
        queue_ids: set[int] = set()
        if ticket.queue_id is not None and ticket.assignee_id is None:
            queue_ids.add(ticket.queue_id)
        for uid in freed_user_ids:
            queue_ids.update(routing_service.queue_ids_of(self.session, uid))
        if queue_ids:
            self.dispatch(sorted(queue_ids))


def settle(session: Session, changes: Sequence[Changed], *, now: datetime) -> Settler:
    """Settle ``changes`` with a new settler (returned, for the caller's further changes)."""
    settler = Settler(session, now=now)
    settler(changes)
    return settler
