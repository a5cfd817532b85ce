"""``/admin/canned-replies``: an admin searches, writes (with the composer's variables listed)
and deletes canned replies through the API's service (audited); a bad template or a taken name
comes back with what was typed and the reason in Portuguese; a reply a rule sends is not
deleted; other roles get a 404."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
BASE = "/admin/canned-replies"


@pytest.fixture
def boss(client: TestClient, make_user: Any) -> tuple[Any, str]:
    admin = make_user("admin", name="Ana Admin", password=PASSWORD)
    return admin, _login(client, admin)


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {f"{BASE}/new": lambda t: {"csrf_token": t, "name": "x", "body": "y"}}
    assert_admins_only(client, make_user, [f"{BASE}/new"], forms, readable=[BASE])
    assert ok(make_user("admin").get(f"{V1}/canned-replies")) == []


def test_an_admin_writes_searches_and_deletes_canned_replies(
    client: TestClient, boss: tuple[Any, str]
) -> None:
    api, csrf = boss
    form = client.get(f"{BASE}/new")
    assert form.status_code == 200
    assert "{{contact.first_name}}" in html.unescape(form.text)
    assert "o primeiro nome do cliente" in form.text  # the variables, explained
    body = "Olá, {{contact.first_name|cliente}}! O chamado #{{ticket.number}} foi resolvido."
    saved = client.post(
        f"{BASE}/new",
        data={"csrf_token": csrf, "name": "Resolvido", "body": body},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    [reply] = ok(api.get(f"{V1}/canned-replies"))
    assert (reply["name"], reply["body"]) == ("Resolvido", body)
    assert reply["variables"] == ["contact.first_name", "ticket.number"]
    ok(api.post(f"{V1}/canned-replies", json={"name": "Boleto", "body": "Segue o boleto."}), 201)
    listed = client.get(f"{BASE}?saved=1").text
    assert "A resposta pronta foi salva." in listed
    assert "Resolvido" in listed and "Boleto" in listed and "contact.first_name" in listed
    found = client.get(f"{BASE}?q=BOLETO").text
    assert "Boleto" in found and "Resolvido" not in found
    assert "Nenhuma resposta pronta encontrada." in client.get(f"{BASE}?q=pix").text
    # edited, then deleted; each change on the audit trail
    edit = client.get(f"{BASE}/{reply['id']}")
    assert edit.status_code == 200 and 'value="Resolvido"' in edit.text
    client.post(
        f"{BASE}/{reply['id']}",
        data={"csrf_token": csrf, "name": "Chamado resolvido", "body": body},
    )
    assert ok(api.get(f"{V1}/canned-replies/{reply['id']}"))["name"] == "Chamado resolvido"
    gone = client.post(f"{BASE}/{reply['id']}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200
    assert [r["name"] for r in ok(api.get(f"{V1}/canned-replies"))] == ["Boleto"]
    audit = ok(api.get(f"{V1}/audit", params={"entity_type": "canned_reply"}))["items"]
    assert [(a["action"], a["actor_name"]) for a in audit] == [
        ("deleted", "Ana Admin"),
        ("updated", "Ana Admin"),
        ("created", "Ana Admin"),
        ("created", "Ana Admin"),
    ]
    assert client.get(f"{BASE}/999999").status_code == 404


def test_refusals_keep_what_was_typed_and_say_why(
    client: TestClient, boss: tuple[Any, str]
) -> None:
    api, csrf = boss
    typed = "Olá, {{contact.firstname}}!"
    page = client.post(f"{BASE}/new", data={"csrf_token": csrf, "name": "Oi", "body": typed})
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert 'id="err-body"' in page.text and "Variável desconhecida 'contact.firstname'" in text
    assert typed in text and 'value="Oi"' in page.text
    page = client.post(f"{BASE}/new", data={"csrf_token": csrf, "name": "", "body": ""})
    assert page.status_code == 422
    assert "Escreva um nome." in page.text and "Escreva a resposta." in page.text
    ok(api.post(f"{V1}/canned-replies", json={"name": "Oi", "body": "Oi!"}), 201)
    page = client.post(f"{BASE}/new", data={"csrf_token": csrf, "name": "Oi", "body": "Olá!"})
    assert page.status_code == 422 and 'id="err-name"' in page.text
    assert "Já existe uma resposta pronta chamada 'Oi'" in html.unescape(page.text)
    # a reply a rule sends stays, and the page names the rule
    sent = ok(api.get(f"{V1}/canned-replies"))[0]["id"]
    rule = {"name": "Saudação", "event": "ticket_created",
            "actions": [{"type": "send_canned_reply", "value": sent}]}  # fmt: skip
    ok(api.post(f"{V1}/rules", json=rule), 201)
    kept = client.post(f"{BASE}/{sent}/delete", data={"csrf_token": csrf})
    assert kept.status_code == 409 and "Saudação" in kept.text
    assert len(ok(api.get(f"{V1}/canned-replies"))) == 1
