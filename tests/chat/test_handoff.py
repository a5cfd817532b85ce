"""When the bot hands a chat to the team (seed 004): the queue's members are notified while
nobody has it, and a delinquent customer's situation is said to the agent at once — with the
system blocked, tell them and transfer to Financeiro; not blocked yet, the technical answer
first, then Financeiro — as an internal note and on the chat's panel in the console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.chat.helpers import V1, Visitor, made
from tests.chat.test_bot import desk
from tests.web.conftest import PASSWORD, login


def _notes(agent: Any, ticket_id: int) -> list[str]:
    timeline = made(agent.get(f"{V1}/tickets/{ticket_id}/timeline"), 200)
    return [e["body_text"] for e in timeline if e["entry"] == "message" and not e["public"]]


def _chat_of(agent: Any) -> dict[str, Any]:
    return made(agent.get(f"{V1}/chats"), 200)[0]


def _customer(admin: Any, overdue_days: int | None) -> None:
    body: dict[str, Any] = {"name": "Padaria"}
    if overdue_days is not None:
        today = datetime.now(UTC).date()
        since = today - timedelta(days=overdue_days)
        body.update(delinquent=True, overdue_since=since.isoformat(), billing_due_day=since.day)
    org = made(admin.post(f"{V1}/organizations", json=body))
    contact = {"name": "Joana", "email": "joana@padaria.example", "organization_id": org["id"]}
    made(admin.post(f"{V1}/contacts", json=contact))


def test_a_handed_off_chat_is_announced_to_its_queues_members(
    admin: Any, client: TestClient, make_user: Any
) -> None:
    d = desk(admin, make_user)
    n1_only = make_user("agent", queue_ids=[d["queues"]["Suporte N1"]])
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start()
    v.say("#prime")
    chat = _chat_of(d["agent"])
    assert chat["state"] == "waiting"
    said = [n for n in made(d["agent"].get(f"{V1}/notifications"), 200)["items"]
            if n["kind"] == "chat_waiting"]  # fmt: skip
    assert len(said) == 1 and said[0]["ticket_id"] == chat["ticket_id"]
    assert said[0]["text"].startswith("Um chat aguarda na fila Prime")
    others = made(n1_only.get(f"{V1}/notifications"), 200)["items"]
    assert not [n for n in others if n["kind"] == "chat_waiting"]  # not their queue
    notes = _notes(d["agent"], chat["ticket_id"])
    assert not [n for n in notes if "inadimplente" in n]  # a customer who pays: no guidance


def test_a_blocked_customer_is_flagged_to_the_agent_at_the_hand_off(
    admin: Any, client: TestClient, make_user: Any
) -> None:
    d = desk(admin, make_user)
    _customer(admin, overdue_days=30)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start(name="Joana", email="joana@padaria.example")
    v.say("#prime")
    chat = _chat_of(d["agent"])
    [note] = [n for n in _notes(d["agent"], chat["ticket_id"]) if "inadimplente" in n]
    assert "sistema bloqueado" in note and "Financeiro imediatamente" in note
    boss = make_user("supervisor", password=PASSWORD)
    assert login(client, boss.user.email, PASSWORD).status_code == 303
    page = client.get(f"/tickets/{chat['ticket_id']}").text
    assert 'class="alert alert-error chat-guidance"' in page
    assert "transfira o chat para o Financeiro imediatamente" in page


def test_a_customer_not_blocked_yet_gets_the_technical_answer_first(
    admin: Any, client: TestClient, make_user: Any
) -> None:
    d = desk(admin, make_user)
    _customer(admin, overdue_days=2)
    v = Visitor(client, d["widget"]["key"])
    v.open()
    v.start(name="Joana", email="joana@padaria.example")
    v.say("#prime")
    chat = _chat_of(d["agent"])
    [note] = [n for n in _notes(d["agent"], chat["ticket_id"]) if "inadimplente" in n]
    block = datetime.now(UTC).date() - timedelta(days=2) + timedelta(days=7)
    assert "ainda não bloqueado" in note and block.strftime("%d/%m/%Y") in note
    assert "primeiro a resposta técnica" in note
    assert isinstance(block, date)
