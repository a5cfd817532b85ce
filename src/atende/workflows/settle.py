"""The one settle loop: the only place that knows the order of reactions to a ticket change.

A command returns what it changed (``tickets.events.Changed``); ``Settler`` feeds each change to
the reactors, in this order:

1. ``updated_at`` moves to now (unless the change says not to: an import); the change is
   written to the event stream (``stream.publish.Publisher``; so are the SLA signals of 4);
2. the SLA clocks are re-evaluated (``sla.clocks.reevaluate``), which announces warnings and
   breaches as signals; the spans the change ended are written as facts
   (``reports.facts.Recorder``: the reports' metrics);
3. auto-close follows the status (``autoclose.service.schedule``); a ticket resolved or closed
   queues its satisfaction survey (``surveys.service.after_change``);
4. each signal escalates (``sla.escalation``), a target raising the priority at most one step;
   a raised priority re-evaluates the clocks once, since a policy may depend on the priority,
   and what that announces is notified but raises nothing more (one warning or breach
   escalates once);
5. followers hear of a reply to the customer or of the resolution; an agent's public reply on
   an e-mail ticket is queued to leave by e-mail (``channels.email_out``, docs/channels.md),
   on a WhatsApp or Telegram ticket by its channel (``channels.messaging_out``);
6. the automation rules of the change's event run, then those of the SLA signals; a rule that
   changes the ticket calls a tickets command and hands what it returned back to this loop
   (depth first, so the next rule sees the ticket as it is), bounded by the rules cascade
   (``rules.engine.Cascade``: at most ``MAX_CASCADE_DEPTH`` levels, a rule once per chain);
7. a new ticket that no queue was given, no assignee and no rule routed goes to the triage
   queue, and its
   on-call flag is decided from the queue it landed in (``queues.line.decide_on_call``);
8. when the change asks for it, auto-assign queues hand out work (``routing.assignment``); an
   automatic assignment is itself a change settled here, but never dispatches again.

The state of a settle (the rules cascade, whether a dispatch is under way, what it knows of a
ticket for the use case's answer) lives in the ``Settler`` object and is passed explicitly,
never through ``session.info``. Plain function calls, no ORM event hooks. A ``Settler`` belongs
to one transaction and one ``now``.

What the loop knows of a ticket (:class:`Settled`: the tags its changes wrote, its SLA rows as
the last re-evaluation left them) is handed to the reactors as arguments and lets the use case
answer without reading them back. What is settled inside a savepoint opened since the settle
began (a rule's actions run in one, and may roll back) is not kept: the ticket is read again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende import i18n
from atende.autoclose import service as autoclose
from atende.channels import email_out, messaging_out
from atende.chat import service as chat_service
from atende.queues import line as queue_line
from atende.reports import facts as report_facts
from atende.routing import assignment
from atende.routing import service as routing_service
from atende.rules import engine as rules_engine
from atende.sla import clocks as sla_clocks
from atende.sla import escalation
from atende.sla import policies as sla_policies
from atende.sla import views as sla_views
from atende.stream.publish import Publisher
from atende.surveys import service as surveys
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket


@dataclass(frozen=True)
class Settled:
    """A ticket as a use case left it, with what its settle knows of it without reading it back:
    its ``tags`` as the last change that wrote them left them, its SLA ``clocks`` as last
    evaluated (None: not known, read them)."""

    ticket: Ticket
    tags: tuple[str, ...] | None = None
    clocks: sla_views.Clocks | None = None


class Settler:
    """Settles the changes of one transaction (call it with what a command returned)."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now
        self.cascade = rules_engine.Cascade()
        self.dispatching = False
        self._savepoint = session.get_nested_transaction()  # the innermost one as it began
        self._known: dict[int, Settled] = {}
        self.stream = Publisher(session, now=now)  # events leave after commit (stream/)
        self.facts = report_facts.Recorder(session, now=now)  # the reports' measured spans

    def __call__(self, changes: Sequence[Changed]) -> None:
        for change in changes:
            self._settle(change)

    def settled(self, ticket: Ticket) -> Settled:
        """``ticket`` with what this settle knows of it (see :class:`Settled`)."""
        known = self._known.get(ticket.id)
        return known if known is not None and known.ticket is ticket else Settled(ticket)

    def signals(self, ticket: Ticket, signals: Sequence[Any]) -> None:
        """A clock moved without a change (the SLA sweep, a re-evaluation after a policy or
        calendar edit): ``signals`` came from ``sla.clocks.reevaluate``."""
        self._known.pop(ticket.id, None)
        autoclose.schedule(self.session, ticket, now=self.now)
        self._react(ticket, event=None, message=None, signals=signals, tags=None)

    def refresh(self, ticket: Ticket) -> None:
        """Re-evaluate a ticket whose clocks may have moved, and react to what that announces."""
        reevaluated = sla_clocks.reevaluate(self.session, ticket=ticket, now=self.now)
        self.signals(ticket, reevaluated.signals)

    def dispatch(self, queue_ids: Sequence[int] | None = None) -> int:
        """Auto-assign queues hand out waiting work (every one when ``queue_ids`` is None)."""
        if self.dispatching:
            return 0
        self.dispatching = True
        try:
            return assignment.dispatch(self.session, now=self.now, queue_ids=queue_ids, settle=self)
        finally:
            self.dispatching = False

    def presence(
        self,
        *,
        user_id: int,
        name: str,
        status: str,
        reason: str | None,
        since: datetime,
        cause: str,
    ) -> None:
        """An agent's presence changed: on the stream (staff only), like a ticket's change."""
        self.stream.presence(
            user_id=user_id, name=name, status=status, reason=reason, since=since, cause=cause
        )

    # --- what the loop knows -------------------------------------------------------------

    def _tags(self, change: Changed) -> tuple[str, ...] | None:
        """The ticket's tags: as the change wrote them, else as known from an earlier change
        (every tag write is a command's, and its change says what it wrote)."""
        if change.tags is not None:
            return change.tags
        known = self._known.get(change.ticket.id)
        return known.tags if known is not None else None

    def _learn(
        self, ticket: Ticket, tags: tuple[str, ...] | None, reevaluated: sla_clocks.Reevaluated
    ) -> None:
        """Keep what a settle step knows of ``ticket``, unless a savepoint opened since this
        settle began (a rule's actions run in one) may still roll it back: then forget it."""
        if self.session.get_nested_transaction() is self._savepoint:
            self._known[ticket.id] = Settled(ticket, tags, reevaluated.clocks)
        else:
            self._known.pop(ticket.id, None)

    # --- the loop ------------------------------------------------------------------------

    def _settle(self, change: Changed) -> None:
        session, ticket, now = self.session, change.ticket, self.now
        if change.touch and (ticket.updated_at is None or now > ticket.updated_at):
            ticket.updated_at = now
        if ticket.status_changed_at is None:
            ticket.status_changed_at = ticket.created_at or now
        session.flush()
        self.stream(change)
        chat_service.on_ticket_change(session, change, now=now)  # a person's action ends the bot
        tags = self._tags(change)
        reevaluated = sla_clocks.reevaluate(
            session, ticket=ticket, now=now, opened=change.opened, tags=tags
        )
        self._learn(ticket, tags, reevaluated)
        self.facts.changed(change, reevaluated.clocks)
        autoclose.schedule(session, ticket, now=now)
        surveys.after_change(session, ticket, event=change.event, now=now)
        self._react(
            ticket, event=change.event, message=change.message, signals=reevaluated.signals,
            tags=tags,
        )  # fmt: skip
        if change.event == "ticket_created":
            self._land(ticket)
        if change.dispatch:
            self._dispatch_after(ticket, change.freed_user_ids)

    def _land(self, ticket: Ticket) -> None:
        """A new ticket, once its rules ran: nobody routed it nor took it, so it goes to the
        triage queue; then its on-call flag follows the queue it landed in."""
        if ticket.queue_id is None and ticket.assignee_id is None:
            self(routing_service.to_triage(self.session, ticket, now=self.now))
        queue_line.decide_on_call(self.session, ticket)

    def _react(
        self,
        ticket: Ticket,
        *,
        event: str | None,
        message: Message | None,
        signals: Sequence[Any],
        tags: tuple[str, ...] | None,
    ) -> None:
        """``tags``: the ticket's tags when known (for the facts; read otherwise)."""
        session, now = self.session, self.now
        fired: list[Any] = []
        raised: set[tuple[str, int]] = set()  # targets whose escalation raised the priority
        bumped = False
        for signal in signals:
            target = (signal.kind, signal.cycle)
            config = sla_policies.escalation_of(session, signal.policy_id)
            if escalation.escalate(
                session, ticket, signal, now=now, config=config, may_raise=target not in raised
            ):
                raised.add(target)
                bumped = True
            fired.append(signal)
        if bumped:
            # A policy may depend on the priority: the clocks follow at once. What that
            # re-evaluation announces (the new policy's clocks) is recorded and notified, but
            # raises nothing more: one warning or breach escalates once (#15: normal -> high
            # -> urgent in one step).
            session.flush()
            reevaluated = sla_clocks.reevaluate(session, ticket=ticket, now=now, tags=tags)
            self._learn(ticket, tags, reevaluated)
            for signal in reevaluated.signals:
                config = sla_policies.escalation_of(session, signal.policy_id)
                escalation.escalate(
                    session, ticket, signal, now=now, config=config, may_raise=False
                )
                fired.append(signal)
        self.stream.signals(ticket, fired)
        self.facts.signals(ticket, fired)
        self._tell_followers(ticket, event=event, message=message)
        email_out.on_message(session, ticket, event=event, message=message, now=now)
        messaging_out.on_message(session, ticket, event=event, message=message, now=now)
        if event is not None:
            self._rules(ticket, event=event, message=message, tags=tags)
        for sla_event in dict.fromkeys(signal.event for signal in fired):  # once per event
            self._rules(ticket, event=sla_event, message=None, tags=None)  # rules may have acted

    def _rules(
        self, ticket: Ticket, *, event: str, message: Message | None, tags: tuple[str, ...] | None
    ) -> None:
        rules_engine.run(
            self.session,
            ticket=ticket,
            event=event,
            now=self.now,
            message=message,
            cascade=self.cascade,
            settle=self,
            tags=tags,
        )

    def _tell_followers(
        self, ticket: Ticket, *, event: str | None, message: Message | None
    ) -> None:
        session, now = self.session, self.now
        if event == "message_sent" and message is not None:
            routing_service.notify_followers(
                session, ticket, event="follower_reply", author_user_id=message.author_user_id,
                now=now, key=f"reply:{message.id}",
                text=i18n.notice(
                    "Ticket #{number} {subject!r}: new reply to the customer",
                    number=ticket.number, subject=ticket.subject,
                ),
            )  # fmt: skip
        elif event == "ticket_updated" and ticket.status == "resolved" and ticket.resolved_at:
            routing_service.notify_followers(
                session, ticket, event="follower_resolved", author_user_id=None, now=now,
                key=f"resolved:{ticket.id}:{ticket.resolved_at.isoformat()}",
                text=i18n.notice(
                    "Ticket #{number} {subject!r} was resolved: confirm with the customer",
                    number=ticket.number, subject=ticket.subject,
                ),
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
