"""Helpers for the HTML pages: logging in through the login form as a browser would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from atende.settings import Settings

PASSWORD = "correct horse battery staple"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Fewer attempts before the throttle, so throttling tests stay quick."""
    return settings.model_copy(update={"login_max_attempts": 2})


def form_token(html: str) -> str:
    found = TOKEN_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(
    client: TestClient,
    email: str,
    password: str = PASSWORD,
    *,
    next: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    """Open the login page, then send its form (with its CSRF token) without following redirects."""
    token = form_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next},
        headers=headers or {},
        follow_redirects=False,
    )


@pytest.fixture
def web_login(client: TestClient) -> Any:
    """web_login(api_user) -> the session's CSRF token; the client then holds the session."""

    def _login(api_user: Any, password: str = PASSWORD) -> str:
        response = login(client, api_user.user.email, password)
        assert response.status_code == 303, response.text
        page = client.get("/tickets")
        assert page.status_code == 200, page.text
        return form_token(page.text)

    return _login
