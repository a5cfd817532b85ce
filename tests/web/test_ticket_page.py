"""The console's ticket page: the timeline as sentences, SLA badges, the customer panel, the
change and transfer forms, the live fragment, and who may see what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy
from tests.support.queries import assert_query_count

from .conftest import PASSWORD
from .test_tickets import HTMX, timeline

# A Tuesday, 14:00 in São Paulo.
OPENED = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
V1 = "/api/v1"


@pytest.fixture
def world(admin: Any, make_user: Any) -> dict[str, Any]:
    def made(response: Any) -> int:
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    n1 = made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))
    fin = made(admin.post(f"{V1}/queues", json={"name": "Financeiro"}))
    plan = made(admin.post(f"{V1}/plans", json={"name": "Prime"}))
    org = made(
        admin.post(
            f"{V1}/organizations",
            json={
                "name": "Padaria Pão Quente",
                "plan_id": plan,
                "key_account": True,
                "billing_due_day": 10,
                "delinquent": True,
                "overdue_since": "2026-02-10",
            },
        )
    )
    contact = made(
        admin.post(
            f"{V1}/contacts",
            json={
                "name": "Joana Lojista",
                "email": "joana@padaria.example",
                "organization_id": org,
            },
        )
    )
    colleague = made(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Rui Caixa", "email": "rui@padaria.example", "organization_id": org},
        )
    )
    agent = make_user("agent", name="Paulo Agente", password=PASSWORD, queue_ids=[n1])
    return {"n1": n1, "fin": fin, "org": org, "contact": contact, "colleague": colleague,
            "agent": agent}  # fmt: skip


def _new(admin: Any, queue: int, subject: str, contact: int) -> dict[str, Any]:
    body = {"subject": subject, "body": "O caixa não abre.", "queue_id": queue,
            "contact_id": contact, "channel": "whatsapp"}  # fmt: skip
    response = admin.post(f"{V1}/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_timeline_tells_sla_and_transfers_as_sentences_with_the_due_instant(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    calendar = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)
    make_policy(admin, "Padrão", calendar, first_response_minutes=60, resolution_minutes=600)
    agent = world["agent"]
    with time_machine.travel(OPENED, tick=False):
        ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    web_login(agent)
    with time_machine.travel(OPENED + timedelta(minutes=10), tick=False):
        page = client.get(f"/tickets/{ticket['id']}").text
        # The SLA badges with the due instant: first response at 15:00, local time.
        assert "vence às 15:00" in page and "em 50 minutos" in page
        assert "Política de SLA Padrão aplicada" in page
    with time_machine.travel(OPENED + timedelta(minutes=32), tick=False):
        reply = agent.post(
            f"{V1}/tickets/{ticket['id']}/messages", json={"body": "Já verifico.", "public": True}
        )
        assert reply.status_code == 201, reply.text
        moved = agent.post(
            f"{V1}/tickets/{ticket['id']}/transfer",
            json={"queue_id": world["fin"], "reason": "Cliente com boleto em atraso"},
        )
        assert moved.status_code == 200, moved.text
        page = client.get(f"/tickets/{ticket['id']}").text
    assert "SLA de primeira resposta cumprido às 14:32" in page
    assert "Transferido de Suporte N1 para Financeiro por Paulo Agente" in page
    assert "Motivo: Cliente com boleto em atraso" in page
    assert "Status alterado de Novo para Aberto por Paulo Agente" in page
    # Never an internal field dump.
    events = re.findall(r'<li class="event"[^>]*>(.*?)</li>', page, re.S)
    assert events
    for text in events:
        assert "queue_id" not in text and "{" not in text and "first_response" not in text


def test_the_customer_panel_shows_plan_key_account_delinquency_and_last_tickets(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    older = _new(admin, world["n1"], "Impressora sem papel", world["contact"])
    colleagues = _new(admin, world["n1"], "Troca de senha", world["colleague"])
    with time_machine.travel(datetime(2026, 2, 20, 15, 0, tzinfo=UTC), tick=False):
        current = _new(admin, world["n1"], "Sistema bloqueado?", world["contact"])
    web_login(world["agent"])
    with time_machine.travel(datetime(2026, 2, 20, 15, 0, tzinfo=UTC), tick=False):
        page = client.get(f"/tickets/{current['id']}").text
    assert "Padaria Pão Quente" in page and "Prime" in page
    assert "Conta-chave" in page and "Sim" in page
    assert "dia 10" in page
    assert "10/02/2026" in page  # overdue since
    assert "17/02/2026" in page  # block date: the due date + 7 days
    assert "Sim: o sistema está bloqueado" in page
    assert f'href="/tickets/{older["id"]}">#{older["id"]} Impressora sem papel' in page
    assert f'href="/tickets/{colleagues["id"]}">#{colleagues["id"]} Troca de senha' in page
    with time_machine.travel(datetime(2026, 2, 16, 15, 0, tzinfo=UTC), tick=False):
        before_block = client.get(f"/tickets/{current['id']}").text
    assert "Sim: o sistema está bloqueado" not in before_block
    assert "Bloqueado agora" in before_block


def test_the_change_form_applies_only_what_the_agent_changed(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    token = web_login(world["agent"])
    # Meanwhile a colleague raised the priority: the agent's form still shows "normal".
    assert admin.patch(f"{V1}/tickets/{ticket['id']}", json={"priority": "high"}).is_success
    form = {
        "csrf_token": token,
        "status": "pending_customer", "was_status": "new",
        "priority": "normal", "was_priority": "normal",
        "assignee": str(world["agent"].id), "was_assignee": "",
        "tags": "Caixa, urgente", "was_tags": "",
    }  # fmt: skip
    done = client.post(f"/tickets/{ticket['id']}/update", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/tickets/{ticket['id']}"
    found = admin.get(f"{V1}/tickets/{ticket['id']}").json()
    assert found["status"] == "pending_customer"
    assert found["priority"] == "high"  # the colleague's change stands
    assert found["assignee_id"] == world["agent"].id
    assert found["tags"] == ["caixa", "urgente"]
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "Etiquetas alteradas por Paulo Agente" in page and "adicionou caixa, urgente" in page


def test_bad_changes_and_a_transfer_without_reason_are_refused_in_portuguese(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    token = web_login(world["agent"])
    before = len(timeline(admin, ticket["id"]))
    bad = client.post(
        f"/tickets/{ticket['id']}/update",
        data={
            "csrf_token": token,
            "status": "sumido",
            "was_status": "new",
            "assignee": "999999",
            "was_assignee": "",
        },
    )
    assert bad.status_code == 422
    assert "Escolha um status da lista." in bad.text
    assert "Escolha o responsável da lista." in bad.text
    no_reason = client.post(
        f"/tickets/{ticket['id']}/transfer",
        data={"csrf_token": token, "queue": str(world["fin"]), "reason": "  "},
    )
    assert no_reason.status_code == 422
    assert "Escreva o motivo da transferência." in no_reason.text
    no_queue = client.post(
        f"/tickets/{ticket['id']}/transfer",
        data={"csrf_token": token, "queue": "abc", "reason": "motivo"},
    )
    assert no_queue.status_code == 422 and "Escolha a fila para onde transferir." in no_queue.text
    same = client.post(
        f"/tickets/{ticket['id']}/transfer",
        data={"csrf_token": token, "queue": str(world["n1"]), "reason": "motivo"},
    )
    assert same.status_code == 422 and "O chamado já está nesta fila" in same.text
    assert len(timeline(admin, ticket["id"])) == before
    closed = _new(admin, world["n1"], "Fechado", world["contact"])
    assert admin.patch(f"{V1}/tickets/{closed['id']}", json={"status": "closed"}).is_success
    reopen = client.post(
        f"/tickets/{closed['id']}/update",
        data={"csrf_token": token, "status": "open", "was_status": "closed"},
    )
    assert reopen.status_code == 422 and "chamado fechado é definitivo" in reopen.text
    without_token = client.post(
        f"/tickets/{ticket['id']}/transfer",
        data={"queue": str(world["fin"]), "reason": "motivo"},
        follow_redirects=False,
    )
    assert without_token.status_code == 403
    assert len(timeline(admin, ticket["id"])) == before


def test_a_transfer_with_its_reason_moves_the_ticket_and_writes_the_note(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    ticket = _new(admin, world["n1"], "Boleto duplicado", world["contact"])
    token = web_login(world["agent"])
    moved = client.post(
        f"/tickets/{ticket['id']}/transfer",
        data={"csrf_token": token, "queue": str(world["fin"]), "reason": "Assunto financeiro"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/tickets/{ticket['id']}"  # the agent follows it
    assert admin.get(f"{V1}/tickets/{ticket['id']}").json()["queue_id"] == world["fin"]
    notes = [
        m for m in timeline(admin, ticket["id"]) if m["entry"] == "message" and not m["public"]
    ]
    assert [n["body_text"] for n in notes] == ["Assunto financeiro"]


def test_an_agent_never_sees_or_changes_another_queues_ticket(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    hidden = _new(admin, world["fin"], "Renegociação", world["contact"])
    token = web_login(world["agent"])
    for response in (
        client.get(f"/tickets/{hidden['id']}"),
        client.get(f"/tickets/{hidden['id']}/live", headers=HTMX),
        client.post(
            f"/tickets/{hidden['id']}/update",
            data={"csrf_token": token, "status": "open", "was_status": "new"},
        ),
        client.post(
            f"/tickets/{hidden['id']}/transfer",
            data={"csrf_token": token, "queue": str(world["n1"]), "reason": "meu"},
        ),
    ):
        assert response.status_code == 404
        assert "Renegociação" not in response.text
    assert admin.get(f"{V1}/tickets/{hidden['id']}").json()["status"] == "new"


def test_a_contact_sees_no_notes_no_sla_no_customer_panel_and_no_forms(
    client: TestClient, admin: Any, make_user: Any, world: dict[str, Any], web_login: Any
) -> None:
    calendar = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)
    make_policy(admin, "Padrão", calendar, first_response_minutes=60)
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    assert admin.post(
        f"{V1}/tickets/{ticket['id']}/messages", json={"body": "cliente difícil", "public": False}
    ).is_success
    contact = make_user("contact", contact_id=world["contact"], password=PASSWORD)
    web_login(contact)
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "O caixa não abre." in page
    assert "cliente difícil" not in page
    assert 'id="sla-title"' not in page and 'id="customer-title"' not in page
    assert 'id="actions"' not in page and 'id="transfer"' not in page
    live = client.get(f"/tickets/{ticket['id']}/live", headers=HTMX).text
    assert "cliente difícil" not in live and "O caixa não abre." in live


def test_a_contact_never_sees_the_tickets_tags(
    client: TestClient, admin: Any, make_user: Any, world: dict[str, Any], web_login: Any
) -> None:
    ticket = _new(admin, world["n1"], "Boleto vencido", world["contact"])
    assert admin.patch(
        f"{V1}/tickets/{ticket['id']}", json={"tags": ["inadimplente", "risco-churn"]}
    ).is_success
    web_login(world["agent"])
    assert "inadimplente" in client.get(f"/tickets/{ticket['id']}").text
    client.cookies.clear()
    contact = make_user("contact", contact_id=world["contact"], password=PASSWORD)
    web_login(contact)
    for url in (f"/tickets/{ticket['id']}", f"/tickets/{ticket['id']}/live"):
        response = client.get(url, headers=HTMX if url.endswith("live") else None)
        assert response.status_code == 200
        assert "inadimplente" not in response.text and "risco-churn" not in response.text
    assert "inadimplente" not in client.get("/tickets").text


def test_the_live_fragment_holds_the_changing_parts_out_of_band(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    web_login(world["agent"])
    assert admin.post(
        f"{V1}/tickets/{ticket['id']}/messages", json={"body": "Chegou agora", "public": True}
    ).is_success
    live = client.get(f"/tickets/{ticket['id']}/live", headers=HTMX)
    assert live.status_code == 200
    html = live.text
    for part in ("ticket-head", "timeline", "ticket-side"):
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', html), part
    assert "Chegou agora" in html
    assert 'id="actions"' not in html and "<textarea" not in html  # never the forms


def test_a_ticket_page_costs_a_fixed_number_of_statements(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any, db: Session
) -> None:
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    _new(admin, world["n1"], "Outro", world["colleague"])
    web_login(world["agent"])
    client.get(f"/tickets/{ticket['id']}")
    for n in range(3):
        assert admin.post(
            f"{V1}/tickets/{ticket['id']}/messages", json={"body": f"msg {n}", "public": n > 0}
        ).is_success
    # the session, the ticket, its messages and events, the names of users, contacts, queues
    # and organizations, its tags, its SLA, the customer (contact, organization with its
    # plan), the last tickets, the queue and staff choices
    # (#17) the ticket is on channel whatsapp: its channel messages and the requester's handle
    with assert_query_count(db, 20):  # 16 + the ticket's visits (session 8), calls, those two
        client.get(f"/tickets/{ticket['id']}")
    # the live fragment: the same reads but the forms' choices
    with assert_query_count(db, 18):  # 14 + the ticket's visits (session 8), calls, those two
        client.get(f"/tickets/{ticket['id']}/live", headers=HTMX)


def test_a_public_reply_with_warnings_comes_back_to_the_agent_until_sent_anyway(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    """The reply check (★, docs/reply-check.md) runs before a public reply leaves the console:
    gerundismo, a firm promise and a missing closing question come back as warnings in
    Portuguese with their suggestion, nothing is sent; "Enviar mesmo assim" sends it as
    written and the findings stay on the message. A clean reply and a note go at once."""
    ticket = _new(admin, world["n1"], "Caixa travado", world["contact"])
    token = web_login(world["agent"])
    url = f"/tickets/{ticket['id']}/messages"
    draft = "Vou estar verificando o caixa e retorno até amanhã."
    before = len(timeline(admin, ticket["id"]))
    held = client.post(url, data={"body": draft, "visibility": "public"},
                       headers={**HTMX, "X-CSRF-Token": token})  # fmt: skip
    assert held.status_code == 200, held.text
    assert "Antes de enviar, confira esta resposta" in held.text
    assert "Gerundismo" in held.text and "“Vou estar verificando”" in held.text
    assert "Promessa de prazo firme" in held.text and "até amanhã" in held.text
    assert "Falta a pergunta de encerramento" in held.text
    assert "Enviar mesmo assim" in held.text and draft in held.text  # the text is kept
    assert len(timeline(admin, ticket["id"])) == before  # nothing sent

    sent = client.post(url, data={"body": draft, "visibility": "public", "send_anyway": "1"},
                       headers={**HTMX, "X-CSRF-Token": token})  # fmt: skip
    assert sent.status_code == 200 and "Antes de enviar" not in sent.text
    replies = [
        m
        for m in timeline(admin, ticket["id"])
        if m["entry"] == "message" and m["public"] and m["author_kind"] == "agent"
    ]
    assert [m["body_text"] for m in replies] == [draft]
    kinds = {f["kind"] for f in replies[0]["reply_check"]["findings"]}
    assert kinds == {"gerund", "promise", "closing_question"}  # sent anyway, on record

    clean = "Reiniciei o serviço do caixa e ele voltou. Ficou alguma dúvida?"
    ok = client.post(url, data={"body": clean, "visibility": "public"},
                     headers={**HTMX, "X-CSRF-Token": token})  # fmt: skip
    assert ok.status_code == 200 and "Antes de enviar" not in ok.text
    note = client.post(url, data={"body": "Vou estar olhando amanhã", "visibility": "note"},
                       headers={**HTMX, "X-CSRF-Token": token})  # fmt: skip
    assert note.status_code == 200 and "Antes de enviar" not in note.text  # notes: no check
    messages = [m for m in timeline(admin, ticket["id"]) if m["entry"] == "message"]
    assert [m["body_text"] for m in messages][1:] == [draft, clean, "Vou estar olhando amanhã"]


def test_visits_and_the_on_call_review_are_told_as_sentences_on_the_timeline(
    client: TestClient, admin: Any, world: dict[str, Any], web_login: Any
) -> None:
    """Seed 002's Field Desk visits (docs/visits.md) on the console's timeline: who booked,
    changed or cancelled it, with the window, technician and billing under it."""
    ticket = _new(admin, world["n1"], "PDV não liga", world["contact"])
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    visit = admin.post(f"{V1}/tickets/{ticket['id']}/visits", json={
        "kind": "appointment", "purpose": "Treinamento do PDV", "starts_at": start.isoformat(),
        "assignee_id": world["agent"].user.id})  # fmt: skip
    assert visit.status_code == 201, visit.text
    cancelled = admin.patch(
        f"{V1}/visits/{visit.json()['id']}",
        json={"status": "cancelled", "cancel_reason": "Cliente desmarcou"},
    )
    assert cancelled.status_code == 200, cancelled.text
    web_login(world["agent"])
    page = client.get(f"/tickets/{ticket['id']}").text
    assert "Ana Admin agendou uma visita" in page
    assert "Atendimento agendado: Treinamento do PDV" in page and "com Paulo Agente" in page
    assert "Ana Admin cancelou uma visita" in page and "(Cliente desmarcou)" in page
    assert "Chamado atualizado por" not in page  # no event falls back to the bare sentence
