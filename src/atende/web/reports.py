"""The console's exports and dashboards: the ticket list as CSV or XLSX with the inbox's view and
filters (``/exports/tickets``), and the metrics dashboard per role (``/reports``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain.errors import NotFound
from atende.reports import digest, export
from atende.reports import service as reports
from atende.routing.service import last_week
from atende.tickets import service as ticket_service
from atende.tickets.models import Ticket
from atende.web import inbox as web_inbox
from atende.web import repository as web_repository
from atende.web.deps import CsrfWebUser, CurrentWebUser
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute
from atende.web.templating import render

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

MAX_EXPORT_ROWS = 50_000  # a list export stops here (say so in the last line)
EXPORT_PAGE = 1_000
TICKET_COLUMNS = (
    N_("Number"), N_("Subject"), N_("Status"), N_("Priority"), N_("Channel"), N_("Queue"),
    N_("Assignee"), N_("Requester"), N_("Created at"), N_("Updated at"), N_("Tags"),
)  # fmt: skip


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""


@router.get("/exports/tickets")
def export_tickets(
    session: DbSession,
    user: CurrentWebUser,
    now: Now,
    format: Literal["csv", "xlsx"] = "csv",
    delimiter: Literal[";", ","] = ";",
    view: str = "",
    sort: str = "",
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies the default
    priority: Annotated[list[str], Query()] = [],  # noqa: B006
    channel: Annotated[list[str], Query()] = [],  # noqa: B006
    queue: str = "",
    tag: str = "",
    q: str = "",
) -> Response:
    """The inbox's list as the visitor sees it (same view, filters and order), every page."""
    query = web_inbox.parse_query(
        user, view=view, sort=sort, status=status, priority=priority, channel=channel,
        queue=queue, tag=tag, q=q, after=None,
    )  # fmt: skip
    if query.errors:
        return Response(" ".join(query.errors), status_code=422, media_type="text/plain")
    actor = user.actor
    since, _end = last_week(now, actor.timezone)
    tickets: list[Ticket] = []
    after = None
    while len(tickets) < MAX_EXPORT_ROWS:
        page = list(
            web_repository.inbox_page(
                session,
                actor,
                view=query.view,
                filters=query.filters(),
                sort=query.sort,
                after=after,
                limit=EXPORT_PAGE,
                now=now,
                on_call_since=since,
            )
        )
        tickets.extend(page)
        if len(page) < EXPORT_PAGE:
            break
        after = web_inbox.decode_cursor(web_inbox.encode_cursor(page[-1], query.sort))
    tickets = tickets[:MAX_EXPORT_ROWS]
    zone = ZoneInfo(actor.timezone or "America/Sao_Paulo")
    requesters = web_repository.contact_names(session, (t.requester_id for t in tickets))
    queues = web_repository.queue_names(session, (t.queue_id for t in tickets))
    assignees = web_repository.user_names(session, (t.assignee_id for t in tickets))
    tags = ticket_service.tags_of(session, tickets) if actor.is_staff and tickets else {}
    rows: list[list[Any]] = [
        [
            t.number,
            t.subject,
            t.status,
            t.priority,
            t.channel,
            queues.get(t.queue_id or 0, ""),
            assignees.get(t.assignee_id or 0, ""),
            requesters.get(t.requester_id or 0, ""),
            _local(t.created_at, zone),
            _local(t.updated_at, zone),
            ", ".join(tags.get(t.id, [])),
        ]
        for t in tickets
    ]
    header = [_(c) for c in TICKET_COLUMNS]
    name = "chamados"
    if format == "csv":
        return StreamingResponse(
            export.csv_chunks(header, rows, delimiter=delimiter),
            media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return StreamingResponse(
        export.file_chunks(export.xlsx_file(header, rows, sheet=_("Tickets"))),
        media_type=export.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


# --- the dashboard ------------------------------------------------------------------------

PERIODS = (7, 30, 90)
SLA_LABELS = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
    "private_first_response": N_("First response (internal)"),
    "private_next_response": N_("Next response (internal)"),
    "private_resolution": N_("Resolution (internal)"),
}
METRIC_LABELS = {
    "tmpr": N_("First response time (TMPR)"),
    "tme": N_("Waiting time (TME)"),
    "tmr": N_("Response time (TMR)"),
    "tma": N_("Handling time (TMA)"),
    "resolution": N_("Resolution time"),
}
SCOPE_LABELS = {
    "agent": N_("My figures"),
    "supervisor": N_("My queues"),
    "admin": N_("All teams"),
}


def duration(seconds: float | None) -> str:
    """``1 h 20 min``, ``45 min``, ``2 d 3 h``, ``30 s``; an em dash when nothing was measured."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes, hours, days = s // 60 % 60, s // 3600 % 24, s // 86400
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def last_days(days: int, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to today (included)."""
    today = now.astimezone(zone).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
    return end - timedelta(days=days), end


def _filters(user: Any, days: int, now: datetime, group_by: str | None) -> reports.Filters:
    zone_name = user.actor.timezone or reports.DEFAULT_TIMEZONE
    start, end = last_days(days, now, ZoneInfo(zone_name))
    return reports.Filters(start=start, end=end, group_by=group_by, timezone=zone_name)


def dashboard_context(session: Session, user: Any, *, days: int, now: datetime) -> dict[str, Any]:
    actor = user.actor
    whole = reports.metrics_report(session, actor=actor, filters=_filters(user, days, now, None))
    summary = whole["rows"][0]
    daily = _filters(user, days, now, "day")
    per_day = reports.metrics_report(session, actor=actor, filters=daily)
    found = {r["group"]["day"]: r for r in per_day["rows"]}
    first_day = daily.start.astimezone(ZoneInfo(daily.timezone)).date()
    labels = [(first_day + timedelta(days=n)).isoformat() for n in range(days)]
    by_day = [found.get(d) for d in labels]  # every day of the period, measured or not
    created = [r["counts"]["created"] if r else 0 for r in by_day]
    resolved = [r["counts"]["resolved"] if r else 0 for r in by_day]
    tmpr = [
        round(r["tmpr"]["median_s"] / 60, 1) if r and r["tmpr"] is not None else None
        for r in by_day
    ]
    sla = [(_(SLA_LABELS[k]), v) for k, v in summary["sla_met_percent"].items()]
    cards = [
        {"label": _(METRIC_LABELS[key]), "median": duration(m["median_s"] if m else None),
         "p90": duration(m["p90_s"] if m else None),
         "median_business": duration(m["median_business_s"] if m else None),
         "count": m["count"] if m else 0}
        for key in METRIC_LABELS
        for m in (summary[key],)
    ]  # fmt: skip
    charts = {
        "volume": {
            "type": "bar",
            "labels": labels,
            "datasets": [
                {"label": _("Created"), "data": created},
                {"label": _("Resolved tickets"), "data": resolved},
            ],
        },
        "tmpr": {
            "type": "line",
            "labels": labels,
            "datasets": [{"label": _("Median first response (min)"), "data": tmpr}],
        },
        "sla": {
            "type": "bar",
            "labels": [label for label, _v in sla],
            "datasets": [{"label": _("% SLA met"), "data": [v for _l, v in sla]}],
        },
    }
    return {
        "user": user,
        "active": "reports",
        "days": days,
        "periods": PERIODS,
        "scope_label": _(SCOPE_LABELS.get(actor.role, SCOPE_LABELS["admin"])),
        "summary": summary,
        "cards": cards,
        "volume_rows": list(zip(labels, created, resolved, strict=True)),
        "tmpr_rows": [
            (d, duration(m * 60) if m is not None else "—")
            for d, m in zip(labels, tmpr, strict=True)
        ],
        "sla_rows": sla,
        "charts": charts,
        "fcr": summary["fcr_percent"],
        "reopen": summary["reopen_rate_percent"],
        # medians and p90s read from the rollup's histograms (within 1 %: docs/reports.md)
        "estimated": whole["estimated"] or per_day["estimated"],
    }


@router.get("/reports")
def dashboard(
    request: Request, session: DbSession, user: CurrentWebUser, now: Now, days: int = 30
) -> Response:
    """The metrics of the last days (7, 30 or 90) as the visitor may read them: an agent their
    own, a supervisor their queues', an admin everyone's; charts with a table beside each."""
    if not user.actor.is_staff:
        raise NotFound("not found")
    if days not in PERIODS:
        days = 30
    context = dashboard_context(session, user, days=days, now=now)
    if user.actor.role in digest.ROLES:
        context["digest"] = digest.subscription(session, actor=user.actor, now=now)
    return render(request, "reports/dashboard.html", context)


@router.post("/reports/digest")
def set_digest(
    session: DbSession,
    user: CsrfWebUser,
    now: Now,
    weekly: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Turn the visitor's weekly e-mail digest on or off (supervisors and admins)."""
    if user.actor.role not in digest.ROLES:
        raise NotFound("not found")
    digest.subscribe(session, actor=user.actor, weekly=weekly == "on", now=now)
    return RedirectResponse("/reports", status_code=303)


@router.get("/reports/export")
def export_dashboard(
    session: DbSession,
    user: CurrentWebUser,
    now: Now,
    days: int = 30,
    format: Literal["csv", "xlsx"] = "csv",
    group_by: Literal["day", "week", "month", "agent", "queue", "channel", "tag"] = "day",
) -> Response:
    """The dashboard's figures as a table (the metrics report of the same period)."""
    answer = reports.metrics_report(
        session, actor=user.actor,
        filters=_filters(user, days if days in PERIODS else 30, now, group_by),
    )  # fmt: skip
    header, rows = reports.flat(answer["rows"])
    name = "metricas"
    if format == "csv":
        return StreamingResponse(
            export.csv_chunks(header, rows), media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )  # fmt: skip
    return StreamingResponse(
        export.file_chunks(export.xlsx_file(header, rows)), media_type=export.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )  # fmt: skip
