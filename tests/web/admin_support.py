"""What every admin page's tests share: who gets past the door, and what a supervisor reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login

FormOf = Callable[[str], dict[str, str]]  # the CSRF token -> the form's fields
READABLE = (
    "/admin/users",
    "/admin/queues",
    "/admin/pause-reasons",
    "/admin/calendars",
    "/admin/sla",
    "/admin/canned-replies",
    "/admin/plans",
    "/admin/organizations",
)
"""The admin lists a supervisor reads (without their forms), in the menu's order."""
READ_ONLY = "Somente leitura: um administrador faz as alterações."
_POST_FORM = re.compile(r"<form[^>]*method=\"post\"", re.IGNORECASE)


def assert_read_only(page: Any, url: str) -> None:
    """A list a supervisor reads: 200, said to be read-only, and no form that writes."""
    assert page.status_code == 200, (url, page.status_code)
    assert READ_ONLY in page.text, url
    body = page.text.split('class="admin-body"', 1)[1]  # the top bar's forms (presence) aside
    assert not _POST_FORM.search(body), url


def assert_admins_only(
    client: TestClient,
    make_user: Any,
    pages: Iterable[str],
    forms: Mapping[str, FormOf],
    *,
    readable: Iterable[str] = (),
) -> None:
    """An agent gets the 404 page ("this page does not exist") on every page and every form,
    and so does a supervisor, but for the ``readable`` lists, which they read without a form;
    each sends the forms with their own valid CSRF token: nothing is said, nothing written."""
    reads = set(readable)
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        token = _login(client, make_user(role, password=PASSWORD))
        for url in [*pages, *reads]:
            page = client.get(url)
            if role == "supervisor" and url in reads:
                assert_read_only(page, url)
                continue
            assert page.status_code == 404, (role, url)
            assert "Esta página não existe." in page.text, (role, url)
        for url, form in forms.items():
            sent = client.post(url, data=form(token), follow_redirects=False)
            assert sent.status_code == 404, (role, url)
    client.cookies.clear()
