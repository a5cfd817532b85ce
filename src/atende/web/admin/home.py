"""``/admin``: the list of configuration areas."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from atende.web.admin.common import admin_only, admin_render
from atende.web.deps import CurrentWebUser
from atende.web.pages import HtmlRoute

router = APIRouter(include_in_schema=False, route_class=HtmlRoute)


@router.get("/admin")
def admin_home(request: Request, user: CurrentWebUser) -> Response:
    refused = admin_only(request, user)
    if refused is not None:
        return refused
    return admin_render(request, "admin/home.html", {"user": user}, section="home")
