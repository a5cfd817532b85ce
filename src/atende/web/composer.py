"""What the ticket page's composer asks for as the agent types: the canned replies, filled in
for the ticket (``GET /tickets/{id}/canned-replies``), searched in the page by typing ``/``
(``static/atende.js``: a list under the text box, arrows to choose, Enter or Tab to insert,
Escape to close)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from atende.api.deps import DbSession
from atende.domain.errors import NotFound
from atende.rules import service as rules_service
from atende.web.deps import CurrentWebUser

router = APIRouter(include_in_schema=False)


@router.get("/tickets/{ticket_id}/canned-replies")
def canned_replies(ticket_id: int, session: DbSession, user: CurrentWebUser) -> JSONResponse:
    """``[{"id", "name", "body"}]`` with the ticket's values in each body; staff only (a
    customer, or a ticket the visitor may not read: 404)."""
    if not user.actor.is_staff:
        return JSONResponse({"detail": "not found"}, status_code=404)
    try:
        found = rules_service.canned_replies_for(session, actor=user.actor, ticket_id=ticket_id)
    except NotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(found, headers={"Cache-Control": "no-store"})
