"""``/admin/sla``: an admin writes SLA policies without JSON (conditions as rows, targets in
minutes or hours with their clocks and internal twins, pauses, escalation, auto-close) through
the policy service (audited), and asks "what if": when would each target be due for a ticket
opened at an instant, paused for a while, under a chosen policy, the policy a priority picks,
or the policy as typed before saving; refusals are said beside the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token
from .test_admin_users import _admin_in, _field_error, _line
from .test_agenda import _login

V1 = "/api/v1"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
OFFICE = {
    "name": "Comercial SP", "timezone": "America/Sao_Paulo",
    "weekly_hours": {d: [["08:30", "12:00"], ["13:30", "18:00"]] for d in WEEKDAYS},
    "holidays": {"country": "BR", "subdivision": "SP"},
}  # fmt: skip


def _form(token: str, cal: int, /, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "name": "Prime", "calendar_id": str(cal), "match": "all",
        "first_response_value": "30", "first_response_unit": "min",
        "resolution_value": "24", "resolution_unit": "h", "warning_percent": "80",
        "pause_statuses": ["pending_customer"],
        "warning_raise": "true", "warning_notify": ["assignee", "supervisors"],
        "breach_notify": ["assignee", "supervisors"],
    }  # fmt: skip
    return {**data, **extra}


def _due(html: str, target: str) -> str:
    return _line(html, "target", target)


def test_an_admin_writes_a_policy_with_conditions_targets_clocks_and_escalation(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    form = client.get("/admin/sla/new")
    assert form.status_code == 200 and "Plano da organização" in form.text
    made = client.post(
        "/admin/sla/new",
        data=_form(
            token, cal, match="any",
            cond_field=["organization.plan", "organization.key_account", ""],
            cond_op=["in", "eq", "eq"], cond_value=["Prime, Plus", "sim", ""],
            next_response_value="1,5", next_response_unit="h",
            resolution_clock="24x7", first_response_private="15",
            pause_statuses=["pending_customer", "scheduled"], public="true",
            breach_raise="true", auto_close_business_hours="72",
        ),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text[-2000:]
    listing = client.get(made.headers["location"])
    assert "A política de SLA foi salva." in listing.text
    said = "Plano da organização é um de Prime, Plus ou Conta-chave é sim"
    assert said in listing.text
    policy = next(p for p in boss.get(f"{V1}/sla-policies").json() if p["name"] == "Prime")
    assert policy["conditions"] == {"any": [
        {"field": "organization.plan", "op": "in", "value": ["Prime", "Plus"]},
        {"field": "organization.key_account", "op": "eq", "value": True},
    ]}  # fmt: skip
    assert (policy["first_response_minutes"], policy["next_response_minutes"]) == (30, 90)
    assert policy["resolution_minutes"] == 1440
    assert policy["target_clocks"]["resolution"] == {"clock": "24x7", "calendar_id": None}
    assert policy["private_targets"]["first_response_minutes"] == 15
    assert policy["pause_statuses"] == ["pending_customer", "scheduled"]
    assert policy["public"] is True and policy["auto_close_business_hours"] == 72
    assert policy["escalation"]["breach"]["raise_priority"] is True
    # the edit form shows it back as it was typed (hours where whole)
    page = client.get(f"/admin/sla/{policy['id']}")
    assert 'name="cond_value" value="Prime, Plus"' in page.text
    assert 'name="resolution_value" value="24"' in page.text
    trail = boss.get(
        f"{V1}/audit", params={"entity_type": "sla_policy", "entity_id": policy["id"]}
    ).json()["items"]
    assert trail[0]["action"] == "created" and trail[0]["actor_id"] == boss.id


def test_what_if_counts_business_hours_holidays_and_a_pause(
    client: TestClient, make_user: Any
) -> None:
    boss, _token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    policy = boss.post(
        f"{V1}/sla-policies",
        json={"name": "Comercial", "calendar_id": cal, "first_response_minutes": 30,
              "resolution_minutes": 1440},
    ).json()  # fmt: skip
    # Friday 9 October 2026, 19:00; Monday the 12th is a national holiday
    page = client.get(
        "/admin/sla", params={"policy": str(policy["id"]), "start": "2026-10-09T19:00"}
    )
    assert page.status_code == 200
    assert "sexta-feira, 09/10/2026 19:00" in page.text
    assert _due(page.text, "first_response").startswith(
        "Primeira resposta → terça-feira, 13/10/2026 09:00"
    )
    assert "quinta-feira, 15/10/2026 18:00" in _due(page.text, "resolution")
    # waiting for the customer on Tuesday 08:30-10:30: two business hours do not count
    paused = client.get(
        "/admin/sla",
        params={"policy": str(policy["id"]), "start": "2026-10-09T19:00",
                "pause_from": "2026-10-13T08:30", "pause_until": "2026-10-13T10:30"},
    )  # fmt: skip
    assert "terça-feira, 13/10/2026 11:00" in _due(paused.text, "first_response")
    bad = client.get(
        "/admin/sla",
        params={"policy": str(policy["id"]), "start": "2026-10-09T19:00",
                "pause_from": "2026-10-08T08:30", "pause_until": "2026-10-13T10:30"},
    )  # fmt: skip
    assert bad.status_code == 422 and "pausa" in _field_error(bad.text, "pause_from").lower()
    nonsense = client.get("/admin/sla", params={"policy": str(policy["id"]), "start": "ontem"})
    assert nonsense.status_code == 422 and _field_error(nonsense.text, "start")


def test_a_priority_picks_the_policy_for_the_what_if(client: TestClient, make_user: Any) -> None:
    boss, _token = _admin_in(client, make_user)
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Todo dia", "timezone": "America/Sao_Paulo",
              "weekly_hours": {d: [["08:00", "21:00"]] for d in (*WEEKDAYS, "saturday",
                                                                 "sunday")}},
    ).json()["id"]  # fmt: skip
    boss.post(
        f"{V1}/sla-policies",
        json={"name": "Urgente", "calendar_id": cal, "first_response_minutes": 15,
              "conditions": {"field": "ticket.priority", "op": "eq", "value": "urgent"}},
    )  # fmt: skip
    boss.post(
        f"{V1}/sla-policies",
        json={"name": "Padrão", "calendar_id": cal, "first_response_minutes": 30},
    )
    start = "2026-11-20T20:50"  # Friday 20:50: 10 minutes left today
    urgent = client.get("/admin/sla", params={"policy": "auto", "priority": "urgent",
                                              "start": start})  # fmt: skip
    assert "Política: Urgente" in urgent.text
    assert "sábado, 21/11/2026 08:05" in _due(urgent.text, "first_response")
    low = client.get("/admin/sla", params={"policy": "auto", "priority": "low", "start": start})
    assert "Política: Padrão" in low.text
    assert "sábado, 21/11/2026 08:20" in _due(low.text, "first_response")
    none = client.get("/admin/sla", params={"policy": "auto", "start": start})
    assert none.status_code == 422 and "prioridade" in _field_error(none.text, "priority")


def test_what_if_on_the_form_uses_the_policy_as_typed_and_saves_nothing(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    policy = boss.post(
        f"{V1}/sla-policies",
        json={"name": "Comercial", "calendar_id": cal, "first_response_minutes": 30},
    ).json()
    page = client.post(
        f"/admin/sla/{policy['id']}",
        data=_form(token, cal, name="Comercial", first_response_value="2",
                   first_response_unit="h", resolution_value="", action="whatif",
                   wi_start="2026-10-09T17:50"),
    )  # fmt: skip
    assert page.status_code == 200, page.text[-1500:]
    assert "terça-feira, 13/10/2026 10:20" in _due(page.text, "first_response")
    assert 'name="first_response_value" value="2"' in page.text  # the form keeps what was typed
    assert boss.get(f"{V1}/sla-policies/{policy['id']}").json()["first_response_minutes"] == 30
    more = client.post("/admin/sla/new", data=_form(token, cal, action="more"))
    assert more.status_code == 200 and 'id="cf-1"' in more.text


def test_refusals_are_said_beside_the_field_with_what_was_typed(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    boss.post(f"{V1}/sla-policies", json={"name": "Existente", "calendar_id": cal})
    row = {"cond_field": ["organization.key_account"], "cond_op": ["contains"],
           "cond_value": ["sim"]}  # fmt: skip
    cases = [
        ({"name": "Existente"}, "name", "já existe"),
        ({"first_response_private": "45"}, "private_targets.first_response_minutes", "curta"),
        ({"first_response_value": "-5"}, "first_response_minutes", "maior que 0"),
        ({"first_response_value": "meia hora"}, "first_response_minutes", "número inteiro"),
        ({"calendar_id": ""}, "calendar_id", "obrigatório"),
        ({"warning_percent": "120"}, "warning_percent", "no máximo 100"),
        (row, "conditions.0", "contains"),
        ({"next_response_clock": "24x7"}, "target_clocks.next_response", "next_response"),
    ]
    for extra, field, words in cases:
        page = client.post("/admin/sla/new", data=_form(token, cal, **extra))
        assert page.status_code == 422, (field, page.text[-800:])
        said = _field_error(page.text, field.replace(".", "-"))
        assert words.lower() in said.lower(), (field, said)
        assert "Nada foi salvo" in page.text
    names = [p["name"] for p in boss.get(f"{V1}/sla-policies").json()]
    assert names == ["Existente"]


def test_only_admins_reach_the_sla_pages(client: TestClient, make_user: Any) -> None:
    boss, _token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    policy = boss.post(f"{V1}/sla-policies", json={"name": "Comercial", "calendar_id": cal})
    pid = policy.json()["id"]
    assert client.get("/admin/sla/999999").status_code == 404
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        _login(client, make_user(role, password=PASSWORD))
        mine = form_token(client.get("/tickets").text)
        reads = 200 if role == "supervisor" else 404  # a supervisor reads the list only
        assert client.get("/admin/sla").status_code == reads
        assert client.get(f"/admin/sla/{pid}").status_code == 404
        asked = client.get("/admin/sla", params={"policy": str(pid), "start": "2026-10-09T19:00"})
        assert asked.status_code == reads
        assert 'data-target="first_response"' not in asked.text  # no "what if" for them
        sneaky = client.post(f"/admin/sla/{pid}", data=_form(mine, cal, name="Tomada"))
        assert sneaky.status_code == 404
        gone = client.post(f"/admin/sla/{pid}/delete", data={"csrf_token": mine, "confirm": "true"})
        assert gone.status_code == 404
    assert boss.get(f"{V1}/sla-policies/{pid}").json()["name"] == "Comercial"


def test_an_admin_deletes_a_policy_once_confirmed(client: TestClient, make_user: Any) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    pid = boss.post(f"{V1}/sla-policies", json={"name": "Antiga", "calendar_id": cal}).json()["id"]
    unsure = client.post(f"/admin/sla/{pid}/delete", data={"csrf_token": token})
    assert unsure.status_code == 422
    assert "confirmar" in _field_error(unsure.text, "delete")
    assert boss.get(f"{V1}/sla-policies/{pid}").status_code == 200
    gone = client.post(
        f"/admin/sla/{pid}/delete",
        data={"csrf_token": token, "confirm": "true"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "A política de SLA foi excluída." in client.get(gone.headers["location"]).text
    assert boss.get(f"{V1}/sla-policies/{pid}").status_code == 404
    trail = boss.get(f"{V1}/audit", params={"entity_type": "sla_policy", "entity_id": pid})
    entry = trail.json()["items"][0]
    assert entry["action"] == "deleted" and entry["actor_id"] == boss.id


def test_choice_values_are_typed_and_shown_in_portuguese(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(f"{V1}/calendars", json=OFFICE).json()["id"]
    made = client.post(
        "/admin/sla/new",
        data=_form(token, cal, name="Urgentes", cond_field=["ticket.priority", "ticket.channel"],
                   cond_op=["in", "eq"], cond_value=["Alta, urgente", "WhatsApp"]),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    policy = next(p for p in boss.get(f"{V1}/sla-policies").json() if p["name"] == "Urgentes")
    assert policy["conditions"] == {"all": [
        {"field": "ticket.priority", "op": "in", "value": ["high", "urgent"]},
        {"field": "ticket.channel", "op": "eq", "value": "whatsapp"},
    ]}  # fmt: skip
    page = client.get(f"/admin/sla/{policy['id']}")
    assert 'name="cond_value" value="Alta, Urgente"' in page.text
    assert "Baixa, Normal, Alta, Urgente" in page.text  # the choices are listed
    listing = client.get("/admin/sla").text
    assert "Prioridade do chamado é um de Alta, Urgente e Canal é WhatsApp" in listing
    wrong = client.post(
        "/admin/sla/new",
        data=_form(token, cal, name="Errada", cond_field=["ticket.priority"], cond_op=["eq"],
                   cond_value=["altíssima"]),
    )  # fmt: skip
    assert wrong.status_code == 422
    assert "altíssima" in _field_error(wrong.text, "conditions-0")
