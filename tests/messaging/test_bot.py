"""The front-door bot on WhatsApp and Telegram (#18), against the local Graph API and Bot API:
the channel's published flow answers a new conversation, menus go as reply buttons, a list or
an inline keyboard and always as numbered text; a tapped button, a typed number, a keyword or
a command moves the flow as on the widget; the hand-off puts the ticket in the flow's queue and
tells the queue; a person's reply ends the bot; a redelivered webhook moves nothing twice; the
bot's messages are never an agent's answer."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.demo.chat import FLOW_KEY, FRONT_DOOR, PRIME_QUEUE
from atende.reports.models import MetricFact
from tests.chat.helpers import V1, made
from tests.messaging import fakes
from tests.messaging.conftest import path_of
from tests.web.conftest import PASSWORD, form_token, login

QUEUES = ("Suporte N1", PRIME_QUEUE, "Clientes", "Special Service")
SENT_AT = 1796220000  # the customers wrote from 2026-12-02 14:00 UTC (the clock: 14:05)
MARINA = "5511987654321"


def wa_message(wamid: str, *, text: str | None = None, button: tuple[str, str] | None = None,
               row: tuple[str, str] | None = None, wa_id: str = MARINA,
               name: str = "Marina Costa") -> bytes:  # fmt: skip
    """A signed-to-be webhook with one customer message (text, a reply button or a list row)."""
    message: dict[str, Any] = {"from": wa_id, "id": wamid, "timestamp": str(SENT_AT + 30)}
    if text is not None:
        message.update(type="text", text={"body": text})
    elif button is not None:
        message.update(
            type="interactive",
            interactive={
                "type": "button_reply",
                "button_reply": {"id": button[0], "title": button[1]},
            },
        )
    elif row is not None:
        message.update(
            type="interactive",
            interactive={"type": "list_reply", "list_reply": {"id": row[0], "title": row[1]}},
        )
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000",
                     "phone_number_id": fakes.PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message],
    }  # fmt: skip
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": fakes.WABA_ID, "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def desk(admin: Any, make_user: Any) -> dict[str, Any]:
    """The seed's queues, the front-door flow published, an agent in every queue."""
    ids = {n: made(admin.post(f"{V1}/queues", json={"name": n}))["id"] for n in QUEUES}
    flow = made(admin.post(f"{V1}/chat/flows", json={"key": FLOW_KEY, "definition": FRONT_DOOR}))
    made(admin.post(f"{V1}/chat/flows/{flow['id']}/publish"), 200)
    agent = make_user("agent", queue_ids=list(ids.values()))
    return {"queues": ids, "agent": agent}


def whatsapp_bot(admin: Any, client: Any) -> Any:
    """A WhatsApp channel answered by the front-door flow; deliver(raw) posts a signed webhook."""
    channel = made(admin.post(f"{V1}/channels", json={
        "kind": "whatsapp", "name": "WhatsApp Suporte", "phone_number_id": fakes.PHONE_NUMBER_ID,
        "access_token": fakes.ACCESS_TOKEN, "app_secret": fakes.APP_SECRET,
        "verify_token": fakes.VERIFY_TOKEN, "bot_flow_key": FLOW_KEY}))  # fmt: skip
    assert channel["bot_flow_key"] == FLOW_KEY

    def deliver(raw: bytes) -> Any:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": fakes.sign(raw)}
        answer = client.post(path_of(channel["webhook_url"]), content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer

    return deliver


def tickets(admin: Any) -> list[dict[str, Any]]:
    return admin.get(f"{V1}/tickets").json()["items"]  # type: ignore[no-any-return]


def timeline(admin: Any, ticket_id: int) -> list[tuple[str, str, bool]]:
    """(author kind, text, public) of every message of the ticket, in order."""
    entries = admin.get(f"{V1}/tickets/{ticket_id}/timeline").json()
    return [(e["author_kind"], e["body_text"], e["public"]) for e in entries
            if e["entry"] == "message"]  # fmt: skip


def texts(graph: fakes.FakeGraph) -> list[str]:
    """What the Graph API was asked to send, as the customer reads it."""
    out = []
    for body in graph.sent:
        if body["type"] == "text":
            out.append(body["text"]["body"])
        elif body["type"] == "interactive":
            out.append(body["interactive"]["body"]["text"])
    return out


def test_prime_on_whatsapp_lands_in_prime_especialistas_and_the_queue_is_told(
    admin: Any, client: Any, make_user: Any, worker: Any, graph: fakes.FakeGraph, db: Session,
    at_first_message: None,
) -> None:  # fmt: skip
    d = desk(admin, make_user)
    deliver = whatsapp_bot(admin, client)
    deliver(wa_message("wamid.P1", text="Bom dia! #prime o sistema não abre"))
    worker.drain()
    [ticket] = tickets(admin)
    assert ticket["channel"] == "whatsapp"
    assert ticket["queue_id"] == d["queues"][PRIME_QUEUE]
    assert ticket["assignee_id"] is None and ticket["first_response_at"] is None
    assert texts(graph) == ["Atendimento Prime: vou te transferir para um especialista."]
    assert graph.sent[0]["to"] == MARINA
    said = timeline(admin, ticket["id"])
    assert said[0] == ("contact", "Bom dia! #prime o sistema não abre", True)
    assert ("system", "Atendimento Prime: vou te transferir para um especialista.", True) in said
    notes = d["agent"].get(f"{V1}/notifications").json()["items"]
    assert any(PRIME_QUEUE in n["text"] and f"#{ticket['number']}" in n["text"] for n in notes)
    # the bot's answer is nobody's first response: only the agent's reply is measured
    facts = lambda: db.scalars(select(MetricFact.metric).where(  # noqa: E731
        MetricFact.ticket_id == ticket["id"], MetricFact.metric == "tmpr")).all()  # fmt: skip
    assert facts() == []
    d["agent"].post(f"{V1}/tickets/{ticket['id']}/messages", json={"body": "Olá, Marina!"})
    db.expire_all()
    assert facts() == ["tmpr"]


def test_the_seed_menu_by_reply_button_and_by_typed_number_on_whatsapp(
    admin: Any, client: Any, make_user: Any, worker: Any, graph: fakes.FakeGraph,
    at_first_message: None,
) -> None:  # fmt: skip
    d = desk(admin, make_user)
    deliver = whatsapp_bot(admin, client)
    deliver(wa_message("wamid.M1", text="Oi"))
    worker.drain()
    [menu] = graph.sent
    assert menu["type"] == "interactive" and menu["interactive"]["type"] == "button"
    body = menu["interactive"]["body"]["text"]
    assert body.startswith("Olá! Eu sou a Drica") and "\n1 - Sou Cliente\n" in body  # typed too
    buttons = [b["reply"] for b in menu["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Sou Cliente", "Não sou Cliente", "Sou Franqueado"]
    deliver(wa_message("wamid.M2", button=(buttons[0]["id"], buttons[0]["title"])))
    worker.drain()
    [marina] = tickets(admin)
    assert marina["queue_id"] == d["queues"]["Suporte N1"]
    assert texts(graph)[-1] == "Certo! Vou te transferir para o suporte. Aguarde um instante."
    assert ("contact", "Sou Cliente", True) in timeline(admin, marina["id"])

    # another customer types the option's number
    deliver(wa_message("wamid.J1", text="Boa tarde", wa_id="5521987650000", name="João"))
    deliver(wa_message("wamid.J2", text="3", wa_id="5521987650000", name="João"))
    worker.drain()
    [joao] = [t for t in tickets(admin) if t["id"] != marina["id"]]
    assert joao["queue_id"] == d["queues"]["Special Service"]
    assert texts(graph)[-1] == "Vou te transferir para o atendimento a franqueados."
    # Marina writes again on her ticket: the bot is done with it
    sent = len(graph.sent)
    deliver(wa_message("wamid.M3", text="2"))
    worker.drain()
    assert len(graph.sent) == sent and len(tickets(admin)) == 2


def test_a_menu_of_more_than_three_options_goes_as_a_list_message(
    admin: Any, client: Any, make_user: Any, worker: Any, graph: fakes.FakeGraph,
    at_first_message: None,
) -> None:  # fmt: skip
    desk(admin, make_user)
    options = [{"key": str(i), "label": f"Opção {i}", "next": "fim"} for i in range(1, 6)]
    flow = {"start": "menu", "default_queue": "Suporte N1", "nodes": {
        "menu": {"type": "menu", "text": "Escolha:", "options": options},
        "fim": {"type": "route", "queue": "Clientes", "text": "Certo."}}}  # fmt: skip
    draft = made(admin.post(f"{V1}/chat/flows", json={"key": "cinco", "definition": flow}))
    made(admin.post(f"{V1}/chat/flows/{draft['id']}/publish"), 200)
    deliver = whatsapp_bot(admin, client)
    [channel] = admin.get(f"{V1}/channels").json()
    made(admin.patch(f"{V1}/channels/{channel['id']}", json={"bot_flow_key": "cinco"}), 200)
    deliver(wa_message("wamid.L1", text="Oi"))
    worker.drain()
    [menu] = graph.sent
    assert menu["interactive"]["type"] == "list"
    [section] = menu["interactive"]["action"]["sections"]
    assert [r["title"] for r in section["rows"]] == [f"Opção {i}" for i in range(1, 6)]
    deliver(wa_message("wamid.L2", row=(section["rows"][4]["id"], "Opção 5")))
    worker.drain()
    [ticket] = tickets(admin)
    assert texts(graph)[-1] == "Certo."
    assert ticket["queue_id"] == d_queues(admin)["Clientes"]


def test_an_agents_reply_ends_the_bot(
    admin: Any, client: Any, make_user: Any, worker: Any, graph: fakes.FakeGraph,
    at_first_message: None,
) -> None:  # fmt: skip
    d = desk(admin, make_user)
    deliver = whatsapp_bot(admin, client)
    deliver(wa_message("wamid.A1", text="Oi"))
    worker.drain()
    [ticket] = tickets(admin)
    r = admin.post(f"{V1}/tickets/{ticket['id']}/messages", json={"body": "Oi, sou a Ana."})
    assert r.status_code == 201, r.text
    worker.drain()
    deliver(wa_message("wamid.A2", text="1"))
    worker.drain()
    assert texts(graph)[-1] == "Oi, sou a Ana."  # the bot said nothing to "1"
    ticket = admin.get(f"{V1}/tickets/{ticket['id']}").json()
    assert ticket["queue_id"] != d["queues"]["Suporte N1"]  # nobody routed it after
    said = timeline(admin, ticket["id"])
    assert ("contact", "1", True) in said
    assert [a for a, _, _ in said].count("system") == 1  # the menu, nothing after it


def test_a_redelivered_webhook_does_not_move_the_flow_twice_and_intake_fills_the_ticket(
    admin: Any, client: Any, make_user: Any, worker: Any, graph: fakes.FakeGraph,
    at_first_message: None,
) -> None:  # fmt: skip
    d = desk(admin, make_user)
    deliver = whatsapp_bot(admin, client)
    deliver(wa_message("wamid.N1", text="Olá"))
    worker.drain()
    two = wa_message("wamid.N2", text="2")
    deliver(two)
    deliver(two)  # Meta retries before the worker ran
    worker.drain()
    deliver(two)  # and after
    worker.drain()
    assert texts(graph)[-1] == "Qual é o seu telefone?"
    assert texts(graph).count("Qual é o seu telefone?") == 1
    for n, answer in enumerate(["(11) 3333-4444", "Restaurante", "Quero um orçamento"]):
        deliver(wa_message(f"wamid.N{3 + n}", text=answer))
        worker.drain()
    [ticket] = tickets(admin)
    assert ticket["queue_id"] == d["queues"]["Clientes"]
    assert texts(graph)[-1] == "Obrigado! Nosso time comercial vai falar com você."
    full = admin.get(f"{V1}/tickets/{ticket['id']}").json()
    assert full["custom_fields"]["nao_cliente"] is True
    assert full["custom_fields"]["segmento"] == "Restaurante"
    notes = [t for _, t, public in timeline(admin, ticket["id"]) if not public]
    [note] = [t for t in notes if t.startswith("Dados coletados pelo assistente virtual")]
    assert "request: Quero um orçamento" in note and "phone: (11) 3333-4444" in note


def test_the_telegram_menu_by_callback_is_answered_and_taken_once(
    admin: Any, client: Any, make_user: Any, worker: Any, bot_api: fakes.FakeBotApi,
) -> None:  # fmt: skip
    d = desk(admin, make_user)
    channel = made(admin.post(f"{V1}/channels", json={
        "kind": "telegram", "name": "Bot Suporte", "bot_token": fakes.BOT_TOKEN}))  # fmt: skip
    assert channel["bot_flow_key"] is None
    # given a flow, the bot is registered again (a bot connected before buttons existed asked
    # Telegram for messages only): taps on its buttons come too, under a new secret token
    made(admin.patch(f"{V1}/channels/{channel['id']}", json={"bot_flow_key": FLOW_KEY}), 200)
    first, registered = bot_api.webhooks
    assert registered["allowed_updates"] == ["message", "callback_query"]
    assert registered["secret_token"] != first["secret_token"]
    headers = {"Content-Type": "application/json",
               "X-Telegram-Bot-Api-Secret-Token": registered["secret_token"]}  # fmt: skip
    url = path_of(channel["webhook_url"])
    sender = {"id": 424242, "is_bot": False, "first_name": "Rafael", "last_name": "Souza"}
    chat = {"id": 424242, "first_name": "Rafael", "type": "private"}
    hello = {"update_id": 5001, "message": {"message_id": 10, "date": SENT_AT, "from": sender,
                                            "chat": chat, "text": "Oi"}}  # fmt: skip
    assert client.post(url, content=json.dumps(hello), headers=headers).text == "ok"
    worker.drain()
    [(method, menu)] = bot_api.sent
    assert method == "sendMessage" and "\n3 - Sou Franqueado" in menu["text"]
    keyboard = menu["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Sou Cliente", "Não sou Cliente",
                                                     "Sou Franqueado"]  # fmt: skip
    tap = {"update_id": 5002, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": sender, "chat_instance": "-1",
        "data": keyboard[2][0]["callback_data"],
        "message": {"message_id": 101, "date": SENT_AT, "chat": chat, "text": menu["text"],
                    "reply_markup": menu["reply_markup"]}}}  # fmt: skip
    for _ in range(2):  # Telegram redelivers it: one answer each time, taken once
        answer = client.post(url, content=json.dumps(tap), headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"method": "answerCallbackQuery",
                                 "callback_query_id": "4382bfdwdsb323b2d9"}  # fmt: skip
    worker.drain()
    [ticket] = tickets(admin)
    assert ticket["channel"] == "telegram"
    assert ticket["queue_id"] == d["queues"]["Special Service"]
    assert [body["text"] for _, body in bot_api.sent][1:] == [
        "Vou te transferir para o atendimento a franqueados."]  # fmt: skip
    assert ("contact", "Sou Franqueado", True) in timeline(admin, ticket["id"])


def test_a_channel_refuses_a_flow_that_is_not_published(
    admin: Any, bot_api: fakes.FakeBotApi
) -> None:
    r = admin.post(f"{V1}/channels", json={
        "kind": "telegram", "name": "Bot", "bot_token": fakes.BOT_TOKEN,
        "bot_flow_key": "nao-existe"})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "bot_flow_key"
    assert admin.get(f"{V1}/channels").json() == []


def d_queues(admin: Any) -> dict[str, int]:
    return {q["name"]: q["id"] for q in admin.get(f"{V1}/queues").json()}


def test_an_admin_gives_a_channel_its_bot_on_the_channels_page(
    client: Any, make_user: Any, admin: Any, whatsapp_channel: dict[str, Any]
) -> None:
    desk(admin, make_user)
    boss = make_user("admin", password=PASSWORD)
    assert login(client, boss.user.email).status_code == 303
    page = client.get("/admin/channels").text
    assert f'<option value="{FLOW_KEY}">{FLOW_KEY}</option>' in page
    assert "nenhum (as mensagens vão direto para a equipe)" in page
    saved = client.post(f"/admin/channels/{whatsapp_channel['id']}", data={
        "csrf_token": form_token(page), "name": "WhatsApp Suporte", "active": "1",
        "bot_flow_key": FLOW_KEY, "templates": ""}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    assert admin.get(f"{V1}/channels/{whatsapp_channel['id']}").json()["bot_flow_key"] == FLOW_KEY
    assert f'<option value="{FLOW_KEY}" selected>' in client.get("/admin/channels").text
