"""What a ticket command did, announced to the settle loop (``workflows/settle.py``).

A command of the tickets area (create, add a message, change fields, transfer, split, merge,
follow-up, import) changes the ticket, writes its timeline, and returns the ``Changed`` values
it caused. It never calls the areas that react (SLA clocks, escalation, auto-close, rules,
routing): the settle loop does, in one place and one order. Reactors that change a ticket
themselves (a rule's action, an automatic assignment) call a command and hand what it returned
to the ``Settle`` function they were given, so the cascade stays in the loop's hands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from atende.tickets.models import Message, Ticket


@dataclass(frozen=True)
class Opened:
    """A ticket created by the change (not an import): nothing of its SLA is stored yet and its
    history is its opening message (``contact_message_at``: when the requester wrote it; None
    when an agent opened it or there was no message), so its first evaluation reads nothing."""

    contact_message_at: datetime | None


@dataclass(frozen=True)
class Changed:
    """One ticket changed.

    ``event``: the automation event it raises (``ticket_created``, ``message_received``,
    ``message_sent``, ``ticket_updated``), or None (an internal note, an import, a clock tick).
    ``touch``: move ``updated_at`` to now (an import keeps the end of its history).
    ``dispatch``: afterwards, auto-assign queues hand out work: the ticket's queue when it waits
    there, and the queues of ``freed_user_ids`` (agents whose capacity freed).
    ``tags``: the ticket's tags when the command wrote them (None: it did not; read them).
    ``opened``: set when the command created the ticket (see :class:`Opened`).
    ``rows``: rows the command loaded that the reactors read next by primary key (the queue and
    organization it checked, the requester): held here, they stay in the session's identity
    map while the change is settled, so those reads send no statement.
    """

    ticket: Ticket
    event: str | None = None
    message: Message | None = None
    touch: bool = True
    dispatch: bool = False
    freed_user_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] | None = None
    opened: Opened | None = None
    rows: tuple[object, ...] = ()


class Settle(Protocol):
    """The settle loop, as reactors see it (``workflows.settle.Settler``): hand it what a
    command changed, or ask auto-assign queues to hand out waiting work."""

    def __call__(self, changes: Sequence[Changed]) -> None: ...

    def dispatch(self, queue_ids: Sequence[int] | None = None) -> int: ...

    def presence(
        self,
        *,
        user_id: int,
        name: str,
        status: str,
        reason: str | None,
        since: datetime,
        cause: str,
    ) -> None: ...
