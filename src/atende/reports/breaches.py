"""The SLA breach report (seed 003): the breached targets of a period, with the target, by how
much it was missed, and the reason a supervisor recorded (``sla_breach_reasons``), counted by
cause. Reads the ``sla:<target>`` facts whose outcome was a breach."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.reports import repository
from atende.reports import service as reports

MAX_ROWS = 10_000
NO_REASON = "none"


def breach_report(
    session: Session, *, actor: Actor, filters: reports.Filters, kind: str | None, now: datetime
) -> dict[str, Any]:
    """``{"rows": [...], "by_reason": {category: count}, "truncated": bool}``.

    ``overrun_s``: from the due time to when the target was finally met (or to ``now`` while
    it is not); ``overrun_business_s``: the business time used beyond the target, as the
    clock was last evaluated."""
    reports.check_filters(filters)
    scope = reports.scope_for(session, actor, filters)
    found = repository.breaches(session, scope, kind=kind, limit=MAX_ROWS + 1)
    rows = []
    for fact, subject, target, reason in found[:MAX_ROWS]:
        due = target.due_at if target is not None else fact.ended_at
        end = target.met_at if target is not None and target.met_at is not None else now
        rows.append(
            {
                "ticket_id": fact.ticket_id,
                "subject": subject,
                "target": fact.metric.removeprefix("sla:"),
                "queue_id": fact.queue_id,
                "agent_id": fact.agent_id,
                "organization_id": fact.organization_id,
                "channel": fact.channel,
                "started_at": fact.started_at,
                "due_at": due,
                "breached_at": fact.ended_at,
                "met_at": target.met_at if target is not None else None,
                "target_s": target.target_seconds if target is not None else None,
                "overrun_s": max(0, int((end - due).total_seconds())) if due else None,
                "overrun_business_s": (
                    max(0, target.business_seconds_used - target.target_seconds)
                    if target is not None
                    else None
                ),
                "reason": reason.category if reason is not None else None,
                "reason_note": reason.note if reason is not None else None,
            }
        )
    by_reason = Counter(r["reason"] or NO_REASON for r in rows)
    return {
        "rows": rows,
        "by_reason": dict(sorted(by_reason.items())),
        "truncated": len(found) > MAX_ROWS,
    }


COLUMNS = (
    "ticket_id", "subject", "target", "queue_id", "agent_id", "organization_id", "channel",
    "started_at", "due_at", "breached_at", "met_at", "target_s", "overrun_s",
    "overrun_business_s", "reason", "reason_note",
)  # fmt: skip


def flat(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    return list(COLUMNS), [[r[c] for c in COLUMNS] for r in rows]
