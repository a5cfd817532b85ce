"""The configuration audit trail through the API (docs/audit.md): every create, update and
delete of a configuration record says who, when, which record and what changed; secrets are
never shown; admins read it with filters; a refused change leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from tests.sla.helpers import make_calendar, make_policy

V1 = "/api/v1"
T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def _ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, res.text
    return res.json()


def trail(admin: Any, **params: Any) -> list[dict[str, Any]]:
    return list(_ok(admin.get(f"{V1}/audit", params=params))["items"])


def history(admin: Any, entity_type: str, entity_id: int) -> list[dict[str, Any]]:
    """The entity's entries, oldest first."""
    return list(reversed(_ok(admin.get(f"{V1}/audit/{entity_type}/{entity_id}"))["items"]))


def test_an_sla_policy_s_life_is_on_the_trail_with_who_when_and_the_changed_fields(
    admin: Any,
) -> None:
    cal = make_calendar(admin)
    with time_machine.travel(T0, tick=False):
        policy = make_policy(admin, "Prime", cal, first_response_minutes=60)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _ok(admin.patch(f"{V1}/sla-policies/{policy['id']}", json={"first_response_minutes": 30}))
        _ok(admin.patch(f"{V1}/sla-policies/{policy['id']}", json={"warning_percent": 80}))
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert admin.delete(f"{V1}/sla-policies/{policy['id']}").status_code == 204

    created, changed, deleted = history(admin, "sla_policy", policy["id"])  # the no-op: none
    for entry in (created, changed, deleted):
        assert entry["actor_id"] == admin.id
        assert entry["actor_name"] == "Ana Admin"
        assert entry["actor_role"] == "admin"
        assert entry["entity_label"] == "Prime"
    assert created["action"] == "created"
    assert created["at"] == "2026-11-24T13:00:00Z"
    assert created["changes"]["first_response_minutes"] == {"before": None, "after": 60}
    assert created["changes"]["calendar_id"] == {"before": None, "after": cal}
    assert changed["action"] == "updated"
    assert changed["at"] == "2026-11-24T14:00:00Z"
    assert changed["changes"] == {"first_response_minutes": {"before": 60, "after": 30}}
    assert deleted["action"] == "deleted"
    assert deleted["changes"]["name"] == {"before": "Prime", "after": None}
    assert deleted["changes"]["first_response_minutes"] == {"before": 30, "after": None}


def test_a_user_s_role_activity_queues_capacity_and_password_are_audited_without_the_hash(
    admin: Any, make_user: Any
) -> None:
    q1 = _ok(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}), 201)["id"]
    q2 = _ok(admin.post(f"{V1}/queues", json={"name": "Financeiro"}), 201)["id"]
    user = _ok(
        admin.post(
            f"{V1}/users",
            json={"name": "Bia", "email": "bia@atende-demo.com.br", "queue_ids": [q1],
                  "password": "girassol-azul-9"},
        ),
        201,
    )  # fmt: skip
    _ok(
        admin.patch(
            f"{V1}/users/{user['id']}",
            json={"role": "supervisor", "queue_ids": [q1, q2], "max_open_tickets": 5},
        )
    )
    _ok(admin.patch(f"{V1}/users/{user['id']}", json={"active": False}))
    _ok(admin.patch(f"{V1}/users/{user['id']}", json={"password": "outra-senha-forte-7"}))

    created, promoted, deactivated, password = history(admin, "user", user["id"])
    assert created["changes"]["queue_ids"] == {"before": None, "after": [q1]}
    assert created["changes"]["role"] == {"before": None, "after": "agent"}
    assert created["changes"]["password"] == {"before": None, "after": "alterado"}
    assert promoted["changes"] == {
        "role": {"before": "agent", "after": "supervisor"},
        "queue_ids": {"before": [q1], "after": [q1, q2]},
        "max_open_tickets": {"before": None, "after": 5},
    }
    assert deactivated["changes"] == {"active": {"before": True, "after": False}}
    assert password["changes"] == {"password": {"before": None, "after": "alterado"}}
    raw = admin.get(f"{V1}/audit/user/{user['id']}").text
    assert "argon2" not in raw and "password_hash" not in raw


def test_tokens_are_audited_when_made_and_revoked_never_with_their_secret(
    admin: Any, make_user: Any
) -> None:
    agent = make_user("agent")
    made = _ok(agent.post(f"{V1}/tokens", json={"name": "integração"}), 201)
    assert admin.delete(f"{V1}/tokens/{made['id']}").status_code == 204
    assert admin.delete(f"{V1}/tokens/{made['id']}").status_code == 204  # again: nothing new

    created, revoked = history(admin, "api_token", made["id"])
    assert created["actor_id"] == agent.id
    assert created["entity_label"] == "integração"
    assert created["changes"]["token"] == {"before": None, "after": "alterado"}
    assert created["changes"]["user_id"] == {"before": None, "after": agent.id}
    assert revoked["action"] == "revoked"
    assert revoked["actor_id"] == admin.id
    assert list(revoked["changes"]) == ["revoked_at"]
    raw = admin.get(f"{V1}/audit/api_token/{made['id']}").text
    assert made["token"] not in raw and made["token"][12:] not in raw


def test_a_password_change_audits_the_user_and_each_token_it_revokes(
    admin: Any, make_user: Any
) -> None:
    agent = make_user("agent", password="cavalo-bravo-11")
    other = _ok(agent.post(f"{V1}/tokens", json={"name": "celular"}), 201)
    res = agent.put(
        f"{V1}/users/me/password",
        json={"current_password": "cavalo-bravo-11", "new_password": "tigre-manso-22"},
    )
    assert res.status_code == 204, res.text
    [entry] = trail(admin, entity_type="user", entity_id=agent.id)
    assert entry["actor_id"] == agent.id
    assert entry["changes"] == {"password": {"before": None, "after": "alterado"}}
    revoked = trail(admin, entity_type="api_token", entity_id=other["id"], action="revoked")
    assert [e["actor_id"] for e in revoked] == [agent.id]


def test_webhook_secrets_and_rule_webhook_secrets_never_reach_the_trail(admin: Any) -> None:
    hook = _ok(
        admin.post(
            f"{V1}/webhooks", json={"url": "https://hooks.example.com/a", "event_types": ["*"]}
        ),
        201,
    )
    rotated = _ok(admin.patch(f"{V1}/webhooks/{hook['id']}", json={"rotate_secret": True}))
    created, changed = history(admin, "webhook", hook["id"])
    assert created["changes"]["secret"] == {"before": None, "after": "alterado"}
    assert changed["changes"] == {"secret": {"before": None, "after": "alterado"}}
    raw = admin.get(f"{V1}/audit/webhook/{hook['id']}").text
    assert hook["secret"] not in raw and rotated["secret"] not in raw

    action = {"type": "notify_webhook", "value": {"url": "https://hooks.example.com/r",
                                                  "secret": "segredo-da-regra-1"}}  # fmt: skip
    rule = _ok(
        admin.post(
            f"{V1}/rules", json={"name": "Avisar", "event": "ticket_created", "actions": [action]}
        ),
        201,
    )
    new_action = {**action, "value": {**action["value"], "secret": "segredo-da-regra-2"}}
    _ok(admin.patch(f"{V1}/rules/{rule['id']}", json={"actions": [new_action]}))
    _ok(admin.patch(f"{V1}/rules/{rule['id']}", json={"active": False}))
    made, rotated_rule, deactivated = history(admin, "rule", rule["id"])
    assert made["changes"]["actions"]["after"][0]["value"]["secret"] == "alterado"
    shown = rotated_rule["changes"]["actions"]
    assert shown["before"][0]["value"] == {"url": "https://hooks.example.com/r", "secret": "***"}
    assert shown["after"][0]["value"]["secret"] == "alterado"
    assert deactivated["changes"] == {"active": {"before": True, "after": False}}
    raw = admin.get(f"{V1}/audit/rule/{rule['id']}").text
    assert "segredo-da-regra" not in raw


def test_plans_organizations_calendars_queues_reasons_and_types_are_audited(
    admin: Any, make_user: Any
) -> None:
    supervisor = make_user("supervisor", name="Sara Supervisora")
    agent = make_user("agent")
    plan = _ok(admin.post(f"{V1}/plans", json={"name": "Prime"}), 201)["id"]
    _ok(admin.patch(f"{V1}/plans/{plan}", json={"rank": 5}))
    org = _ok(supervisor.post(f"{V1}/organizations", json={"name": "Padaria"}), 201)["id"]
    _ok(supervisor.patch(f"{V1}/organizations/{org}", json={"plan_id": plan, "stores": 3}))
    cal = make_calendar(admin, "Comercial")
    _ok(admin.patch(f"{V1}/calendars/{cal}", json={"open_on_holidays": True}))
    queue = _ok(supervisor.post(f"{V1}/queues", json={"name": "N1"}), 201)["id"]
    _ok(supervisor.patch(f"{V1}/queues/{queue}", json={"member_ids": [agent.id]}))
    reason = _ok(admin.post(f"{V1}/pause-reasons", json={"name": "Almoço"}), 201)["id"]
    _ok(admin.patch(f"{V1}/pause-reasons/{reason}", json={"active": False}))

    assert history(admin, "plan", plan)[1]["changes"] == {"rank": {"before": 0, "after": 5}}
    org_changed = history(admin, "organization", org)[1]
    assert org_changed["actor_id"] == supervisor.id
    assert org_changed["actor_name"] == "Sara Supervisora"
    assert org_changed["changes"] == {
        "plan_id": {"before": None, "after": plan},
        "stores": {"before": 0, "after": 3},
    }
    assert history(admin, "calendar", cal)[1]["changes"] == {
        "open_on_holidays": {"before": False, "after": True}
    }
    assert history(admin, "queue", queue)[1]["changes"] == {
        "member_ids": {"before": [], "after": [agent.id]}
    }
    assert history(admin, "pause_reason", reason)[1]["changes"] == {
        "active": {"before": True, "after": False}
    }


def test_marking_another_queue_as_triage_audits_both_queues(admin: Any) -> None:
    first = _ok(admin.post(f"{V1}/queues", json={"name": "Triagem A", "triage": True}), 201)
    second = _ok(admin.post(f"{V1}/queues", json={"name": "Triagem B"}), 201)
    _ok(admin.patch(f"{V1}/queues/{second['id']}", json={"triage": True}))
    assert history(admin, "queue", first["id"])[-1]["changes"] == {
        "triage": {"before": True, "after": False}
    }
    assert history(admin, "queue", second["id"])[-1]["changes"] == {
        "triage": {"before": False, "after": True}
    }


def test_a_refused_change_leaves_neither_the_change_nor_its_entry(
    admin: Any, make_user: Any
) -> None:
    agent = make_user("agent", name="Caio Lima")
    before = trail(admin, entity_type="user", entity_id=agent.id)
    # the role is set before the password is refused (common password): all or nothing
    res = admin.patch(f"{V1}/users/{agent.id}", json={"role": "supervisor", "password": "12345678"})
    assert res.status_code == 422, res.text
    assert _ok(admin.get(f"{V1}/users/{agent.id}"))["role"] == "agent"
    assert trail(admin, entity_type="user", entity_id=agent.id) == before
    res = admin.post(f"{V1}/plans", json={"name": "Prime"})
    assert admin.post(f"{V1}/plans", json={"name": "prime"}).status_code == 409
    assert [e["entity_id"] for e in trail(admin, entity_type="plan")] == [res.json()["id"]]


def test_filters_pagination_and_their_errors(admin: Any, make_user: Any) -> None:
    other = make_user("admin", name="Outro Admin")
    with time_machine.travel(T0, tick=False):
        a = _ok(admin.post(f"{V1}/plans", json={"name": "A"}), 201)["id"]
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        b = _ok(other.post(f"{V1}/plans", json={"name": "B"}), 201)["id"]
        _ok(other.patch(f"{V1}/plans/{a}", json={"rank": 2}))
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        c = _ok(admin.post(f"{V1}/pause-reasons", json={"name": "Treino"}), 201)["id"]

    def keys(items: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
        """Leaving out the tokens the users were made with (audited too)."""
        return [
            (e["entity_type"], e["entity_id"], e["action"])
            for e in items
            if e["entity_type"] != "api_token"
        ]

    assert keys(trail(admin)) == [
        ("pause_reason", c, "created"), ("plan", a, "updated"), ("plan", b, "created"),
        ("plan", a, "created"),
    ]  # fmt: skip
    assert keys(trail(admin, entity_type="plan", entity_id=a)) == [
        ("plan", a, "updated"), ("plan", a, "created"),
    ]  # fmt: skip
    assert keys(trail(admin, actor_id=other.id)) == [("plan", a, "updated"), ("plan", b, "created")]
    assert keys(trail(admin, action="created", entity_type="plan")) == [
        ("plan", b, "created"), ("plan", a, "created"),
    ]  # fmt: skip
    day2 = (T0 + timedelta(days=1)).isoformat()
    day3 = (T0 + timedelta(days=2)).isoformat()
    assert keys(trail(admin, **{"from": day2, "to": day3})) == [
        ("plan", a, "updated"), ("plan", b, "created"),
    ]  # fmt: skip

    plans = {"entity_type": "plan", "limit": 2}
    page = _ok(admin.get(f"{V1}/audit", params=plans))
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = _ok(admin.get(f"{V1}/audit", params={**plans, "cursor": page["next_cursor"]}))
    assert keys(rest["items"]) == [("plan", a, "created")] and rest["next_cursor"] is None

    def refused(params: dict[str, Any], field: str) -> None:
        res = admin.get(f"{V1}/audit", params=params)
        assert res.status_code == 422, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in res.json()["errors"]] or field in res.text

    refused({"entity_id": a}, "entity_id")  # an id needs its type
    refused({"entity_type": "ticket"}, "entity_type")
    refused({"from": day3, "to": day2}, "to")
    refused({"from": "2026-11-24T10:00:00"}, "from")  # no offset
    refused({"to": "3000-01-01T00:00:00Z"}, "to")
    refused({"actor": admin.id}, "actor")  # unknown parameter
    refused({"cursor": "not-a-cursor"}, "cursor")
    res = admin.get(f"{V1}/audit/ticket/{a}")
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "entity_type"


def test_contacts_and_absences_are_on_the_trail(admin: Any, make_user: Any) -> None:
    """A contact's details (who changed a customer's e-mail or phone) and a vacation scheduled
    and cancelled by a supervisor: who, when, before -> after."""
    supervisor = make_user("supervisor", name="Sol Supervisora")
    ana = make_user("agent", name="Ana Lima")
    bruno = make_user("agent", name="Bruno Reis")
    with time_machine.travel(T0, tick=False):
        contact = _ok(
            admin.post(f"{V1}/contacts", json={"name": "Lia", "email": "lia@loja.example"}), 201
        )
        _ok(admin.patch(f"{V1}/contacts/{contact['id']}", json={"phone": "+55 11 98765-4321"}))
        absence = _ok(
            supervisor.post(
                f"{V1}/absences",
                json={"user_id": ana.id, "substitute_id": bruno.id,
                      "starts_at": "2026-12-01T08:00:00-03:00",
                      "ends_at": "2026-12-10T18:00:00-03:00", "note": "Férias"},
            ),
            201,
        )  # fmt: skip
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _ok(supervisor.post(f"{V1}/absences/{absence['id']}/cancel"))

    made, phoned = history(admin, "contact", contact["id"])
    assert made["action"] == "created" and made["changes"]["email"]["after"] == "lia@loja.example"
    assert phoned["changes"] == {"phone": {"before": None, "after": "+5511987654321"}}
    assert phoned["actor_name"] == "Ana Admin"

    scheduled, cancelled = history(admin, "absence", absence["id"])
    assert scheduled["actor_name"] == "Sol Supervisora" and scheduled["action"] == "created"
    assert scheduled["changes"]["substitute_id"] == {"before": None, "after": bruno.id}
    assert cancelled["at"] == "2026-11-24T14:00:00Z"
    assert cancelled["changes"] == {"state": {"before": "scheduled", "after": "cancelled"}}
