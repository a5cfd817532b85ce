"""Seed 004, "Em caso de cancelamento de sistema": a person transfers a cancellation request to
Clientes only after recording the retention attempt (what was offered, the customer's answer),
before or with the transfer; other tickets, and the bot's routing, are not held."""

from __future__ import annotations

from typing import Any

from tests.tickets.conftest import create, timeline

T = "/api/v1/tickets"


def test_a_cancellation_leaves_only_after_a_retention_attempt(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    n1, clientes = make_queue(), make_queue()
    agent = make_user("agent", queue_ids=[n1.id])
    ticket = create(admin, queue_id=n1.id, type="cancellation", subject="Quero cancelar")
    move = {"queue_id": clientes.id, "reason": "pedido de cancelamento"}
    refused = agent.post(f"{T}/{ticket['id']}/transfer", json=move)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "retention"
    assert admin.get(f"{T}/{ticket['id']}").json()["queue_id"] == n1.id  # nothing moved
    short = agent.post(f"{T}/{ticket['id']}/retention", json={"offer": "x", "outcome": "declined"})
    assert short.status_code == 422
    wrong = agent.post(f"{T}/{ticket['id']}/retention", json={"offer": "2 meses", "outcome": "?"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "outcome"
    kept = agent.post(
        f"{T}/{ticket['id']}/retention",
        json={"offer": "Dois meses com 50% de desconto", "outcome": "declined"},
    )
    assert kept.status_code == 200, kept.text
    assert agent.post(f"{T}/{ticket['id']}/transfer", json=move).status_code == 200
    [event] = [e for e in timeline(admin, ticket["id"]) if e.get("kind") == "retention"]
    assert event["after"] == {"offer": "Dois meses com 50% de desconto", "outcome": "declined"}
    assert event["public"] is False
    assert "the offer was declined" in event["text"]


def test_the_attempt_may_come_with_the_transfer_and_other_tickets_are_not_held(
    admin: Any, make_user: Any, make_queue: Any, portal_user: Any, make_org: Any
) -> None:
    n1, clientes = make_queue(), make_queue()
    agent = make_user("agent", queue_ids=[n1.id])
    ticket = create(admin, queue_id=n1.id, type="cancellation")
    moved = agent.post(f"{T}/{ticket['id']}/transfer", json={
        "queue_id": clientes.id, "reason": "cancelamento",
        "retention": {"offer": "Upgrade para o Plus sem custo", "outcome": "declined"},
    })  # fmt: skip
    assert moved.status_code == 200, moved.text
    kinds = [e.get("kind") for e in timeline(admin, ticket["id"])]
    assert kinds.index("retention") < kinds.index("queue")  # recorded, then moved
    plain = create(admin, queue_id=n1.id, type="question")
    elsewhere = {"queue_id": clientes.id, "reason": "outro setor"}
    assert agent.post(f"{T}/{plain['id']}/transfer", json=elsewhere).status_code == 200
    user, contact = portal_user(make_org())
    own = create(admin, contact_id=contact.id, type="cancellation")
    denied = user.post(f"{T}/{own['id']}/retention", json={"offer": "nada", "outcome": "accepted"})
    assert denied.status_code == 403
    other = [e for e in timeline(user, own["id"]) if e.get("kind") == "retention"]
    assert other == []
