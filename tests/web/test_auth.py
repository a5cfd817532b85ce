"""Web login, logout and CSRF, through the HTML forms as a browser sends them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from atende.db.base import utcnow
from atende.settings import Settings

from .conftest import PASSWORD, form_token, login

SESSION_COOKIE = "atende_session"


def set_cookie_headers(response: Any) -> list[str]:
    return response.headers.get_list("set-cookie")


def session_cookie_header(response: Any) -> str | None:
    for header in set_cookie_headers(response):
        if header.startswith(f"{SESSION_COOKIE}="):
            return header
    return None


def test_login_page_is_portuguese_and_carries_a_csrf_token(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="pt-BR"' in page.text
    assert "Entrar" in page.text and "Senha" in page.text
    token = form_token(page.text)
    assert client.cookies.get("atende_csrf") == token


def test_login_success_sets_a_session_cookie_and_redirects(
    client: TestClient, make_user: Any
) -> None:
    agent = make_user("agent", password=PASSWORD)
    response = login(client, agent.user.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets"
    cookie = session_cookie_header(response)
    assert cookie is not None
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered
    assert "secure" not in lowered.replace(cookie.split(";")[0].lower(), "")
    assert client.get("/tickets", follow_redirects=False).status_code == 200
    # Logged in, the login page sends the visitor on.
    again = client.get("/login", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/tickets"


def test_login_email_is_case_insensitive(client: TestClient, make_user: Any) -> None:
    agent = make_user("agent", email="Maria.Silva@example.test", password=PASSWORD)
    response = login(client, "  maria.silva@EXAMPLE.test ")
    assert response.status_code == 303, agent.user.email


def test_session_cookie_is_secure_when_configured(
    app: Any, settings: Settings, make_user: Any
) -> None:
    app.state.settings = settings.model_copy(update={"cookie_secure": True})
    agent = make_user("agent", password=PASSWORD)
    with TestClient(app, base_url="https://testserver") as secure_client:
        response = login(secure_client, agent.user.email)
    assert response.status_code == 303
    cookie = session_cookie_header(response)
    assert cookie is not None and "; secure" in cookie.lower()


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, make_user: Any
) -> None:
    agent = make_user("agent", password=PASSWORD)
    wrong = login(client, agent.user.email, "not the password")
    unknown = login(client, "nobody@example.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert session_cookie_header(wrong) is None and session_cookie_header(unknown) is None
    assert "E-mail ou senha incorretos." in wrong.text
    # Apart from the e-mail echoed back in the form, the two pages are the same.
    assert wrong.text.replace(agent.user.email, "EMAIL") == unknown.text.replace(
        "nobody@example.test", "EMAIL"
    )


def test_inactive_user_cannot_log_in(client: TestClient, make_user: Any, db: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    agent.user.active = False
    db.commit()
    response = login(client, agent.user.email)
    assert response.status_code == 401
    assert session_cookie_header(response) is None


def test_a_failing_client_is_throttled_and_x_forwarded_for_does_not_help(
    client: TestClient, make_user: Any, settings: Settings
) -> None:
    agent = make_user("agent", password=PASSWORD)
    for n in range(settings.login_max_attempts):
        response = login(
            client, agent.user.email, "wrong", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        )
        assert response.status_code == 401
    # Even the right password, from a "new" forwarded address (the same socket peer, which
    # has been failing), is refused for now.
    throttled = login(client, agent.user.email, headers={"X-Forwarded-For": "198.51.100.7"})
    assert throttled.status_code == 429
    assert "Muitas tentativas" in throttled.text
    assert throttled.headers["retry-after"] == str(settings.login_window_seconds)
    assert session_cookie_header(throttled) is None
    # Another account from the same client is not locked out by this one.
    other = make_user("agent", password=PASSWORD)
    assert login(client, other.user.email).status_code == 303
    client.cookies.clear()
    # After the window, the account may try again.
    later = utcnow() + timedelta(seconds=settings.login_window_seconds + 1)
    with time_machine.travel(later, tick=False):
        assert login(client, agent.user.email).status_code == 303


def test_failing_on_purpose_never_locks_the_owner_out(
    app: Any, make_user: Any, settings: Settings
) -> None:
    """The throttle is per client address (and account): whoever fails on an account is slowed
    down, never the account's owner, whose right password from elsewhere always gets in."""
    agent = make_user("agent", password=PASSWORD)
    attacker = TestClient(app, client=("203.0.113.66", 40000))
    owner = TestClient(app, client=("198.51.100.7", 40001))
    for _ in range(settings.login_max_attempts * 4):  # well past the limit
        assert login(attacker, agent.user.email, "wrong").status_code in (401, 429)
    refused = login(attacker, agent.user.email)
    assert refused.status_code == 429  # the failing client: refused even the right password
    assert session_cookie_header(refused) is None
    welcome = login(owner, agent.user.email)
    assert welcome.status_code == 303, welcome.text  # the owner, from their own address
    assert session_cookie_header(welcome) is not None
    # the owner's own few mistakes do not lock them out either
    owner.cookies.clear()
    for _ in range(settings.login_max_attempts - 1):
        assert login(owner, agent.user.email, "wrong").status_code == 401
    assert login(owner, agent.user.email).status_code == 303


def test_client_address_is_throttled_across_accounts(
    client: TestClient, make_user: Any, settings: Settings
) -> None:
    agent = make_user("agent", password=PASSWORD)
    # Spread over many accounts (never reaching one account's limit) and "many" addresses.
    for n in range(settings.login_max_attempts * 4):
        response = login(
            client,
            f"guess{n}@example.test",
            "wrong",
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert response.status_code == 401
    throttled = login(client, agent.user.email, headers={"X-Forwarded-For": "198.51.100.7"})
    assert throttled.status_code == 429


def test_ticket_list_without_session_redirects_to_login(client: TestClient) -> None:
    response = client.get("/tickets", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/tickets"
    with_query = client.get("/tickets?status=open", follow_redirects=False)
    assert with_query.status_code == 303
    page = client.get(with_query.headers["location"])
    assert 'name="next" value="/tickets?status=open"' in page.text


def test_login_follows_a_local_next(client: TestClient, make_user: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    response = login(client, agent.user.email, next="/tickets?status=open")
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets?status=open"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        " //evil.example",
        "///evil.example",
    ],
)
def test_next_refuses_open_redirects(client: TestClient, make_user: Any, target: str) -> None:
    agent = make_user("agent", password=PASSWORD)
    response = login(client, agent.user.email, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets"
    page = client.get("/login", params={"next": target}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/tickets"


def test_login_without_its_csrf_token_is_refused(client: TestClient, make_user: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    client.get("/login")
    missing = client.post(
        "/login",
        data={"email": agent.user.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert missing.status_code == 403
    assert session_cookie_header(missing) is None
    # A token that does not match the cookie (e.g. made for another browser) is refused too.
    other = TestClient(client.app)
    foreign_token = form_token(other.get("/login").text)
    forged = client.post(
        "/login",
        data={"email": agent.user.email, "password": PASSWORD, "csrf_token": foreign_token},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    # A cookie the server did not sign is not accepted even if the form repeats it.
    client.cookies.set("atende_csrf", "chosen.by-attacker")
    planted = client.post(
        "/login",
        data={"email": agent.user.email, "password": PASSWORD, "csrf_token": "chosen.by-attacker"},
        follow_redirects=False,
    )
    assert planted.status_code == 403
    # The refusal page carries a fresh token that works.
    assert login(client, agent.user.email).status_code == 303


def test_logout_requires_the_csrf_token(client: TestClient, make_user: Any, web_login: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    web_login(agent)
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    wrong = client.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert wrong.status_code == 403
    wrong_header = client.post("/logout", headers={"X-CSRF-Token": "x"}, follow_redirects=False)
    assert wrong_header.status_code == 403
    # Still logged in.
    assert client.get("/tickets", follow_redirects=False).status_code == 200


def test_logout_invalidates_the_session(client: TestClient, make_user: Any, web_login: Any) -> None:
    agent = make_user("agent", password=PASSWORD)
    token = web_login(agent)
    secret = client.cookies.get(SESSION_COOKIE)
    assert secret
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/tickets", follow_redirects=False).status_code == 303
    # The old cookie value is dead on the server, not merely forgotten by this browser.
    replay = TestClient(client.app, cookies={SESSION_COOKIE: secret})
    answer = replay.get("/tickets", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/tickets"


def test_logout_with_the_htmx_header_token(
    client: TestClient, make_user: Any, web_login: Any
) -> None:
    agent = make_user("agent", password=PASSWORD)
    token = web_login(agent)
    response = client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/tickets", follow_redirects=False).status_code == 303


def test_session_expires(
    client: TestClient, make_user: Any, web_login: Any, settings: Settings
) -> None:
    agent = make_user("agent", password=PASSWORD)
    web_login(agent)
    later = utcnow() + timedelta(days=settings.session_days, minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get("/tickets", follow_redirects=False).status_code == 303


def test_unknown_session_cookie_redirects(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "made-up")
    response = client.get("/tickets", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/tickets"


def test_htmx_request_without_session_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/tickets", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/login?next=/tickets"


def test_root_redirects_to_tickets(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/tickets"


def test_static_files_are_served(client: TestClient) -> None:
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert "javascript" in htmx.headers["content-type"]
    assert b"htmx" in htmx.content[:200]
    css = client.get("/static/atende.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/../settings.py").status_code == 404


@pytest.mark.parametrize("path", ["/tickets/1/messages", "/logout"])
def test_a_form_is_not_read_before_its_session_is_known(
    client: TestClient, make_user: Any, web_login: Any, path: str
) -> None:
    read: list[str] = []

    def form(who: str) -> Any:
        read.append(who)  # runs only when the server asks for the body
        yield b"body=oi&csrf_token=x"

    headers = {"content-type": "application/x-www-form-urlencoded"}
    for cookies in ({}, {SESSION_COOKIE: "made-up"}):
        client.cookies.clear()
        client.cookies.update(cookies)
        response = client.post(path, content=form("anonymous"), headers=headers,
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/login")
        assert read == [], f"the form was read without a session ({cookies or 'no cookie'})"
    # with a live session the form is read (and its wrong CSRF token refused)
    web_login(make_user("agent", password=PASSWORD))
    response = client.post(path, content=form("agent"), headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert read == ["agent"]
