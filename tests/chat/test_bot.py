"""The front-door bot through the API: flows edited, validated on publish and simulated by
admins; a widget's chat answered by the bot, routed by keyword, menu, plan or intake; a
person's action ends the bot; a bot failure hands the chat over with a note; the bot's
messages are never a first response."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from atende.chat.models import BotFlow
from atende.demo.chat import FLOW_KEY, FRONT_DOOR, PRIME_QUEUE, PRIME_TEXT
from tests.chat.helpers import V1, Visitor, made, refused, widget

QUEUES = ("Suporte N1", PRIME_QUEUE, "Clientes", "Special Service")


def desk(admin: Any, make_user: Any) -> dict[str, Any]:
    ids = {n: made(admin.post(f"{V1}/queues", json={"name": n}))["id"] for n in QUEUES}
    flow = made(admin.post(f"{V1}/chat/flows", json={"key": FLOW_KEY, "definition": FRONT_DOOR}))
    made(admin.post(f"{V1}/chat/flows/{flow['id']}/publish"), 200)
    w = widget(admin, queue_id=ids["Suporte N1"], bot_flow_key=FLOW_KEY)
    agent = make_user("agent", queue_ids=list(ids.values()))
    return {"queues": ids, "widget": w, "agent": agent, "flow": flow}


def test_publishing_validates_every_problem_and_retires_the_version_before(admin: Any) -> None:
    for name in QUEUES:
        made(admin.post(f"{V1}/queues", json={"name": name}))
    bad = {
        **FRONT_DOOR,
        "nodes": {**FRONT_DOOR["nodes"], "solto": {"type": "route", "queue": "Suporte N1"}},
    }
    bad["nodes"]["loop_a"] = {"type": "message", "text": "a", "next": "loop_b"}
    bad["nodes"]["loop_b"] = {"type": "message", "text": "b", "next": "loop_a"}
    bad["commands"] = {**FRONT_DOOR["commands"], "ajuda": {"goto": "loop_a"}}
    draft = made(admin.post(f"{V1}/chat/flows", json={"key": "teste", "definition": bad}))
    problem = refused(admin.post(f"{V1}/chat/flows/{draft['id']}/publish"), 422)
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert fields["/nodes/solto"] == "no chat can reach this step"
    assert "loop without waiting" in fields["/nodes/loop_a"]
    refused(admin.post(f"{V1}/chat/flows/{draft['id']}/simulate", json={"inputs": ["1"]}), 422)

    v1 = made(admin.post(f"{V1}/chat/flows", json={"key": "teste", "definition": FRONT_DOOR}))
    assert v1["version"] == 2
    made(admin.post(f"{V1}/chat/flows/{v1['id']}/publish"), 200)
    refused(admin.put(f"{V1}/chat/flows/{v1['id']}", json={"definition": FRONT_DOOR}), 409)
    v2 = made(admin.post(f"{V1}/chat/flows", json={"key": "teste", "definition": FRONT_DOOR}))
    made(admin.post(f"{V1}/chat/flows/{v2['id']}/publish"), 200)
    assert made(admin.get(f"{V1}/chat/flows/{v1['id']}"), 200)["status"] == "retired"
    unknown = {**FRONT_DOOR, "default_queue": "Fila Fantasma"}
    v3 = made(admin.post(f"{V1}/chat/flows", json={"key": "teste", "definition": unknown}))
    assert (
        "Fila Fantasma" in refused(admin.post(f"{V1}/chat/flows/{v3['id']}/publish"), 422)["detail"]
    )
    simulated = made(
        admin.post(
            f"{V1}/chat/flows/{v2['id']}/simulate", json={"inputs": ["oi", "1"], "plan": "Prime"}
        ),
        200,
    )
    assert simulated["transcript"][-1]["route"]["queue"] == PRIME_QUEUE
    assert PRIME_TEXT in simulated["transcript"][-1]["bot"]
    audit = made(admin.get(f"{V1}/audit?entity_type=bot_flow"), 200)["items"]
    assert any(e["action"] == "updated" and "status" in e["changes"] for e in audit)


def test_prime_by_keyword_after_the_menu(admin: Any, client: Any, make_user: Any) -> None:
    d = desk(admin, make_user)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    assert v.start()["state"] == "bot"
    assert v.texts()[-1][1].startswith("Olá! Eu sou a Drica")
    v.say("Oi")
    assert v.texts()[-2][1].startswith("Não entendi")
    v.say("menu")
    v.say("quero o #prime por favor")
    assert v.texts()[-1] == ("bot", "Atendimento Prime: vou te transferir para um especialista.")
    chat = made(d["agent"].get(f"{V1}/chats"), 200)[0]
    assert chat["state"] == "waiting" and chat["queue_id"] == d["queues"][PRIME_QUEUE]
    ticket = made(d["agent"].get(f"{V1}/tickets/{chat['ticket_id']}"), 200)
    assert ticket["first_response_at"] is None  # the bot's messages are never a reply


def test_a_prime_customer_through_the_menu_is_told_and_sent_to_prime(
    admin: Any, client: Any, make_user: Any
) -> None:
    d = desk(admin, make_user)
    plan = made(admin.post(f"{V1}/plans", json={"name": "Prime"}))
    org = made(admin.post(f"{V1}/organizations", json={"name": "Padaria", "plan_id": plan["id"]}))
    made(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Joana", "email": "joana@padaria.example", "organization_id": org["id"]},
        )
    )
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start()
    v.say("1")
    assert v.texts()[-1] == ("bot", PRIME_TEXT)
    chat = made(d["agent"].get(f"{V1}/chats"), 200)[0]
    assert chat["queue_id"] == d["queues"][PRIME_QUEUE]
    timeline = made(d["agent"].get(f"{V1}/tickets/{chat['ticket_id']}/timeline"), 200)
    notes = [e for e in timeline if e["entry"] == "message" and not e["public"]]
    assert any("plano Prime" in n["body_text"] for n in notes)


def test_a_non_client_is_asked_and_routed_with_the_answers(
    admin: Any, client: Any, make_user: Any
) -> None:
    d = desk(admin, make_user)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start(name="Clara Souza", email="clara@lojadaclara.example")
    for text in ("2", "21 98888-7777", "Varejo", "Quero conhecer o sistema"):
        v.say(text)
    chat = made(d["agent"].get(f"{V1}/chats"), 200)[0]
    assert chat["queue_id"] == d["queues"]["Clientes"]
    ticket = made(d["agent"].get(f"{V1}/tickets/{chat['ticket_id']}"), 200)
    assert ticket["custom_fields"]["nao_cliente"] is True
    assert ticket["custom_fields"]["segmento"] == "Varejo"


def test_an_agents_reply_ends_the_bot(admin: Any, client: Any, make_user: Any) -> None:
    d = desk(admin, make_user)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start()
    ticket_id = made(d["agent"].get(f"{V1}/chats?state=bot"), 200)[0]["ticket_id"]
    made(d["agent"].post(f"{V1}/tickets/{ticket_id}/messages", json={"body": "Olá, sou o Téo."}))
    assert made(d["agent"].get(f"{V1}/tickets/{ticket_id}/chat"), 200)["state"] == "active"
    before = len(v.texts())
    v.say("1")
    assert len(v.texts()) == before + 1  # the bot said nothing


def test_a_failing_bot_hands_the_chat_to_the_default_queue_with_a_note(
    admin: Any, client: Any, make_user: Any, db: Session
) -> None:
    d = desk(admin, make_user)
    broken = {**FRONT_DOOR, "default_queue": "Clientes"}
    broken["nodes"] = {
        **FRONT_DOOR["nodes"],
        "cliente": {"type": "route", "queue": "Fila Apagada", "text": "..."},
    }
    row = db.get(BotFlow, d["flow"]["id"])
    assert row is not None
    row.definition = broken  # a queue renamed after publishing
    db.commit()
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start()
    v.say("1")
    chat = made(d["agent"].get(f"{V1}/chats"), 200)[0]
    assert chat["state"] == "waiting" and chat["queue_id"] == d["queues"]["Clientes"]
    timeline = made(d["agent"].get(f"{V1}/tickets/{chat['ticket_id']}/timeline"), 200)
    notes = [e["body_text"] for e in timeline if e["entry"] == "message" and not e["public"]]
    assert any("assistente virtual falhou" in n for n in notes)


def test_an_auto_assign_queue_hands_the_chat_out_only_when_the_bot_is_done(
    admin: Any, client: Any, make_user: Any
) -> None:
    d = desk(admin, make_user)
    n1 = d["queues"]["Suporte N1"]
    made(admin.patch(f"{V1}/queues/{n1}", json={"assignment_mode": "round_robin"}), 200)
    made(d["agent"].put(f"{V1}/agents/me/presence", json={"status": "online"}), 200)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start()
    chat = made(d["agent"].get(f"{V1}/chats?state=bot"), 200)[0]
    assert chat["assignee_id"] is None  # the bot is still sorting it
    v.say("1")  # Sou Cliente: the same queue
    ticket = made(d["agent"].get(f"{V1}/tickets/{chat['ticket_id']}"), 200)
    assert ticket["assignee_id"] == d["agent"].id
