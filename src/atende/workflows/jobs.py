"""Durable jobs whose work is settled by the settle loop (registered with the job registry)."""

from __future__ import annotations

from typing import Any

from atende.db.base import utcnow
from atende.jobs import outbox
from atende.jobs.registry import JobContext, handler
from atende.sla import sweeper
from atende.workflows.settle import Settler


@handler("sla.reevaluate_open")
def reevaluate_open(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Re-evaluate every open ticket after a policy or calendar edit, in batches (each batch a
    transaction; the job re-enqueues itself with its cursor)."""
    after_id = int(payload.get("after_id", 0))
    with ctx.transaction() as session:
        tickets = sweeper.open_tickets_after(session, after_id=after_id)
        settle = Settler(session, now=utcnow())
        for ticket in tickets:
            settle.refresh(ticket)
        if len(tickets) == sweeper.REEVALUATE_BATCH:
            outbox.enqueue(
                session,
                "sla.reevaluate_open",
                idempotency_key=f"{ctx.key}:after:{tickets[-1].id}",
                reason=payload.get("reason", ""),
                after_id=tickets[-1].id,
            )
