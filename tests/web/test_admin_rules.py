"""``/admin/rules``: an admin writes automation rules in a form of selects and inputs (no JSON),
switches them on and off, orders and deletes them, and tries them on a ticket; the rules land
on the API and the audit trail as the API's own; a refused form keeps what was typed and says
why in Portuguese beside the line; other roles get a 404."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from atende.db.base import utcnow
from atende.rules import playbook
from tests.rules.test_api import _counts

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_agenda import _login

V1 = "/api/v1"


def ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, res.text
    return res.json() if res.content else None


@pytest.fixture
def desk(client: TestClient, make_user: Any) -> dict[str, Any]:
    """An admin logged in on the client (with their CSRF token), two queues, a Prime customer
    and a ticket of theirs that asks to cancel."""
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    token = _login(client, boss)
    n1 = ok(boss.post(f"{V1}/queues", json={"name": "Suporte N1"}), 201)["id"]
    fin = ok(boss.post(f"{V1}/queues", json={"name": "Financeiro"}), 201)["id"]
    plan = ok(boss.post(f"{V1}/plans", json={"name": "Prime"}), 201)["id"]
    org = ok(boss.post(f"{V1}/organizations", json={"name": "Bom Preço", "plan_id": plan}), 201)
    contact = ok(
        boss.post(
            f"{V1}/contacts",
            json={
                "name": "Joana",
                "email": "joana@bompreco.example.com",
                "organization_id": org["id"],
            },
        ),
        201,
    )
    ticket = ok(
        boss.post(
            f"{V1}/tickets",
            json={"subject": "Contrato", "body": "Quero cancelar o contrato do sistema.",
                  "contact_id": contact["id"], "queue_id": n1},
        ),
        201,
    )  # fmt: skip
    return {"api": boss, "csrf": token, "n1": n1, "fin": fin, "ticket": ticket["id"]}


def rule_form(csrf: str, **fields: str) -> dict[str, str]:
    base = {
        "csrf_token": csrf,
        "intent": "save",
        "name": "Prime cancelando",
        "event": "ticket_created",
        "active": "true",
        "match": "all",
        "group_A": "any",
        "group_B": "any",
        "group_C": "any",
    }
    return {**base, **fields}


PRIME_CANCEL = {
    "c0_field": "organization.plan",
    "c0_op": "eq",
    "c0_value": "Prime",
    "c1_group": "A",
    "c1_field": "ticket.type",
    "c1_op": "eq",
    "c1_value": "cancellation",
    "c2_group": "A",
    "c2_field": "message.text",
    "c2_op": "matches",
    "c2_value": r"cancel(ar|amento)",
    "c3_field": "custom",
    "c3_custom": "nao_cliente",
    "c3_op": "ne",
    "c3_value": "sim",
    "c4_field": "ticket.status",
    "c4_op": "in",
    "c4_value": "Novo, open",
    "a1_type": "add_tags",
    "a1_value": "cancelamento, prime",
    "a2_type": "notify_webhook",
    "a2_value": "https://hooks.example.com/atende",
    "a2_secret": "segredo-do-webhook",
}


def test_other_roles_get_a_404_and_change_nothing(client: TestClient, make_user: Any) -> None:
    pages = ["/admin/rules", "/admin/rules/new", "/admin/rules/dry-run?ticket=1"]
    forms = {"/admin/rules/new": lambda t: rule_form(t, a0_type="add_tags", a0_value="x")}
    assert_admins_only(client, make_user, pages, forms)
    assert ok(make_user("admin").get(f"{V1}/rules")) == []


def test_a_rule_written_in_the_form_is_the_apis_rule_and_is_audited(
    client: TestClient, desk: dict[str, Any]
) -> None:
    page = client.get("/admin/rules/new")
    assert page.status_code == 200
    assert "Organização: plano" in page.text and "Mover para a fila" in page.text
    data = rule_form(desk["csrf"], **PRIME_CANCEL, a0_type="set_queue", a0_queue=str(desk["fin"]))
    saved = client.post("/admin/rules/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    [rule] = ok(desk["api"].get(f"{V1}/rules"))
    assert rule["name"] == "Prime cancelando" and rule["active"] is True
    assert rule["conditions"] == {
        "all": [
            {"field": "organization.plan", "op": "eq", "value": "Prime"},
            {"any": [
                {"field": "ticket.type", "op": "eq", "value": "cancellation"},
                {"field": "message.text", "op": "matches", "value": "cancel(ar|amento)"},
            ]},
            {"field": "custom_fields.nao_cliente", "op": "ne", "value": True},
            {"field": "ticket.status", "op": "in", "value": ["new", "open"]},
        ]
    }  # fmt: skip
    assert rule["actions"] == [
        {"type": "set_queue", "value": desk["fin"]},
        {"type": "add_tags", "value": ["cancelamento", "prime"]},
        {"type": "notify_webhook",
         "value": {"url": "https://hooks.example.com/atende", "secret": "segredo-do-webhook"}},
    ]  # fmt: skip
    audit = ok(desk["api"].get(f"{V1}/audit", params={"entity_type": "rule"}))["items"]
    assert [(a["action"], a["entity_label"], a["actor_name"]) for a in audit] == [
        ("created", "Prime cancelando", "Ana Admin")
    ]
    # the list says it in Portuguese; the edit form shows it back, the secret never
    listed = client.get("/admin/rules?saved=1").text
    assert "Quando: Um chamado é criado" in listed and "A regra foi salva." in listed
    assert "Organização: plano é Prime" in listed and "Mover para a fila: Financeiro" in listed
    edit = client.get(f"/admin/rules/{rule['id']}")
    assert edit.status_code == 200
    assert "segredo-do-webhook" not in edit.text
    assert 'name="c1_group"' in edit.text and 'value="A" selected' in edit.text
    assert 'value="cancel(ar|amento)"' in html.unescape(edit.text)
    assert 'value="Novo, Aberto"' in edit.text
    # saved again with the secret left blank and a new name: the secret is kept, the change
    # audited
    again = rule_form(desk["csrf"], **{**PRIME_CANCEL, "a2_secret": ""}, name="Prime: cancelar")
    again.update(a0_type="set_queue", a0_queue=str(desk["fin"]))
    assert client.post(f"/admin/rules/{rule['id']}", data=again).status_code == 200
    stored = ok(desk["api"].get(f"{V1}/rules/{rule['id']}"))
    assert stored["name"] == "Prime: cancelar"
    assert stored["actions"][2]["value"]["secret"] == "segredo-do-webhook"
    audit = ok(desk["api"].get(f"{V1}/audit", params={"entity_type": "rule"}))["items"]
    assert audit[0]["action"] == "updated"
    assert audit[0]["changes"]["name"] == {"before": "Prime cancelando", "after": "Prime: cancelar"}


def test_a_refused_form_keeps_what_was_typed_and_says_why_beside_the_line(
    client: TestClient, desk: dict[str, Any]
) -> None:
    # a lookahead RE2 refuses, on the third condition line
    bad = {**PRIME_CANCEL, "c2_value": "cancel(?=ar)"}
    data = rule_form(desk["csrf"], **bad, a0_type="set_queue", a0_queue=str(desk["fin"]))
    page = client.post("/admin/rules/new", data=data)
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert 'id="err-c2"' in page.text and "expressão regular inválida" in text
    assert 'value="cancel(?=ar)"' in text and 'value="Prime cancelando"' in text
    assert 'value="cancelamento, prime"' in text
    # an action without its queue
    data = rule_form(desk["csrf"], a0_type="set_queue")
    page = client.post("/admin/rules/new", data=data)
    assert page.status_code == 422
    assert 'id="err-a0"' in page.text and "escolha uma fila" in page.text
    # no action at all; a name already taken
    page = client.post("/admin/rules/new", data=rule_form(desk["csrf"]))
    assert page.status_code == 422 and "escolha pelo menos uma ação" in page.text
    ok(desk["api"].post(f"{V1}/rules", json={"name": "Dupla", "event": "ticket_created",
                                              "actions": [{"type": "add_tags", "value": ["x"]}]}),
       201)  # fmt: skip
    page = client.post(
        "/admin/rules/new",
        data=rule_form(desk["csrf"], name="Dupla", a0_type="add_tags", a0_value="y"),
    )
    assert page.status_code == 422
    assert 'id="err-name"' in page.text and "já existe uma regra chamada" in html.unescape(
        page.text
    )
    # a time_based rule needs its hours
    page = client.post(
        "/admin/rules/new",
        data=rule_form(desk["csrf"], event="time_based", time_status="open", a0_type="add_tags",
                       a0_value="y"),
    )  # fmt: skip
    assert page.status_code == 422 and 'id="err-time"' in page.text
    assert [r["name"] for r in ok(desk["api"].get(f"{V1}/rules"))] == ["Dupla"]
    # without the CSRF token nothing is read
    refused = client.post("/admin/rules/new", data={**rule_form(""), "a0_type": "add_tags"})
    assert refused.status_code == 403


def _tags_rule(api: Any, name: str, tag: str, event: str = "ticket_created") -> int:
    body = {"name": name, "event": event, "actions": [{"type": "add_tags", "value": [tag]}]}
    return int(ok(api.post(f"{V1}/rules", json=body), 201)["id"])


def test_rules_are_switched_moved_and_deleted_through_the_service(
    client: TestClient, desk: dict[str, Any]
) -> None:
    api, csrf = desk["api"], desk["csrf"]
    first, second, third = (_tags_rule(api, f"R{i}", f"t{i}") for i in (1, 2, 3))
    off = client.post(f"/admin/rules/{second}/active", data={"csrf_token": csrf, "active": "false"})
    assert off.status_code == 200 and "Inativa" in off.text
    assert ok(api.get(f"{V1}/rules/{second}"))["active"] is False
    moved = client.post(f"/admin/rules/{third}/move", data={"csrf_token": csrf, "direction": "up"})
    assert moved.status_code == 200
    assert [r["name"] for r in ok(api.get(f"{V1}/rules"))] == ["R1", "R3", "R2"]
    page = moved.text
    assert page.index("R1") < page.index("R3") < page.index("R2")
    client.post(f"/admin/rules/{first}/move", data={"csrf_token": csrf, "direction": "up"})
    assert [r["name"] for r in ok(api.get(f"{V1}/rules"))] == ["R1", "R3", "R2"]  # already first
    gone = client.post(f"/admin/rules/{first}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200
    assert [r["name"] for r in ok(api.get(f"{V1}/rules"))] == ["R3", "R2"]
    audit = ok(api.get(f"{V1}/audit", params={"entity_type": "rule"}))["items"]
    assert [a["action"] for a in audit][:4] == ["deleted", "updated", "updated", "updated"]
    assert client.post("/admin/rules/999999/delete", data={"csrf_token": csrf}).status_code == 404


def test_the_dry_run_shows_each_condition_and_what_would_change_and_writes_nothing(
    client: TestClient, desk: dict[str, Any], db: Session
) -> None:
    api = desk["api"]
    body = {
        "name": "Prime para o Financeiro",
        "event": "ticket_created",
        "conditions": {"all": [
            {"field": "organization.plan", "op": "eq", "value": "Prime"},
            {"field": "ticket.priority", "op": "eq", "value": "urgent"},
        ]},
        "actions": [{"type": "set_queue", "value": desk["fin"]}],
    }  # fmt: skip
    ok(api.post(f"{V1}/rules", json=body), 201)
    body = {**body, "name": "Prime sempre", "conditions": body["conditions"]["all"][0]}
    ok(api.post(f"{V1}/rules", json=body), 201)
    before = _counts(db, desk["ticket"])
    page = client.get(f"/admin/rules/dry-run?ticket={desk['ticket']}&event=ticket_created")
    assert page.status_code == 200
    text = page.text
    assert f"Chamado #{desk['ticket']}" in text
    assert "Prime para o Financeiro" in text and "Não se aplica" in text
    assert "Organização: plano é Prime" in text and "no chamado: Prime" in text
    assert "Chamado: prioridade é Urgente" in text and "no chamado: Normal" in text
    assert "Prime sempre" in text and "Aplica-se" in text
    assert "Faria:</strong> fila → Financeiro" in text
    assert _counts(db, desk["ticket"]) == before
    # a ticket that does not exist, a bad event
    missing = client.get("/admin/rules/dry-run?ticket=999999")
    assert missing.status_code == 422 and "O chamado #999999 não existe." in missing.text
    assert client.get("/admin/rules/dry-run?ticket=1&event=nada").status_code == 422


def test_the_form_tries_an_unsaved_rule_on_a_ticket(
    client: TestClient, desk: dict[str, Any], db: Session
) -> None:
    before = _counts(db, desk["ticket"])
    data = rule_form(
        desk["csrf"], **PRIME_CANCEL, a0_type="set_queue", a0_queue=str(desk["fin"]),
        intent="try", ticket=str(desk["ticket"]),
    )  # fmt: skip
    page = client.post("/admin/rules/new", data=data)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Prime cancelando" in text and "Aplica-se" in text
    assert "✓" in text and "Mensagem: texto corresponde ao padrão cancel(ar|amento)" in text
    assert "Chamado: tipo é cancellation" in text and "não definido no chamado" in text
    assert "Faria:</strong> fila → Financeiro; etiquetas → cancelamento, prime" in text
    assert "Chamar um webhook: https://hooks.example.com/atende" in text
    assert 'value="Prime cancelando"' in text  # the form is still there, as typed
    assert ok(desk["api"].get(f"{V1}/rules")) == [] and _counts(db, desk["ticket"]) == before
    data["ticket"] = "abc"
    page = client.post("/admin/rules/new", data=data)
    assert page.status_code == 422 and 'id="err-ticket"' in page.text
    # "more lines" adds blank lines and keeps the rest
    data.update(intent="more")
    more = client.post("/admin/rules/new", data=data)
    assert more.status_code == 200 and 'name="c7_field"' in more.text
    assert 'value="cancelamento, prime"' in more.text


class _Form(HTMLParser):
    """The values a browser would send back from the page's rule form (no button pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "rule-form" in a.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            checkbox = a.get("type") == "checkbox"
            if not checkbox or "checked" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def test_every_rule_of_the_demo_playbook_comes_back_unchanged_from_its_form(
    client: TestClient, desk: dict[str, Any], db: Session
) -> None:
    api = desk["api"]
    for name in ("Prime - Especialistas", "Clientes", "Special Service"):
        ok(api.post(f"{V1}/queues", json={"name": name}), 201)
    playbook.load_playbook(db, now=utcnow())
    db.commit()
    rules = ok(api.get(f"{V1}/rules"))
    assert len(rules) >= 9
    for rule in rules:
        page = client.get(f"/admin/rules/{rule['id']}")
        assert page.status_code == 200
        assert "nest deeper" not in page.text and "mais níveis" not in page.text, rule["name"]
        form = _Form()
        form.feed(page.text)
        sent = client.post(
            f"/admin/rules/{rule['id']}", data={**form.values, "intent": "save"},
            follow_redirects=False,
        )  # fmt: skip
        assert sent.status_code == 303, (rule["name"], sent.text[-2000:])
        again = ok(api.get(f"{V1}/rules/{rule['id']}"))
        for key in ("name", "event", "active", "conditions", "actions", "time", "position"):
            assert again[key] == rule[key], (rule["name"], key)
    audit = ok(api.get(f"{V1}/audit", params={"entity_type": "rule", "action": "updated"}))
    assert audit["items"] == []  # nothing changed, nothing recorded
