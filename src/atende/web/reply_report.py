"""``/reports/reply-check``: the replies sent despite the reply check's warnings, per agent
and one by one with the phrases and their suggested rewrites (replycheck/report.py), for the
last 7, 30 or 90 days; CSV of the list. Staff, each with their reach (an agent their own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.domain.errors import NotFound
from atende.replycheck import report as warned
from atende.reports import export
from atende.web import repository as web_repository
from atende.web.deps import CurrentWebUser, WebUser
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute
from atende.web.reports import PERIODS, last_days
from atende.web.templating import render

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)
KIND_LABELS = {
    "gerund": N_("Gerund"),
    "promise": N_("Firm promise"),
    "closing_question": N_("No closing question"),
}


def _answer(session: Session, user: WebUser, days: int, now: datetime) -> dict[str, Any]:
    if not user.actor.is_staff:
        raise NotFound("not found")
    zone = ZoneInfo(user.actor.timezone or "America/Sao_Paulo")
    start, end = last_days(days if days in PERIODS else 30, now, zone)
    return warned.report(
        session, actor=user.actor, start=start.astimezone(UTC), end=end.astimezone(UTC),
        limit=warned.MAX_ITEMS,
    )  # fmt: skip


@router.get("/reports/reply-check")
def reply_check_page(
    request: Request, session: DbSession, user: CurrentWebUser, now: Now, days: int = 30
) -> Response:
    days = days if days in PERIODS else 30
    answer = _answer(session, user, days, now)
    names = web_repository.user_names(
        session, [r["agent_id"] for r in answer["rows"]] + [i["agent_id"] for i in answer["items"]]
    )
    context = {
        "user": user,
        "active": "reports",
        "days": days,
        "periods": PERIODS,
        "rows": answer["rows"],
        "items": answer["items"],
        "names": names,
        "kinds": {k: _(v) for k, v in KIND_LABELS.items()},
    }
    return render(request, "reports/reply_check.html", context)


@router.get("/reports/reply-check/export")
def reply_check_export(
    session: DbSession, user: CurrentWebUser, now: Now, days: int = 30,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:  # fmt: skip
    answer = _answer(session, user, days, now)
    names = web_repository.user_names(session, [i["agent_id"] for i in answer["items"]])
    zone = ZoneInfo(user.actor.timezone or "America/Sao_Paulo")
    header = [_("Ticket"), _("Subject"), _("Agent"), _("Sent at"), _("Warnings"), _("Phrases")]
    rows = [
        [f"#{i['ticket_number']}", i["subject"], names.get(i["agent_id"] or 0, ""),
         i["at"].astimezone(zone).strftime("%d/%m/%Y %H:%M"),
         ", ".join(_(KIND_LABELS.get(str(f["kind"]), str(f["kind"]))) for f in i["findings"]),
         " | ".join(str(f["phrase"]) for f in i["findings"])]
        for i in answer["items"]
    ]  # fmt: skip
    name = "respostas-com-alertas"
    if format == "csv":
        return StreamingResponse(
            export.csv_chunks(header, rows), media_type=export.CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )  # fmt: skip
    return StreamingResponse(
        export.file_chunks(export.xlsx_file(header, rows)), media_type=export.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )  # fmt: skip
