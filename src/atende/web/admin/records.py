"""The record an admin page is about: read through its service, or the 404 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request, Response

from atende.domain.errors import NotFound
from atende.web.admin.common import admin_only
from atende.web.deps import WebUser
from atende.web.pages import page_not_found

T = TypeVar("T")


def admin_record(request: Request, user: WebUser, fetch: Callable[[], T]) -> T | Response:
    """``fetch()`` for an admin, else the 404 page; a record that does not exist is a 404 too."""
    refused = admin_only(request, user)
    if refused is not None:
        return refused
    try:
        return fetch()
    except NotFound:
        return page_not_found(request)
