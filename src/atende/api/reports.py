"""Routes: reports read from the metric facts (docs/reports.md, docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.db.base import MAX_ID
from atende.domain.errors import PermissionDenied
from atende.reports import breaches as breach_reports
from atende.reports import digest, export
from atende.reports import presence as presence_reports
from atende.reports import service as reports
from atende.reports.schemas import (
    BreachReport,
    DigestIn,
    DigestOut,
    ForwardedReport,
    MetricsReport,
    OnCallReport,
    PresenceReport,
)
from atende.routing import service as routing_service
from atende.tickets import repository as ticket_repository

router = APIRouter(tags=["reports"])
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
Format = Literal["json", "csv", "xlsx"]
TargetKind = Literal[
    "first_response", "next_response", "resolution",
    "private_first_response", "private_next_response", "private_resolution",
]  # fmt: skip
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            export.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON; CSV with `Accept: text/csv` or `format=csv` (UTF-8 with BOM, `;` "
        "by default); XLSX with `format=xlsx`",
    }
}


def wants(request: Request, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        return "csv"
    if export.XLSX_MEDIA_TYPE in accept:
        return "xlsx"
    return "json"


def table_response(
    fmt: Format,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    name: str,
    delimiter: str,
) -> Response:
    if fmt == "csv":
        return StreamingResponse(
            export.csv_chunks(header, rows, delimiter=delimiter),
            media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    handle = export.xlsx_file(header, rows)
    return StreamingResponse(
        export.file_chunks(handle),
        media_type=export.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/reports/metrics", response_model=MetricsReport, responses=EXPORTS)
def metrics_report(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    start: Annotated[AwareDatetime, Query(alias="from", description="ISO instant, included")],
    end: Annotated[AwareDatetime, Query(alias="to", description="ISO instant, excluded")],
    group_by: Literal[
        "agent", "queue", "channel", "organization", "plan", "tag", "day", "week", "month"
    ]
    | None = None,
    tz: Annotated[str, Query(max_length=64, description="days, weeks, months in this zone")] = (
        reports.DEFAULT_TIMEZONE
    ),
    queue_id: QueryId | None = None,
    agent_id: QueryId | None = None,
    channel: Annotated[str | None, Query(max_length=10)] = None,
    organization_id: QueryId | None = None,
    plan_id: QueryId | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    precision: Annotated[
        Literal["auto", "exact", "estimate"],
        Query(
            description="auto: over many facts (a large desk's long periods) the medians and "
            "p90s are read from the daily and monthly rollup, within 1 % (`estimated`: true); "
            "exact: always from the facts themselves (slower); estimate: the rollup wherever "
            "it can answer (whole desk or one of agent, queue, channel, plan)"
        ),
    ] = "auto",
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """TMPR, TME, TMR, TMA and resolution time (count, mean, median, p90; calendar and
    business seconds), % SLA met per target, created/resolved/reopened/backlog, reopen rate
    and first-contact resolution of the facts that ended in ``[from, to)`` (docs/metrics.md).
    An agent reads their own figures, a supervisor those of their queues, an admin all."""
    filters = reports.Filters(
        start=start, end=end, group_by=group_by, timezone=tz, queue_id=queue_id,
        agent_id=agent_id, channel=channel, organization_id=organization_id, plan_id=plan_id,
        tag=tag, precision=precision,
    )  # fmt: skip
    answer = reports.metrics_report(session, actor=actor, filters=filters)
    fmt = wants(request, format)
    if fmt == "json":
        return answer
    header, rows = reports.flat(answer["rows"])
    return table_response(fmt, header, rows, name="metricas", delimiter=delimiter)


@router.get("/reports/sla-breaches", response_model=BreachReport, responses=EXPORTS)
def sla_breaches(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    start: Annotated[AwareDatetime, Query(alias="from", description="ISO instant, included")],
    end: Annotated[AwareDatetime, Query(alias="to", description="ISO instant, excluded")],
    target: TargetKind | None = None,
    queue_id: QueryId | None = None,
    agent_id: QueryId | None = None,
    channel: Annotated[str | None, Query(max_length=10)] = None,
    organization_id: QueryId | None = None,
    plan_id: QueryId | None = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """The SLA targets breached in ``[from, to)``: the target, by how much it was missed, and
    the reason recorded (``POST /tickets/{id}/sla/breach-reasons``), with counts by reason.
    Same reach as the metrics report."""
    filters = reports.Filters(
        start=start, end=end, queue_id=queue_id, agent_id=agent_id, channel=channel,
        organization_id=organization_id, plan_id=plan_id, tag=tag,
    )  # fmt: skip
    answer = breach_reports.breach_report(
        session, actor=actor, filters=filters, kind=target, now=now
    )
    fmt = wants(request, format)
    if fmt == "json":
        return answer
    header, rows = breach_reports.flat(answer["rows"])
    return table_response(fmt, header, rows, name="sla-estourados", delimiter=delimiter)


@router.get("/reports/presence", response_model=PresenceReport, responses=EXPORTS)
def presence_report(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    start: Annotated[AwareDatetime, Query(alias="from", description="ISO instant, included")],
    end: Annotated[AwareDatetime, Query(alias="to", description="ISO instant, excluded")],
    tz: Annotated[str, Query(max_length=64, description="the days of this zone")] = (
        reports.DEFAULT_TIMEZONE
    ),
    agent_id: QueryId | None = None,
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """Per agent and day: time online, paused per reason, offline (seed 004). An agent reads
    their own; supervisors and admins everyone's."""
    filters = reports.Filters(start=start, end=end, timezone=tz, agent_id=agent_id)
    answer = presence_reports.presence_report(session, actor=actor, filters=filters, now=now)
    fmt = wants(request, format)
    if fmt == "json":
        return answer
    header, rows = presence_reports.flat(answer["rows"])
    return table_response(fmt, header, rows, name="presenca", delimiter=delimiter)


# --- the on-call weekly review and the tickets in other departments (seed 001) -------------

LIST_CAP = 5_000
ON_CALL_COLUMNS = ("ticket_id", "subject", "queue_id", "status", "created_at", "reviewed_at",
                   "reviewed_by_id")  # fmt: skip
FORWARDED_COLUMNS = ("ticket_id", "subject", "queue_id", "assignee_id", "status", "created_at",
                     "following_since", "reason", "open_for_s", "away_for_s")  # fmt: skip


@router.get("/reports/on-call", response_model=OnCallReport, responses=EXPORTS)
def on_call_report(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """The supervisors' weekly on-call review (seed 001): the tickets opened on call in the
    week (by default last week, Monday to Monday in the caller's zone), how many were marked
    reviewed (``PUT /tickets/{id}/on-call-review``) and which are still to review."""
    tickets, first, last = routing_service.on_call_review(
        session, actor=actor, start=start, end=end, after_id=None, limit=LIST_CAP, now=now
    )
    rows = [
        {
            "ticket_id": t.id, "subject": t.subject, "queue_id": t.queue_id, "status": t.status,
            "created_at": t.created_at, "reviewed_at": t.on_call_reviewed_at,
            "reviewed_by_id": t.on_call_reviewed_by_id,
        }
        for t in tickets
    ]  # fmt: skip
    fmt = wants(request, format)
    if fmt != "json":
        table = [[r[c] for c in ON_CALL_COLUMNS] for r in rows]
        return table_response(fmt, ON_CALL_COLUMNS, table, name="plantao", delimiter=delimiter)
    reviewed = sum(1 for r in rows if r["reviewed_at"] is not None)
    return {
        "start": first.astimezone(UTC), "end": last.astimezone(UTC), "total": len(rows),
        "reviewed": reviewed,
        "not_reviewed": len(rows) - reviewed, "rows": rows,
    }  # fmt: skip


@router.get("/reports/forwarded", response_model=ForwardedReport, responses=EXPORTS)
def forwarded_report(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    format: Format | None = None,
    delimiter: Literal[";", ","] = ";",
) -> Any:
    """The caller's tickets still open in other departments (seed 001/002: follow up what was
    sent on), oldest first, with how long they have been open and away: the list of
    ``GET /tickets/forwarded`` as one report, exportable."""
    if not actor.is_staff or actor.user_id is None:
        raise PermissionDenied("only staff follow tickets")
    found = ticket_repository.forwarded(session, actor, after=None, limit=LIST_CAP)
    rows = [
        {
            "ticket_id": t.id, "subject": t.subject, "queue_id": t.queue_id,
            "assignee_id": t.assignee_id, "status": t.status, "created_at": t.created_at,
            "following_since": f.created_at, "reason": f.reason,
            "open_for_s": max(0, int((now - t.created_at).total_seconds())),
            "away_for_s": max(0, int((now - f.created_at).total_seconds())),
        }
        for t, f in found
    ]  # fmt: skip
    fmt = wants(request, format)
    if fmt != "json":
        table = [[r[c] for c in FORWARDED_COLUMNS] for r in rows]
        return table_response(fmt, FORWARDED_COLUMNS, table, name="encaminhados",
                              delimiter=delimiter)  # fmt: skip
    return {"total": len(rows), "rows": rows}


@router.get("/reports/digest", response_model=DigestOut)
def get_digest(session: DbSession, actor: CurrentActor, now: Now) -> DigestOut:
    """The caller's weekly e-mail digest: on or off, and when the next one leaves
    (supervisors and admins)."""
    found = digest.subscription(session, actor=actor, now=now)
    return DigestOut(weekly=found.weekly, last_week=found.last_week, next_at=found.next_at)


@router.put("/reports/digest", response_model=DigestOut)
def put_digest(body: DigestIn, session: DbSession, actor: CurrentActor, now: Now) -> DigestOut:
    """Turn the caller's weekly digest on or off (supervisors and admins; in the audit trail):
    every Monday from 08:00 in their zone, last week's figures of their queues, per queue and
    in total, by e-mail. Turning it on sends nothing for weeks already past."""
    found = digest.subscribe(session, actor=actor, weekly=body.weekly, now=now)
    return DigestOut(weekly=found.weekly, last_week=found.last_week, next_at=found.next_at)
