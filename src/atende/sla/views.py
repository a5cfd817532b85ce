"""A ticket's SLA clocks as the API shows them (``TicketOut.sla``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from atende.domain import sla as sla_domain
from atende.sla import repository
from atende.sla.announce import PRIVATE
from atende.sla.models import TicketSla, TicketSlaTarget
from atende.tickets.models import Ticket


@dataclass(frozen=True)
class Clocks:
    """A ticket's stored SLA rows as a re-evaluation left them (rows of its session)."""

    row: TicketSla
    targets: Mapping[str, TicketSlaTarget]


def sla_view(
    session: Session, ticket: Ticket, clocks: Clocks | None = None
) -> dict[str, Any] | None:
    """``{"policy_id", "policy_name", "public", "targets": {kind: {...}}, "private_targets"}``
    (the private ones: staff only) or None when no
    policy applies (or the ticket was never evaluated). Datetimes are aware UTC values.

    ``clocks``: the rows as this transaction's last re-evaluation of the ticket left them, when
    nothing changed them since (the settle loop knows); read otherwise."""
    if clocks is not None:
        return view_of(clocks.row, clocks.targets)
    found = repository.ticket_sla(session, ticket.id)
    if found is None or found.policy_name is None:
        return None
    return view_of(found, repository.targets_of(session, ticket.id))


def view_of(row: TicketSla, stored: Mapping[str, TicketSlaTarget]) -> dict[str, Any] | None:
    """`sla_view` of a policy row and its clocks (None when no policy applies)."""
    if row.policy_name is None:
        return None
    order = [k.value for k in sla_domain.TargetKind]

    def targets(prefix: str) -> dict[str, dict[str, Any]]:
        return {
            kind: {
                "state": t.state,
                "due_at": t.due_at,
                "warning_at": t.warning_at,
                "met_at": t.met_at,
                "breached_at": t.breached_at,
                "business_seconds_used": t.business_seconds_used,
            }
            for kind in order
            if (t := stored.get(prefix + kind)) is not None
        }

    private = targets(PRIVATE)
    return {
        "policy_id": row.policy_id,
        "policy_name": row.policy_name,
        "public": row.public,
        "targets": targets(""),
        "private_targets": private or None,  # staff only: the edges drop it for contacts
    }
