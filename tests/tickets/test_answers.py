"""A use case answers with what its settle knows of the ticket (the tags its change wrote, the SLA
clocks as last evaluated) instead of reading them back: the answer is always what a read finds,
whether the rules acted (in a savepoint), failed (the savepoint rolled back) or did nothing."""

from __future__ import annotations

from typing import Any

from tests.sla.helpers import make_calendar, make_policy

T = "/api/v1/tickets"
VIP = {"all": [{"field": "ticket.tags", "op": "contains", "value": "vip"}]}


def _rule(admin: Any, **body: Any) -> None:
    r = admin.post("/api/v1/rules", json={"name": f"Regra {body['event']}", **body})
    assert r.status_code == 201, r.text


def _same_as_a_read(admin: Any, answer: Any) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    assert body == admin.get(f"{T}/{body['id']}").json()
    return body


def _policies(admin: Any) -> None:
    cal = make_calendar(admin)
    make_policy(admin, "VIP", cal, position=0, conditions=VIP, first_response_minutes=15)
    make_policy(admin, "Standard", cal, position=1, first_response_minutes=60)


def test_a_creation_answers_with_the_tags_it_wrote_and_the_policy_they_chose(admin: Any) -> None:
    _policies(admin)
    vip = _same_as_a_read(admin, admin.post(T, json={"subject": "PDV", "tags": ["VIP", "pdv"]}))
    assert vip["tags"] == ["pdv", "vip"] and vip["sla"]["policy_name"] == "VIP"
    plain = _same_as_a_read(admin, admin.post(T, json={"subject": "PDV"}))
    assert plain["tags"] == [] and plain["sla"]["policy_name"] == "Standard"


def test_an_update_answers_with_what_the_rules_made_of_it(admin: Any) -> None:
    _policies(admin)
    _rule(
        admin,
        event="ticket_created",
        actions=[{"type": "add_tags", "value": ["vip"]}, {"type": "set_priority", "value": "high"}],
    )
    made = _same_as_a_read(admin, admin.post(T, json={"subject": "PDV", "tags": ["pdv"]}))
    assert made["tags"] == ["pdv", "vip"] and made["priority"] == "high"
    assert made["sla"]["policy_name"] == "VIP"
    _rule(admin, event="ticket_updated", actions=[{"type": "remove_tags", "value": ["vip"]}])
    changed = _same_as_a_read(admin, admin.patch(f"{T}/{made['id']}", json={"tags": ["x", "vip"]}))
    assert changed["tags"] == ["x"] and changed["sla"]["policy_name"] == "Standard"


def test_a_failed_rule_leaves_nothing_in_the_answer(admin: Any, make_user: Any) -> None:
    _policies(admin)
    agent = make_user("agent")
    _rule(
        admin,
        event="ticket_created",
        actions=[
            {"type": "add_tags", "value": ["vip"]},
            {"type": "set_assignee", "value": agent.id},
        ],
    )
    assert admin.patch(f"/api/v1/users/{agent.id}", json={"active": False}).status_code == 200
    made = _same_as_a_read(admin, admin.post(T, json={"subject": "PDV", "tags": ["pdv"]}))
    assert made["tags"] == ["pdv"] and made["assignee_id"] is None
    assert made["sla"]["policy_name"] == "Standard"
    kinds = [e.get("kind") for e in admin.get(f"{T}/{made['id']}/timeline").json()]
    assert "rule_failed" in kinds
