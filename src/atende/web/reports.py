"""The console's exports and dashboards: the ticket list as CSV or XLSX with the inbox's view and
filters (``/exports/tickets``), and the metrics dashboard per role (``/reports``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from atende.api.deps import DbSession, Now
from atende.reports import export
from atende.routing.service import last_week
from atende.tickets import service as ticket_service
from atende.tickets.models import Ticket
from atende.web import inbox as web_inbox
from atende.web import repository as web_repository
from atende.web.deps import CurrentWebUser
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute

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
