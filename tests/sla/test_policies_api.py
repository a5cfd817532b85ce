"""SLA policies through /api/v1/sla-policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sla.helpers import make_calendar, make_policy

PRIME = {"all": [{"field": "organization.plan", "op": "in", "value": ["Prime"]}]}


def test_create_with_defaults_read_list_patch_delete(admin: Any, make_user: Any) -> None:
    cal = make_calendar(admin)
    p = make_policy(admin, "Prime", cal, conditions=PRIME, first_response_minutes=60)
    assert p["position"] == 0
    assert p["warning_percent"] == 80
    assert p["pause_statuses"] == ["pending_customer"]
    assert p["chat_resolution_starts_at_chat_end"] is False
    assert p["public"] is False
    assert p["next_response_minutes"] is None and p["resolution_minutes"] is None
    assert p["conditions"] == PRIME
    assert p["conditions_text"] == "organization.plan in [Prime]"

    q = make_policy(admin, "Default", cal, resolution_minutes=2880)
    assert q["position"] == 1  # after the last one
    assert q["conditions"] == {}
    assert q["conditions_text"] == "always"

    agent = make_user("agent")
    assert [x["name"] for x in agent.get("/api/v1/sla-policies").json()] == ["Prime", "Default"]
    r = admin.patch(f"/api/v1/sla-policies/{q['id']}", json={"position": 0, "public": True})
    assert r.status_code == 200, r.text
    # equal positions: the older policy comes first
    assert [x["name"] for x in agent.get("/api/v1/sla-policies").json()] == ["Prime", "Default"]
    admin.patch(f"/api/v1/sla-policies/{p['id']}", json={"position": 5})
    assert [x["name"] for x in agent.get("/api/v1/sla-policies").json()] == ["Default", "Prime"]
    r = admin.patch(
        f"/api/v1/sla-policies/{p['id']}",
        json={"pause_statuses": ["pending_internal", "pending_customer"], "warning_percent": 90},
    )
    assert r.json()["pause_statuses"] == ["pending_customer", "pending_internal"]
    assert r.json()["warning_percent"] == 90
    assert agent.get(f"/api/v1/sla-policies/{p['id']}").json()["first_response_minutes"] == 60
    r = admin.patch(f"/api/v1/sla-policies/{p['id']}", json={"first_response_minutes": None})
    assert r.status_code == 200 and r.json()["first_response_minutes"] is None  # target removed

    assert admin.delete(f"/api/v1/sla-policies/{p['id']}").status_code == 204
    assert admin.get(f"/api/v1/sla-policies/{p['id']}").status_code == 404


def test_only_admins_write_policies(admin: Any, make_user: Any) -> None:
    cal = make_calendar(admin)
    p = make_policy(admin, "Prime", cal)
    agent = make_user("supervisor")
    body = {"name": "X", "calendar_id": cal}
    assert agent.post("/api/v1/sla-policies", json=body).status_code == 403
    assert agent.patch(f"/api/v1/sla-policies/{p['id']}", json={"name": "Y"}).status_code == 403
    assert agent.delete(f"/api/v1/sla-policies/{p['id']}").status_code == 403
    assert make_user("contact").get("/api/v1/sla-policies").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"next_response_minutes": -1}, "next_response_minutes"),
        ({"resolution_minutes": 1.5}, "resolution_minutes"),
        ({"warning_percent": 0}, "warning_percent"),
        ({"pause_statuses": ["resolved"]}, "pause_statuses[0]"),
        ({"calendar_id": 999999}, "calendar_id"),
        (
            {"conditions": {"all": [{"field": "organisation.plan", "op": "eq", "value": "x"}]}},
            "conditions.all[0].field",
        ),
        (
            {"conditions": {"all": [{"field": "organization.plan", "op": "like", "value": "x"}]}},
            "conditions.all[0].op",
        ),
        (
            {"conditions": {"all": [{"field": "message.text", "op": "contains", "value": "x"}]}},
            "conditions.all[0].field",
        ),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_policies_are_refused_naming_the_field(
    admin: Any, fields: dict[str, Any], field: str
) -> None:
    cal = make_calendar(admin)
    r = admin.post("/api/v1/sla-policies", json={"name": "Bad", "calendar_id": cal, **fields})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field


def test_invalid_patch_changes_nothing_and_names_conflict(admin: Any) -> None:
    cal = make_calendar(admin)
    p = make_policy(admin, "Prime", cal, conditions=PRIME)
    make_policy(admin, "Plus", cal)
    r = admin.patch(
        f"/api/v1/sla-policies/{p['id']}",
        json={"conditions": {"any": [{"field": "ticket.priority", "op": "eq", "value": "asap"}]}},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "conditions.any[0].value"
    assert admin.get(f"/api/v1/sla-policies/{p['id']}").json()["conditions"] == PRIME
    r = admin.patch(f"/api/v1/sla-policies/{p['id']}", json={"name": "plus"})
    assert r.status_code == 409
    r = admin.patch(f"/api/v1/sla-policies/{p['id']}", json={"calendar_id": None})
    assert r.status_code == 422


def test_policies_show_their_targets_and_flags(admin: Any) -> None:
    cal = make_calendar(admin)
    p = make_policy(
        admin,
        "Chat",
        cal,
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=2880,
        chat_resolution_starts_at_chat_end=True,
        public=True,
    )
    assert (p["first_response_minutes"], p["next_response_minutes"], p["resolution_minutes"]) == (
        30,
        60,
        2880,
    )
    assert p["chat_resolution_starts_at_chat_end"] is True
    assert p["public"] is True


def test_a_policy_saved_with_a_pattern_re2_cannot_run_is_skipped_not_fatal(
    admin: Any, db: Any
) -> None:
    """Patterns run on RE2; a policy saved before with a Python-only pattern (a lookahead)
    matches no ticket, says why in its text, and creations go on."""
    from atende.sla.models import SlaPolicy

    cal = make_calendar(admin)
    ahead = {"all": [{"field": "ticket.subject", "op": "matches", "value": "boleto(?= vencido)"}]}
    refused = admin.post(
        "/api/v1/sla-policies", json={"name": "Velha", "calendar_id": cal, "conditions": ahead}
    )
    assert refused.status_code == 422 and "(?= vencido)" in refused.json()["detail"]
    old = make_policy(admin, "Velha", cal, first_response_minutes=30)
    make_policy(admin, "Padrão", cal, first_response_minutes=240)
    row = db.get(SlaPolicy, old["id"])
    row.conditions = ahead  # as an older version stored it
    db.commit()
    made = admin.post("/api/v1/tickets", json={"subject": "boleto vencido", "body": "x"})
    assert made.status_code == 201, made.text
    assert made.json()["sla"]["policy_name"] == "Padrão"
    shown = admin.get(f"/api/v1/sla-policies/{old['id']}").json()
    assert shown["conditions_text"].startswith("(not valid any more")
