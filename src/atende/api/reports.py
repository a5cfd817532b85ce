"""Routes: reports read from the metric facts (docs/reports.md, docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.db.base import MAX_ID
from atende.reports import breaches as breach_reports
from atende.reports import export
from atende.reports import presence as presence_reports
from atende.reports import service as reports
from atende.reports.schemas import BreachReport, MetricsReport, PresenceReport

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
    group_by: Literal["agent", "queue", "channel", "organization", "plan", "day", "week", "month"]
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
        tag=tag,
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
