"""The console's inbox: views and their counts, the SLA order, filters, bulk actions with CSRF,
what an agent may see, and the statements a page costs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from atende.web import inbox
from atende.web import repository as web_repository
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy
from tests.support.queries import assert_query_count, count_queries

from .conftest import PASSWORD
from .test_tickets import new_ticket, timeline

# A Tuesday, 10:00 in São Paulo.
OPENED = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def counts(html: str) -> dict[str, int]:
    found = re.findall(
        r'data-view="(\w+)">\s*<span>[^<]*</span><span class="count"[^>]*>(\d+)<', html
    )
    return {view: int(n) for view, n in found}


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-ticket="(\d+)">', html)]


@pytest.fixture
def desk(admin: Any, make_user: Any, queues: dict[str, int]) -> dict[str, Any]:
    """An agent of Suporte N1 and a supervisor; in N1: one ticket assigned to the agent, one
    unassigned, one waiting for the customer; in Financeiro: one the agent transferred there
    (and follows) and one the agent never touched."""
    n1, fin = queues["Suporte N1"], queues["Financeiro"]
    agent = make_user("agent", name="Paulo Agente", password=PASSWORD, queue_ids=[n1])
    supervisor = make_user("supervisor", name="Sara Supervisora", password=PASSWORD)
    mine = new_ticket(admin, n1, "Impressora fiscal parou")
    assert admin.post(
        f"/api/v1/tickets/{mine['id']}/assign", json={"assignee_id": agent.id}
    ).is_success
    loose = new_ticket(admin, n1, "Sem responsável ainda")
    waiting = new_ticket(admin, n1, "Aguardando o cliente")
    assert admin.patch(
        f"/api/v1/tickets/{waiting['id']}", json={"status": "pending_customer"}
    ).is_success
    sent = new_ticket(admin, n1, "Boleto duplicado")
    moved = agent.post(
        f"/api/v1/tickets/{sent['id']}/transfer",
        json={"queue_id": fin, "reason": "Assunto do financeiro"},
    )
    assert moved.status_code == 200, moved.text
    hidden = new_ticket(admin, fin, "Renegociação de dívida")
    return {
        "agent": agent,
        "supervisor": supervisor,
        "mine": mine["id"],
        "loose": loose["id"],
        "waiting": waiting["id"],
        "sent": sent["id"],
        "hidden": hidden["id"],
    }


@pytest.fixture
def queues(admin: Any) -> dict[str, int]:
    out = {}
    for name in ("Suporte N1", "Financeiro"):
        response = admin.post("/api/v1/queues", json={"name": name})
        assert response.status_code == 201, response.text
        out[name] = response.json()["id"]
    return out


def test_an_agent_sees_their_views_with_counts_and_never_another_queues_ticket(
    client: TestClient, desk: dict[str, Any], web_login: Any
) -> None:
    web_login(desk["agent"])
    page = client.get("/tickets")
    assert page.status_code == 200
    html = page.text
    assert counts(html) == {
        "all": 4,  # three of N1 and the one they follow
        "mine": 1,
        "queues": 3,
        "unassigned": 3,
        "breaching": 0,
        "breached": 0,
        "waiting": 1,
        "internal": 0,
        "following": 1,
        "elsewhere": 1,  # the one they sent to Financeiro and follow
    }
    assert "on_call" not in html  # the on-call review is the supervisors'
    assert desk["hidden"] not in listed(html)
    assert "Renegociação" not in html
    views = {
        "mine": [desk["mine"]],
        "waiting": [desk["waiting"]],
        "following": [desk["sent"]],
        "unassigned": [desk["loose"], desk["waiting"], desk["sent"]],
    }
    for view, expected in views.items():
        assert listed(client.get(f"/tickets?view={view}").text) == expected, view
    bad = client.get("/tickets?view=on_call")
    assert "Visão desconhecida: on_call." in bad.text and listed(bad.text) == []


def test_a_supervisor_sees_every_queue_and_the_on_call_review(
    client: TestClient, desk: dict[str, Any], web_login: Any
) -> None:
    web_login(desk["supervisor"])
    html = client.get("/tickets").text
    found = counts(html)
    assert found["all"] == 5 and found["queues"] == 0 and found["on_call"] == 0
    assert desk["hidden"] in listed(html)
    assert "Revisão do plantão" in html


def test_breaching_soon_and_breached_views_follow_the_sla_clocks(
    client: TestClient, admin: Any, make_user: Any, queues: dict[str, int], web_login: Any
) -> None:
    calendar = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)
    make_policy(admin, "Padrão", calendar, first_response_minutes=60, warning_percent=80)
    n1 = queues["Suporte N1"]
    agent = make_user("agent", name="Paulo Agente", password=PASSWORD, queue_ids=[n1])
    with time_machine.travel(OPENED, tick=False):
        early = new_ticket(admin, n1, "Aberto às 10h")
    with time_machine.travel(OPENED + timedelta(minutes=30), tick=False):
        later = new_ticket(admin, n1, "Aberto às 10h30")
        no_sla = new_ticket(admin, n1, "Respondido")
        assert admin.post(
            f"/api/v1/tickets/{no_sla['id']}/messages", json={"body": "Olá!", "public": True}
        ).is_success
    web_login(agent)
    # 10:50: the first ticket passed its warning (10:48), the second not yet (11:18).
    with time_machine.travel(OPENED + timedelta(minutes=50), tick=False):
        html = client.get("/tickets").text
        assert counts(html)["breaching"] == 1 and counts(html)["breached"] == 0
        assert listed(client.get("/tickets?view=breaching").text) == [early["id"]]
        # The SLA order: nearest due first, tickets without a running clock last.
        assert listed(html) == [early["id"], later["id"], no_sla["id"]]
        assert "em 10 minutos" in html  # the first one's due time, relative
    # 11:20: the first ticket is past due (no sweep ran yet: the view reads the clock), the
    # second passed its warning.
    with time_machine.travel(OPENED + timedelta(minutes=80), tick=False):
        html = client.get("/tickets").text
        assert counts(html)["breached"] == 1 and counts(html)["breaching"] == 1
        assert listed(client.get("/tickets?view=breached").text) == [early["id"]]
        assert listed(client.get("/tickets?view=breaching").text) == [later["id"]]
        assert "sla-late" in html


def test_filters_narrow_the_list_and_bad_ones_are_named(
    client: TestClient, admin: Any, desk: dict[str, Any], web_login: Any
) -> None:
    assert admin.patch(
        f"/api/v1/tickets/{desk['loose']}", json={"priority": "urgent", "tags": ["vip"]}
    ).is_success
    web_login(desk["agent"])
    assert listed(client.get("/tickets?priority=urgent").text) == [desk["loose"]]
    assert listed(client.get("/tickets?tag=VIP").text) == [desk["loose"]]
    assert listed(client.get("/tickets?q=fiscal").text) == [desk["mine"]]
    assert listed(client.get(f"/tickets?q=%23{desk['waiting']}").text) == [desk["waiting"]]
    assert listed(client.get("/tickets?channel=whatsapp").text) == []
    bad = client.get("/tickets?priority=altissima&queue=abc&sort=aleatorio")
    assert bad.status_code == 200
    assert "Prioridade desconhecido: altissima." in bad.text
    assert "A fila deve ser escolhida da lista." in bad.text
    assert "Ordem desconhecida: aleatorio." in bad.text
    assert listed(bad.text) == []


def test_bulk_assign_status_and_tag_go_through_the_workflows(
    client: TestClient, admin: Any, desk: dict[str, Any], web_login: Any
) -> None:
    token = web_login(desk["agent"])
    chosen = [str(desk["loose"]), str(desk["waiting"])]
    assigned = client.post(
        "/tickets/bulk",
        data={"csrf_token": token, "ids": chosen, "action": "assign", "assignee": "me"},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    assert assigned.headers["location"] == "/tickets?done=2"
    assert "2 chamado(s) alterado(s)." in client.get(assigned.headers["location"]).text
    for ticket_id in (desk["loose"], desk["waiting"]):
        assert admin.get(f"/api/v1/tickets/{ticket_id}").json()["assignee_id"] == desk["agent"].id
    tagged = client.post(
        "/tickets/bulk",
        data={"csrf_token": token, "ids": chosen, "action": "tag", "tag": "Revisar"},
        follow_redirects=False,
    )
    assert tagged.status_code == 303
    assert admin.get(f"/api/v1/tickets/{desk['loose']}").json()["tags"] == ["revisar"]
    resolved = client.post(
        "/tickets/bulk",
        data={"csrf_token": token, "ids": chosen, "action": "status", "status": "resolved"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert admin.get(f"/api/v1/tickets/{desk['waiting']}").json()["status"] == "resolved"
    # Who and when: each change is on the ticket's timeline, by the agent.
    events = [e for e in timeline(admin, desk["loose"]) if e["entry"] == "event"]
    assert {e["kind"] for e in events} >= {"assignee", "tags", "status"}
    assert all(
        e["actor_user_id"] == desk["agent"].id for e in events if e["kind"] in ("tags", "status")
    )


def test_bulk_is_all_or_nothing_and_names_the_ticket_that_refused(
    client: TestClient, admin: Any, desk: dict[str, Any], web_login: Any
) -> None:
    assert admin.patch(f"/api/v1/tickets/{desk['mine']}", json={"status": "closed"}).is_success
    token = web_login(desk["agent"])
    refused = client.post(
        "/tickets/bulk",
        data={
            "csrf_token": token,
            "ids": [str(desk["loose"]), str(desk["mine"]), str(desk["hidden"])],
            "action": "status",
            "status": "open",
        },
    )
    assert refused.status_code == 422
    assert "Nada foi alterado." in refused.text
    assert f"#{desk['mine']}:" in refused.text
    assert f"#{desk['hidden']}: não encontrado" in refused.text
    assert "Renegociação" not in refused.text
    assert admin.get(f"/api/v1/tickets/{desk['loose']}").json()["status"] == "new"
    for data, message in (
        ({"ids": [], "action": "status", "status": "open"}, "Selecione pelo menos um chamado."),
        ({"ids": ["x1"], "action": "status", "status": "open"}, "não é um número de chamado"),
        ({"ids": [str(desk["loose"])], "action": "status", "status": "zzz"}, "novo status"),
        ({"ids": [str(desk["loose"])], "action": "assign", "assignee": "999"}, "a quem"),
        ({"ids": [str(desk["loose"])], "action": "tag", "tag": " "}, "Escreva a etiqueta"),
        ({"ids": [str(desk["loose"])], "action": "explode"}, "Escolha uma ação."),
    ):
        answer = client.post("/tickets/bulk", data={"csrf_token": token, **data})
        assert answer.status_code == 422, data
        assert message in answer.text, data
    without_token = client.post(
        "/tickets/bulk",
        data={"ids": [str(desk["loose"])], "action": "status", "status": "open"},
        follow_redirects=False,
    )
    assert without_token.status_code == 403
    assert admin.get(f"/api/v1/tickets/{desk['loose']}").json()["status"] == "new"


def test_a_contact_sees_only_their_tickets_and_no_bulk_actions(
    client: TestClient, admin: Any, make_user: Any, desk: dict[str, Any], web_login: Any
) -> None:
    contact_id = admin.get(f"/api/v1/tickets/{desk['mine']}").json()["requester_id"]
    contact = make_user("contact", contact_id=contact_id, password=PASSWORD)
    token = web_login(contact)
    html = client.get("/tickets").text
    assert 'id="bulk"' not in html and 'name="ids"' not in html
    assert set(counts(html)) == {"all"}
    refused = client.post(
        "/tickets/bulk",
        data={"csrf_token": token, "ids": [str(desk["mine"])], "action": "tag", "tag": "x"},
    )
    assert refused.status_code == 422
    assert admin.get(f"/api/v1/tickets/{desk['mine']}").json()["tags"] == []


def test_the_live_refresh_answers_the_list_and_the_counts_only(
    client: TestClient, desk: dict[str, Any], web_login: Any
) -> None:
    web_login(desk["agent"])
    fragment = client.get(
        "/tickets?view=mine", headers={"HX-Request": "true", "HX-Target": "inbox-list"}
    )
    assert fragment.status_code == 200
    text = fragment.text.lstrip()
    assert text.startswith('<div id="inbox-list"')
    assert 'id="inbox-views" class="views card"' in text and 'hx-swap-oob="true"' in text
    assert "<html" not in text and listed(text) == [desk["mine"]]


def test_an_inbox_page_costs_a_fixed_number_of_statements(
    client: TestClient,
    admin: Any,
    desk: dict[str, Any],
    queues: dict[str, int],
    web_login: Any,
    db: Session,
) -> None:
    web_login(desk["supervisor"])
    client.get("/tickets")  # the session's activity is recorded once
    with count_queries(db) as small:
        client.get("/tickets")
    for n in range(6):
        new_ticket(admin, queues["Suporte N1"], f"Mais um {n}")
    with assert_query_count(db, small.count):
        client.get("/tickets")
    with assert_query_count(db, small.count - 1):  # nobody to name: no assignee on the page
        client.get("/tickets?view=unassigned&priority=normal&q=mais")
    # the session, the views' counts (one statement), the page (the tickets with a running SLA
    # clock by due instant, then, the page being short, those without one), the names of its
    # requesters, queues and assignees, its tags, the queues and staff of the filters and bulk
    # actions, the saved views
    assert small.count == 11, small.listing()


def test_view_counts_stop_at_the_cap_and_show_a_plus(
    client: TestClient,
    admin: Any,
    desk: dict[str, Any],
    web_login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a million tickets a view counts up to 1,000 and shows "999+" (here a cap of 3)."""
    monkeypatch.setattr(web_repository, "COUNT_CAP", 3)
    web_login(desk["supervisor"])
    html = client.get("/tickets").text
    shown = dict(
        re.findall(
            r'data-view="(\w+)">\s*<span>[^<]*</span><span class="count"[^>]*>([^<]+)<', html
        )
    )
    assert shown["all"] == "2+" and shown["unassigned"] == "2+"  # 5 and 3 tickets
    assert shown["mine"] == "0" and shown["waiting"] == "1" and shown["on_call"] == "0"
    assert 'aria-label="2+ chamados"' in html


def test_the_sla_order_pages_from_the_clocked_tickets_into_the_others(
    client: TestClient,
    admin: Any,
    make_user: Any,
    queues: dict[str, int],
    web_login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages of 2 by SLA due: the ticket with a clock, then those without one by number, the
    cursor crossing from one to the other."""
    calendar = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)
    make_policy(admin, "Padrão", calendar, first_response_minutes=60, warning_percent=80)
    n1 = queues["Suporte N1"]
    agent = make_user("agent", name="Paulo Agente", password=PASSWORD, queue_ids=[n1])
    with time_machine.travel(OPENED, tick=False):
        answered = [new_ticket(admin, n1, f"Respondido {n}")["id"] for n in range(3)]
        for ticket_id in answered:
            assert admin.post(
                f"/api/v1/tickets/{ticket_id}/messages", json={"body": "Olá!", "public": True}
            ).is_success
        clocked = new_ticket(admin, n1, "Ainda sem resposta")["id"]
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    web_login(agent)
    with time_machine.travel(OPENED + timedelta(minutes=5), tick=False):
        seen: list[int] = []
        url = "/tickets"
        while url:
            html = client.get(url).text
            seen += listed(html)
            found = re.search(r'href="(/tickets\?[^"]*after=[^"]+)"', html)
            url = found.group(1).replace("&amp;", "&") if found else ""
            assert len(seen) <= 4
    assert seen == [clocked, *answered]
