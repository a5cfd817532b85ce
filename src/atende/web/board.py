"""The supervisor board (``/board``): per queue, the tickets waiting for someone and the longest
wait, those at SLA risk and breached; per person, online / paused (since when, why) / offline,
absent, and the load against capacity. One click opens the queue's waiting tickets in the inbox,
where they are assigned in bulk. Refreshed every 30 seconds. Supervisors and admins only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from atende.api.deps import DbSession, Now
from atende.routing import presence as presence_service
from atende.web import repository as web_repository
from atende.web.deps import CurrentWebUser
from atende.web.i18n import _, duration_text
from atende.web.pages import HtmlRoute, page_not_found
from atende.web.presence import STATUS_LABELS
from atende.web.templating import render

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


@router.get("/board")
def board_page(request: Request, session: DbSession, user: CurrentWebUser, now: Now) -> Response:
    if not user.actor.sees_all_tickets:
        return page_not_found(request)
    queues = web_repository.queue_figures(session, now=now)
    people: list[dict[str, Any]] = []
    for row in presence_service.presence_board(session, actor=user.actor, now=now):
        since = row["since"]
        people.append(
            {
                **row,
                "label": _(STATUS_LABELS.get(row["status"], row["status"])),
                "for_how_long": duration_text(now - since) if since is not None else "—",
            }
        )
    order = {"online": 0, "paused": 1, "offline": 2}
    people.sort(key=lambda r: (order.get(r["status"], 3), r["name"]))
    waits = {
        q.queue_id: duration_text(now - q.oldest_waiting_since) if q.oldest_waiting_since else "—"
        for q in queues
    }
    context = {
        "user": user,
        "active": "board",
        "queues": queues,
        "waits": waits,
        "people": people,
        "online": sum(1 for p in people if p["status"] == "online"),
        "paused": sum(1 for p in people if p["status"] == "paused"),
    }
    return render(request, "board/page.html", context)
