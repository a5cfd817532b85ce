"""Live chat through its public interfaces: an admin's widget, a visitor's chat (a ticket on
channel ``chat``), their messages once per client id, the visitor's stream, the agent's side
(waiting chats, take, transfer, end), the end starting the resolution clock (seed 000)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.jobs.models import Job
from tests.chat.helpers import V1, Visitor, made, refused, widget
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy

T0 = datetime(2026, 11, 16, 13, 0, tzinfo=UTC)  # a Monday, 10:00 in São Paulo


def test_an_admin_configures_a_widget_and_gets_the_tag_to_embed(admin: Any, client: Any) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    w = widget(
        admin,
        color="#0a7d3b",
        greeting="Olá! Em que podemos ajudar?",
        queue_id=queue["id"],
        allowed_origins=["https://www.solis.example"],
        prechat="email",
    )
    assert w["embed"].startswith('<script src="http://testserver/chat/widget.js"')
    assert f'data-widget="{w["key"]}"' in w["embed"]
    changed = made(admin.patch(f"{V1}/chat/widgets/{w['id']}", json={"greeting": "Oi!"}), 200)
    assert changed["greeting"] == "Oi!"
    audit = made(admin.get(f"{V1}/audit?entity_type=chat_widget"), 200)
    assert {e["action"] for e in audit["items"]} >= {"created", "updated"}
    refused(admin.post(f"{V1}/chat/widgets", json={"name": "x", "color": "verde"}), 422, "color")
    refused(
        admin.post(f"{V1}/chat/widgets", json={"name": "x", "queue_id": 999999}), 422, "queue_id"
    )
    page = client.get(f"/chat/w/{w['key']}")
    assert page.status_code == 200
    assert (
        "frame-ancestors 'self' https://www.solis.example"
        in page.headers["content-security-policy"]
    )
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "style=" not in page.text
    assert client.get("/chat/w/nao-existe").status_code == 404
    loader = client.get("/chat/widget.js")
    assert loader.status_code == 200 and "javascript" in loader.headers["content-type"]
    assert len(loader.content) < 6000


def test_only_admins_configure_widgets(make_user: Any) -> None:
    agent = make_user("agent")
    refused(agent.post(f"{V1}/chat/widgets", json={"name": "x"}), 403)


def test_a_visitor_chats_and_the_chat_is_its_own_ticket_linked_to_the_others(
    admin: Any, client: Any, make_user: Any
) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    contact = made(
        admin.post(f"{V1}/contacts", json={"name": "Joana", "email": "joana@padaria.example"})
    )
    older = made(
        admin.post(
            f"{V1}/tickets",
            json={"subject": "PDV lento", "body": "Lento", "contact_id": contact["id"]},
        )
    )
    w = widget(admin, queue_id=queue["id"])
    visitor = Visitor(client, w["key"])
    assert visitor.open()["chat"] is None
    chat = visitor.start()
    assert chat["state"] == "waiting"
    waiting = made(agent.get(f"{V1}/chats"), 200)
    assert [c["state"] for c in waiting] == ["waiting"]
    ticket_id = waiting[0]["ticket_id"]
    assert waiting[0]["related_ticket_ids"] == [older["id"]]
    ticket = made(agent.get(f"{V1}/tickets/{ticket_id}"), 200)
    assert ticket["channel"] == "chat" and ticket["queue_id"] == queue["id"]
    assert ticket["requester_id"] == contact["id"]

    first = visitor.say("Meu PDV não imprime", client_id="c-0001-abcdef")
    assert first.status_code == 201
    again = visitor.say("Meu PDV não imprime", client_id="c-0001-abcdef")  # a retry
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    made(agent.post(f"{V1}/tickets/{ticket_id}/messages", json={"body": "Olá, Joana!"}))
    made(
        agent.post(
            f"{V1}/tickets/{ticket_id}/messages", json={"body": "nota interna", "public": False}
        )
    )
    assert visitor.texts() == [("visitor", "Meu PDV não imprime"), ("agent", "Olá, Joana!")]
    assert made(agent.get(f"{V1}/tickets/{ticket_id}/chat"), 200)["state"] == "active"

    # a returning visitor (same token, new page) sees the same chat
    back = Visitor(client, w["key"], token=visitor.token)
    assert back.open()["chat"]["state"] == "active"
    assert [b for _, b in back.texts()] == ["Meu PDV não imprime", "Olá, Joana!"]
    # another visitor sees nothing of it
    other = Visitor(client, w["key"])
    other.open()
    assert other.messages()["messages"] == []
    # a visitor reads the site's language (no account, no Accept-Language): Portuguese
    assert "inicie um chat antes" in refused(other.say("oi"), 409)["detail"]


def test_bad_visitor_input_is_refused_with_a_clear_problem(admin: Any, client: Any) -> None:
    w = widget(admin, prechat="email")
    visitor = Visitor(client, w["key"])
    refused(client.post(f"/chat/w/{w['key']}/session", json={"token": "curto"}), 422, "token")
    visitor.open()
    refused(
        visitor.call("POST", "/chat", json={"name": "Jo", "phone": "11999998888"}), 422, "email"
    )
    forged = Visitor(client, w["key"])
    forged.session = visitor.session[:-2] + "xx"
    problem = refused(forged.call("GET", "/messages"), 401)
    assert "não é válida" in problem["detail"]
    refused(visitor.say("sem chat"), 409)
    visitor.start()
    refused(
        visitor.call("POST", "/messages", json={"client_id": "x", "body": "oi"}), 422, "client_id"
    )
    refused(
        visitor.call("POST", "/messages", json={"client_id": "abcdefgh", "body": ""}), 422, "body"
    )


def test_the_agent_takes_transfers_and_ends_and_the_resolution_clock_starts_then(
    admin: Any, client: Any, make_user: Any, db: Session
) -> None:
    n1 = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    fin = made(admin.post(f"{V1}/queues", json={"name": "Financeiro"}))
    agent = make_user("agent", queue_ids=[n1["id"], fin["id"]])
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)
    make_policy(
        admin,
        "Chat",
        cal,
        first_response_minutes=30,
        resolution_minutes=240,
        chat_resolution_starts_at_chat_end=True,
        conditions={"all": [{"field": "ticket.channel", "op": "eq", "value": "chat"}]},
    )
    w = widget(admin, queue_id=n1["id"])
    visitor = Visitor(client, w["key"])
    with time_machine.travel(T0, tick=False):
        visitor.open()
        visitor.start()
        ticket_id = made(agent.get(f"{V1}/chats"), 200)[0]["ticket_id"]
        taken = made(agent.post(f"{V1}/tickets/{ticket_id}/chat/take"), 200)
        assert taken["state"] == "waiting"
        assert made(agent.get(f"{V1}/tickets/{ticket_id}"), 200)["assignee_id"] == agent.id
        refused(
            agent.post(
                f"{V1}/tickets/{ticket_id}/chat/transfer",
                json={"queue_id": fin["id"], "reason": ""},
            ),
            422,
            "reason",
        )
        made(
            agent.post(
                f"{V1}/tickets/{ticket_id}/chat/transfer",
                json={"queue_id": fin["id"], "reason": "Boleto em atraso"},
            ),
            200,
        )
        sla = made(agent.get(f"{V1}/tickets/{ticket_id}"), 200)["sla"]
    assert sla["policy_name"] == "Chat"
    assert sla["targets"]["resolution"]["state"] == "paused"  # until the chat ends
    assert sla["targets"]["resolution"]["due_at"] is None
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        ended = made(
            agent.post(f"{V1}/tickets/{ticket_id}/chat/end", json={"send_transcript": True}), 200
        )
        assert ended["state"] == "ended" and ended["ended_by"] == "agent"
        ticket = made(agent.get(f"{V1}/tickets/{ticket_id}"), 200)
    assert ticket["chat_ended_at"].startswith("2026-11-16T13:20")
    resolution = ticket["sla"]["targets"]["resolution"]
    assert resolution["state"] == "running"
    assert resolution["due_at"].startswith("2026-11-16T17:20")  # 240 minutes after the end
    mail = db.scalars(select(Job).where(Job.kind == "notify.email")).all()
    assert [m.payload["to"] for m in mail] == [["joana@padaria.example"]]
    assert "Conversa do chat" in mail[0].payload["subject"]
    refused(visitor.say("ainda aí?"), 409)


def test_a_visitor_sends_a_file_and_only_their_chat_can_fetch_it(
    admin: Any, client: Any, make_user: Any
) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    w = widget(admin, queue_id=queue["id"])
    v, other = Visitor(client, w["key"]), Visitor(client, w["key"])
    v.open()
    v.start()
    other.open()
    other.start(email="outra@loja.example")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    up = made(v.call("POST", "/attachments", files={"file": ("cupom.png", png, "image/png")}))
    assert up["filename"] == "cupom.png" and up["content_type"] == "image/png"
    sent = v.call(
        "POST",
        "/messages",
        json={"client_id": "file-0001", "body": "Segue o cupom", "attachment_ids": [up["id"]]},
    )
    assert sent.status_code == 201, sent.text
    listed = v.messages()["messages"]
    assert listed[-1]["attachment_ids"] == [up["id"]]
    got = v.call("GET", f"/attachments/{up['id']}")
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-disposition"].startswith("attachment;")
    refused(other.call("GET", f"/attachments/{up['id']}"), 404)
    ticket_id = made(agent.get(f"{V1}/chats"), 200)[0]["ticket_id"]
    files = made(agent.get(f"{V1}/tickets/{ticket_id}/attachments"), 200)["items"]
    assert [f["filename"] for f in files] == ["cupom.png"]


def test_out_of_hours_the_page_says_when_the_team_is_back_and_a_message_becomes_a_ticket(
    admin: Any, client: Any, make_user: Any
) -> None:
    queue = made(admin.post(f"{V1}/queues", json={"name": "Chat N1"}))
    agent = make_user("agent", queue_ids=[queue["id"]])
    weekdays = {
        d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
    }
    cal = make_calendar(admin, "Comercial", weekly_hours=weekdays)
    w = widget(admin, queue_id=queue["id"], calendar_id=cal)
    sunday = datetime(2026, 11, 15, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo
    with time_machine.travel(sunday, tick=False):
        page = client.get(f"/chat/w/{w['key']}", headers={"Accept-Language": "pt-BR"})
        assert "Nossa equipe não está disponível agora" in page.text
        assert "Deixar um recado" in page.text
        v = Visitor(client, w["key"])
        opened = v.open()
        assert opened["open"] is False
        assert opened["back_at"].startswith("2026-11-16T11:00")  # Monday 08:00 in São Paulo
        refused(
            v.call("POST", "/leave-message", json={"name": "Joana", "body": "Oi"}), 422, "email"
        )
        left = made(
            v.call(
                "POST",
                "/leave-message",
                json={
                    "name": "Joana",
                    "email": "joana@padaria.example",
                    "body": "Meu PDV não liga",
                },
            )
        )
    ticket = made(agent.get(f"{V1}/tickets/{left['ticket_number']}"), 200)
    assert ticket["channel"] == "chat" and ticket["queue_id"] == queue["id"]
    assert set(ticket["tags"]) == {"chat", "recado"}
