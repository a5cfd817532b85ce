"""The agent's ticket list and ticket page, driven as a browser (and HTMX) would."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from .conftest import PASSWORD

HTMX = {"HX-Request": "true"}


@pytest.fixture
def queues(admin: Any) -> dict[str, int]:
    out = {}
    for name in ("Suporte N1", "Financeiro"):
        response = admin.post("/api/v1/queues", json={"name": name})
        assert response.status_code == 201, response.text
        out[name] = response.json()["id"]
    return out


def new_ticket(admin: Any, queue_id: int, subject: str = "Sistema não abre", **extra: Any) -> Any:
    payload = {
        "subject": subject,
        "body": extra.pop("body", "O sistema da loja não abre desde cedo."),
        "channel": extra.pop("channel", "email"),
        "queue_id": queue_id,
        "requester": extra.pop(
            "requester", {"name": "Joana Lojista", "email": "joana@loja.example"}
        ),
        **extra,
    }
    response = admin.post("/api/v1/tickets", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def timeline(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/tickets/{ticket_id}/timeline")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def messages(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    return [e for e in timeline(admin, ticket_id) if e["entry"] == "message"]


@pytest.fixture
def agent(make_user: Any, queues: dict[str, int]) -> Any:
    return make_user(
        "agent", name="Paulo Agente", password=PASSWORD, queue_ids=[queues["Suporte N1"]]
    )


def test_list_shows_the_agents_tickets_only(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    mine = new_ticket(admin, queues["Suporte N1"], "Impressora fiscal parou", priority="high")
    other = new_ticket(admin, queues["Financeiro"], "Boleto em atraso")
    web_login(agent)
    page = client.get("/tickets")
    assert page.status_code == 200
    html = page.text
    assert "Impressora fiscal parou" in html
    assert f"#{mine['number']}" in html
    assert f'href="/tickets/{mine["id"]}"' in html
    assert "Novo" in html and "Alta" in html
    assert "Suporte N1" in html and "Joana Lojista" in html
    assert "Boleto em atraso" not in html
    assert f'href="/tickets/{other["id"]}"' not in html
    assert "Paulo Agente" in html  # who is logged in


def test_list_filters_by_status(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    fresh = new_ticket(admin, queues["Suporte N1"], "Chamado novo")
    worked = new_ticket(admin, queues["Suporte N1"], "Chamado resolvido")
    patched = admin.patch(f"/api/v1/tickets/{worked['id']}", json={"status": "resolved"})
    assert patched.status_code == 200, patched.text
    web_login(agent)
    resolved = client.get("/tickets?status=resolved").text
    assert "Chamado resolvido" in resolved and "Chamado novo" not in resolved
    both = client.get("/tickets?status=new&status=resolved").text
    assert "Chamado resolvido" in both and "Chamado novo" in both
    unresolved = client.get(
        "/tickets?status=new&status=open&status=pending_customer&status=pending_internal"
        "&status=scheduled"
    ).text
    assert "Chamado novo" in unresolved and "Chamado resolvido" not in unresolved
    assert 'aria-current="true">Não resolvidos' in unresolved
    bogus = client.get("/tickets?status=nonsense")
    assert bogus.status_code == 200
    assert "Status desconhecido" in bogus.text and "Chamado novo" not in bogus.text
    assert fresh["id"] != worked["id"]


def test_list_pages_with_a_keyset_cursor(
    client: TestClient,
    admin: Any,
    agent: Any,
    queues: dict[str, int],
    web_login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from atende.web import inbox as web_inbox

    monkeypatch.setattr(web_inbox, "PAGE_SIZE", 2)
    subjects = [f"Chamado {n}" for n in range(5)]
    for subject in subjects:
        new_ticket(admin, queues["Suporte N1"], subject)
    web_login(agent)
    seen: list[str] = []
    url: str | None = "/tickets?sort=created"  # newest first
    for _ in range(5):
        assert url is not None
        html = client.get(url).text
        seen += re.findall(r"Chamado \d", html)
        found = re.search(r'href="(/tickets\?[^"]*after=[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url is None:
            break
    assert seen == list(reversed(subjects))
    # A cursor that is not one is ignored (first page), never an error.
    assert client.get("/tickets?after=garbage").status_code == 200
    assert client.get("/tickets?after=99999999999999999999999.1").status_code == 200


def test_ticket_page_shows_the_timeline_in_local_time(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        ticket = new_ticket(
            admin,
            queues["Suporte N1"],
            "<b>Caixa</b> travado",
            body="<p>Olá, o <em>caixa</em> travou.</p><script>alert(1)</script>"
            '<img src="x" onerror="alert(2)">',
        )
    web_login(agent)
    page = client.get(f"/tickets/{ticket['id']}")
    assert page.status_code == 200
    html = page.text
    # The subject is text, escaped; the body is the sanitised HTML.
    assert "&lt;b&gt;Caixa&lt;/b&gt; travado" in html
    assert "<p>Olá, o <em>caixa</em> travou.</p>" in html
    assert "<script>alert" not in html and "onerror" not in html
    # 15:00 UTC is 12:00 in São Paulo, written the Brazilian way.
    assert "10/03/2026 12:00" in html
    assert "Joana Lojista" in html
    assert "Aberto por Ana Admin" in html  # the timeline says it as a sentence
    assert 'name="csrf_token"' in html and 'hx-post="/tickets/' in html
    assert "Nota interna" in html


def test_ticket_page_shows_when_a_resolved_ticket_closes_itself(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        ticket = new_ticket(admin, queues["Suporte N1"])
        resolved = admin.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    web_login(agent)
    html = client.get(f"/tickets/{ticket['id']}").text
    # no SLA policy: 48 real hours after 12:00 local time on 10 March
    assert resolved.json()["auto_close_at"] == "2026-03-12T15:00:00Z"
    assert "Encerramento automático" in html and "12/03/2026 12:00" in html


@pytest.mark.parametrize("path", ["999999", "0", "-1", "abc", "99999999999999999999999"])
def test_ticket_page_404_for_missing_or_malformed_ids(
    client: TestClient, agent: Any, web_login: Any, path: str
) -> None:
    web_login(agent)
    response = client.get(f"/tickets/{path}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_ticket_page_404_for_a_ticket_the_user_cannot_read(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    hidden = new_ticket(admin, queues["Financeiro"], "Renegociação de dívida")
    web_login(agent)
    page = client.get(f"/tickets/{hidden['id']}")
    assert page.status_code == 404
    assert "Renegociação" not in page.text
    missing = client.get("/tickets/987654321")
    assert missing.status_code == 404
    # The same page for both: nothing tells a hidden ticket from a missing one.
    assert page.text == missing.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tickets").text)
    assert token
    post = client.post(
        f"/tickets/{hidden['id']}/messages",
        data={"csrf_token": token.group(1), "body": "oi", "visibility": "public"},
        follow_redirects=False,
    )
    assert post.status_code == 404
    assert len(messages(admin, hidden["id"])) == 1


def test_ticket_page_without_session_redirects_to_login(
    client: TestClient, admin: Any, queues: dict[str, int]
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    client.cookies.clear()
    response = client.get(f"/tickets/{ticket['id']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/tickets/{ticket['id']}"


def test_reply_with_htmx_header_token(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    token = web_login(agent)
    response = client.post(
        f"/tickets/{ticket['id']}/messages",
        data={
            "body": "Bom dia! Pode reiniciar o computador? Ficou alguma dúvida?",
            "visibility": "public",
        },
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ticket"')  # the fragment only
    assert "Bom dia! Pode reiniciar o computador? Ficou alguma dúvida?" in response.text
    found = admin.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert found["status"] == "open"  # the first public agent reply opens the ticket
    assert found["first_response_at"] is not None
    bodies = [m for m in messages(admin, ticket["id"]) if m.get("public") is True]
    assert len(bodies) == 2


def test_internal_note_with_the_form_field_token(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    token = web_login(agent)
    response = client.post(
        f"/tickets/{ticket['id']}/messages",
        data={"csrf_token": token, "body": "Cliente VIP, tratar hoje.", "visibility": "note"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/tickets/{ticket['id']}#m")
    notes = [m for m in messages(admin, ticket["id"]) if m.get("public") is False]
    assert len(notes) == 1
    assert admin.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "new"
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "Cliente VIP, tratar hoje." in page and "entry-note" in page


def test_reply_without_csrf_token_is_refused_and_writes_nothing(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    web_login(agent)
    before = len(timeline(admin, ticket["id"]))
    for headers, data in (
        ({}, {"body": "sem token"}),
        (HTMX, {"body": "sem token"}),
        ({"X-CSRF-Token": "forjado"}, {"body": "token errado"}),
        ({}, {"body": "token errado", "csrf_token": "forjado"}),
    ):
        response = client.post(
            f"/tickets/{ticket['id']}/messages",
            data=data,
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
    assert len(timeline(admin, ticket["id"])) == before


def test_cross_site_json_post_is_refused(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    web_login(agent)
    response = client.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "x"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_empty_reply_is_refused_with_a_message(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    token = web_login(agent)
    before = len(timeline(admin, ticket["id"]))
    for body in ("   ", "<script>alert(1)</script>"):
        response = client.post(
            f"/tickets/{ticket['id']}/messages",
            data={"body": body, "visibility": "public"},
            headers={**HTMX, "X-CSRF-Token": token},
        )
        assert response.status_code == 422
        assert 'role="alert"' in response.text
    assert len(timeline(admin, ticket["id"])) == before


def test_closed_ticket_takes_no_reply(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    assert admin.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "closed"}).is_success
    token = web_login(agent)
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "está fechado" in page and "hx-post" not in page
    before = len(timeline(admin, ticket["id"]))
    response = client.post(
        f"/tickets/{ticket['id']}/messages",
        data={"body": "ainda aí?", "visibility": "public"},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert response.status_code == 409
    assert "Não é possível escrever" in response.text
    assert len(timeline(admin, ticket["id"])) == before


def test_contact_sees_only_public_messages(
    client: TestClient, admin: Any, make_user: Any, queues: dict[str, int], web_login: Any
) -> None:
    ticket = new_ticket(admin, queues["Suporte N1"])
    note = admin.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"body": "segredo interno", "public": False},
    )
    assert note.status_code == 201, note.text
    contact_id = admin.get(f"/api/v1/tickets/{ticket['id']}").json()["requester_id"]
    contact = make_user("contact", contact_id=contact_id, password=PASSWORD)
    web_login(contact)
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "O sistema da loja não abre" in page
    assert "segredo interno" not in page
    assert 'value="note"' not in page


INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_pages_carry_the_csp_and_nothing_inline_that_it_would_block(
    client: TestClient, admin: Any, agent: Any, queues: dict[str, int], web_login: Any
) -> None:
    """Every HTML answer carries the strict policy (api/limits.py), and the pages hold nothing
    it would block: no inline script, style or event handler."""
    ticket = new_ticket(admin, queues["Suporte N1"])
    pages = [client.get("/login")]
    token = web_login(agent)
    pages += [
        client.get("/tickets"),
        client.get("/tickets?status=open"),
        client.get(f"/tickets/{ticket['id']}"),
        client.get("/tickets/999999999"),  # the error page
        client.post(  # an HTMX fragment
            f"/tickets/{ticket['id']}/messages",
            data={"body": "Olá", "visibility": "public"},
            headers={**HTMX, "X-CSRF-Token": token},
        ),
    ]
    for page in pages:
        assert page.headers["content-type"].startswith("text/html"), page.url
        policy = page.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, page.url
        assert "unsafe-inline" not in policy
        for pattern, what in INLINE:
            found = pattern.search(page.text)
            assert found is None, f"{page.url} has {what}: {found and found.group(0)}"
