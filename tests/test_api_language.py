"""The API speaks its reader's language: Brazilian Portuguese by default, English when the
user's locale or the request's Accept-Language says so; codes never change (api/messages.py).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _no_language(user: Any) -> dict[str, str]:
    return {"Authorization": user.headers["Authorization"]}


def test_a_refusal_is_said_in_portuguese_by_default_with_the_same_code(
    client: Any, admin: Any
) -> None:
    r = client.get("/api/v1/queues/987654", headers=_no_language(admin))
    assert r.status_code == 404
    body = r.json()
    assert body["detail"] == "fila 987654 não encontrada"
    assert body["title"] == "Não encontrado"
    assert body["code"] == "not_found"

    english = admin.get("/api/v1/queues/987654")  # the suite's clients ask for English
    assert english.json()["detail"] == "queue 987654 not found"
    assert english.json()["title"] == "Not found"
    assert english.json()["code"] == body["code"]


def test_the_users_locale_decides_when_the_request_names_none(client: Any, admin: Any) -> None:
    assert admin.patch(f"/api/v1/users/{admin.id}", json={"locale": "en"}).status_code == 200
    r = client.get("/api/v1/queues/987654", headers=_no_language(admin))
    assert r.json()["detail"] == "queue 987654 not found"
    # a request may still ask for Portuguese
    asked = client.get(
        "/api/v1/queues/987654", headers={**_no_language(admin), "Accept-Language": "pt-BR"}
    )
    assert asked.json()["detail"] == "fila 987654 não encontrada"


def test_input_errors_name_the_field_in_portuguese(client: Any, admin: Any) -> None:
    r = client.post("/api/v1/queues", headers=_no_language(admin), json={"name": "", "unknown": 1})
    assert r.status_code == 422
    body = r.json()
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["name"]["message"] == "deve ter ao menos 1 caracteres"
    assert by_field["name"]["type"] == "string_too_short"
    assert by_field["unknown"]["message"] == "campo desconhecido: não é aceito aqui"
    assert by_field["unknown"]["type"] == "extra_forbidden"
    assert body["detail"].startswith(f"{body['errors'][0]['field']}: ")
    assert body["title"] == "Entrada inválida"

    missing = client.post("/api/v1/queues", headers=_no_language(admin), json={})
    assert {e["message"] for e in missing.json()["errors"]} == {"campo obrigatório"}


def test_a_state_rule_and_a_malformed_body_are_said_in_portuguese(client: Any, admin: Any) -> None:
    created = admin.post(
        "/api/v1/tickets",
        json={
            "subject": "Impressora",
            "body": "não imprime",
            "requester": {"email": "cliente@example.com"},
        },
    )
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    assert admin.patch(f"/api/v1/tickets/{tid}", json={"status": "closed"}).status_code == 200
    r = client.patch(f"/api/v1/tickets/{tid}", headers=_no_language(admin), json={"status": "open"})
    assert r.status_code == 409
    assert r.json()["detail"] == (
        f"o chamado #{tid} está fechado, e fechado é definitivo: abra um chamado de "
        f"continuação (POST /api/v1/tickets/{tid}/follow-up)"
    )
    assert r.json()["code"] == "invalid_transition"

    broken = client.post(
        "/api/v1/queues",
        headers={**_no_language(admin), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert broken.status_code == 422
    assert broken.json()["detail"] == "corpo JSON malformado"


def test_an_unknown_caller_is_answered_in_the_sites_language_or_the_asked_one(
    client: Any,
) -> None:
    r = client.get("/api/v1/queues", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json()["detail"] == "token de API desconhecido, revogado ou malformado"
    en = client.get(
        "/api/v1/queues",
        headers={"Authorization": "Bearer nope", **{"Accept-Language": "en-US,en;q=0.8"}},
    )
    assert en.json()["detail"] == "unknown, revoked or malformed API token"


@pytest.mark.nodb
def test_no_domain_error_is_built_from_an_f_string() -> None:
    """An f-string message cannot be translated: write a template and pass its parameters
    (``NotFound("queue {queue_id} not found", queue_id=queue_id)``; tools/error_templates.py
    rewrites old ones)."""
    spec = importlib.util.spec_from_file_location(
        "error_templates", ROOT / "tools" / "error_templates.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = module.error_names()
    found = []
    for path in sorted((ROOT / "src" / "atende").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and module._callee(node.func) in names
                and node.args
                and isinstance(node.args[0], ast.JoinedStr)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "f-string messages (run tools/error_templates.py): " + ", ".join(found)


def test_a_notification_is_said_in_each_followers_language(make_user: Any, admin: Any) -> None:
    """A notification goes to several people at once: each reads it in their own locale."""
    paula = make_user("supervisor", name="Paula")  # pt_BR, the default
    john = make_user("supervisor", name="John")
    assert admin.patch(f"/api/v1/users/{john.id}", json={"locale": "en"}).status_code == 200
    created = admin.post(
        "/api/v1/tickets",
        json={
            "subject": "Nota fiscal",
            "body": "erro 500",
            "requester": {"email": "n@example.com"},
        },
    )
    tid = created.json()["id"]
    for follower in (paula, john):
        assert follower.post(f"/api/v1/tickets/{tid}/followers/me").status_code == 200
    reply = admin.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": "Corrigido", "public": True}
    )
    assert reply.status_code == 201, reply.text

    def said(user: Any) -> list[str]:
        return [n["text"] for n in user.get("/api/v1/notifications").json()["items"]]

    assert said(paula) == [f"Chamado #{tid} 'Nota fiscal': nova resposta ao cliente"]
    assert said(john) == [f"Ticket #{tid} 'Nota fiscal': new reply to the customer"]


def test_the_timeline_tells_each_event_in_the_readers_language(client: Any, admin: Any) -> None:
    created = admin.post(
        "/api/v1/tickets",
        json={"subject": "Boleto", "body": "segunda via", "requester": {"email": "b@example.com"}},
    )
    tid = created.json()["id"]
    assert admin.patch(f"/api/v1/tickets/{tid}", json={"priority": "high"}).status_code == 200

    def priority_text(headers: dict[str, str]) -> str:
        entries = client.get(f"/api/v1/tickets/{tid}/timeline", headers=headers).json()
        (event,) = [e for e in entries if e.get("kind") == "priority"]
        assert all(e["text"] for e in entries if e["entry"] == "event")
        return str(event["text"])

    assert (
        priority_text(_no_language(admin))
        == "Prioridade alterada de Normal para Alta por Ana Admin"
    )
    assert priority_text(admin.headers) == "Priority changed from Normal to High by Ana Admin"
