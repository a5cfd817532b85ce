"""Saved views of the inbox (agents/saved_views.py, web/saved_views.py): an agent keeps a list
under a name and opens it again in one click; a supervisor shares one with the team (audited);
names are unique per person; nobody saves parameters the inbox would refuse."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token

V1 = "/api/v1"


def _links(html: str) -> dict[str, str]:
    block = (
        html.split('class="saved-views"', 1)[1].split("</ul>", 1)[0]
        if "saved-views" in html
        else ""
    )
    return {name.strip(): href.replace("&amp;", "&")
            for href, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<(]+)', block)}  # fmt: skip


def _save(client: TestClient, page: str, query: str, name: str, **extra: str) -> Any:
    return client.post("/tickets/views", data={
        "csrf_token": form_token(page), "query": query, "name": name, **extra,
    }, follow_redirects=False)  # fmt: skip


def test_an_agent_saves_a_view_and_a_supervisor_shares_one(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    queue = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    for subject, priority in (("PDV parado", "urgent"), ("Dúvida de relatório", "low")):
        assert admin.post(f"{V1}/tickets", json={
            "subject": subject, "body": "...", "queue_id": queue, "priority": priority,
        }).status_code == 201  # fmt: skip
    paulo = make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[queue])
    web_login(paulo)
    page = client.get("/tickets", params={"view": "queues", "priority": "urgent"}).text
    assert "Salvar esta visão" in page and "Compartilhar com a equipe" not in page
    saved = _save(client, page, "view=queues&priority=urgent", "Urgentes das minhas filas")
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    links = _links(page)
    assert list(links) == ["Urgentes das minhas filas"]
    listed = client.get(links["Urgentes das minhas filas"]).text
    assert "PDV parado" in listed and "Dúvida de relatório" not in listed
    again = _save(client, page, "view=queues", "urgentes das minhas filas")
    assert again.status_code == 409 and "você já tem uma visão" in again.text
    shared = _save(client, page, "view=all", "Para todos", shared="1")
    assert shared.status_code == 403
    bad = _save(client, page, "view=on_call", "Plantão")  # a supervisors' view
    assert bad.status_code == 422 and "Visão desconhecida" in bad.text

    client.cookies.clear()
    boss = make_user("supervisor", name="Sara", password=PASSWORD)
    web_login(boss)
    page = client.get("/tickets", params={"view": "breached"}).text
    assert _links(page) == {}  # Paulo's own view is his
    assert (
        _save(client, page, "view=breached", "SLA violado do time", shared="1").status_code == 303
    )
    trail = admin.get(f"{V1}/audit", params={"entity_type": "saved_view"}).json()["items"]
    assert [e["action"] for e in trail] == ["created"]

    client.cookies.clear()
    web_login(paulo)
    page = client.get("/tickets").text
    assert set(_links(page)) == {"SLA violado do time", "Urgentes das minhas filas"}
    team_view = re.search(r"/tickets/views/(\d+)/delete", page.split("SLA violado do time")[1])
    mine = re.search(r"/tickets/views/(\d+)/delete", page.split("Urgentes das minhas filas")[1])
    assert mine is not None
    assert team_view is None or team_view.group(1) == mine.group(1)  # no delete on the team's
    gone = client.post(f"/tickets/views/{mine.group(1)}/delete",
                       data={"csrf_token": form_token(page)}, follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303
    assert set(_links(client.get("/tickets").text)) == {"SLA violado do time"}
