"""What every admin page's tests share: only admins get past the door."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login

FormOf = Callable[[str], dict[str, str]]  # the CSRF token -> the form's fields


def assert_admins_only(
    client: TestClient, make_user: Any, pages: Iterable[str], forms: Mapping[str, FormOf]
) -> None:
    """A supervisor and an agent get the 404 page ("this page does not exist") on every page
    and every form, with their own valid CSRF token: nothing is said, nothing is written."""
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        token = _login(client, make_user(role, password=PASSWORD))
        for url in pages:
            page = client.get(url)
            assert page.status_code == 404, (role, url)
            assert "Esta página não existe." in page.text, (role, url)
        for url, form in forms.items():
            sent = client.post(url, data=form(token), follow_redirects=False)
            assert sent.status_code == 404, (role, url)
    client.cookies.clear()
