"""A ticket's SLA clocks as the API shows them (``TicketOut.sla``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from atende.db import cache as db_cache
from atende.domain import sla as sla_domain
from atende.sla import repository
from atende.sla.models import TicketSla, TicketSlaTarget
from atende.tickets.models import Ticket

# The targets re-evaluation left in this session, by ticket (every write to a ticket's targets
# goes through reevaluate): sla_view answers from them without reading them back.
_TARGETS = "atende.sla_targets"


def remember(
    session: Session, ticket_id: int, row: TicketSla, targets: dict[str, TicketSlaTarget]
) -> None:
    """Strong references too: the session's identity map would let clean rows go."""
    db_cache.memo(session, _TARGETS)[ticket_id] = (row, targets)


def sla_view(session: Session, ticket: Ticket) -> dict[str, Any] | None:
    """``{"policy_id", "policy_name", "public", "targets": {kind: {...}}}`` or None when no
    policy applies (or the ticket was never evaluated). Datetimes are aware UTC values."""
    known = db_cache.memo(session, _TARGETS)
    if ticket.id in known:
        row, stored = known[ticket.id]
    else:
        found = repository.ticket_sla(session, ticket.id)
        if found is None or found.policy_name is None:
            return None
        row, stored = found, repository.targets_of(session, ticket.id)
    return view_of(row, stored)


def view_of(row: TicketSla, stored: Mapping[str, TicketSlaTarget]) -> dict[str, Any] | None:
    """`sla_view` of a policy row and its clocks (None when no policy applies)."""
    if row.policy_name is None:
        return None
    order = [k.value for k in sla_domain.TargetKind]
    targets = {
        kind: {
            "state": t.state,
            "due_at": t.due_at,
            "warning_at": t.warning_at,
            "met_at": t.met_at,
            "breached_at": t.breached_at,
            "business_seconds_used": t.business_seconds_used,
        }
        for kind in order
        if (t := stored.get(kind)) is not None
    }
    return {
        "policy_id": row.policy_id,
        "policy_name": row.policy_name,
        "public": row.public,
        "targets": targets,
    }
