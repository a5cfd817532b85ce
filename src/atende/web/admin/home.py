"""``/admin``: the list of configuration areas (for a supervisor, the lists they may read)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from atende.web.admin.common import AdminRoute, ReaderUser, admin_render

router = APIRouter(include_in_schema=False, route_class=AdminRoute)


@router.get("/admin")
def admin_home(request: Request, user: ReaderUser) -> Response:
    return admin_render(request, "admin/home.html", {"user": user}, section="home")
