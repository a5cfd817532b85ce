"""``/admin/chat``: an admin makes chat widgets (the tag to copy, the sites allowed, the hours,
the bot) and keeps the bot's flows as versions: a draft edited as checked JSON, a conversation
simulated, the draft published (the version before retires), a new draft made from a version;
all through the API's services (audited). Refusals come back in Portuguese with what was
typed; other roles get a 404."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi.testclient import TestClient

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
BASE = "/admin/chat"

FLOW = {
    "start": "menu",
    "default_queue": "Suporte N1",
    "keywords": [{"match": "#prime", "mode": "token",
                  "action": {"route": "Suporte N1", "text": "Atendimento Prime."}}],
    "nodes": {
        "menu": {"type": "menu", "text": "Olá! Como posso ajudar?", "invalid": "Não entendi.",
                 "options": [{"key": "1", "label": "Sou Cliente", "next": "cliente"}]},
        "cliente": {"type": "route", "text": "Vou te transferir.", "queue": "Suporte N1"},
    },
}  # fmt: skip


def widget_form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"csrf_token": csrf, "name": "Site", "greeting": "Olá!", "queue_id": "",
            "calendar_id": "", "bot_flow_key": "", "prechat": "either",
            "inactivity_minutes": "30", "allowed_origins": "", "color": "#1f6feb",
            "text_color": "#ffffff", "active": "true"}  # fmt: skip
    return {**base, **fields}


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {
        f"{BASE}/widgets/new": widget_form,
        f"{BASE}/flows/new": lambda t: {"csrf_token": t, "key": "x"},
    }
    pages = [BASE, f"{BASE}/widgets/new", f"{BASE}/flows/1"]
    assert_admins_only(client, make_user, pages, forms)
    assert ok(make_user("admin").get(f"{V1}/chat/flows")) == []


def test_a_widget_is_made_with_its_tag_to_copy(client: TestClient, make_user: Any) -> None:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    csrf = _login(client, boss)
    queue = ok(boss.post(f"{V1}/queues", json={"name": "Suporte N1"}), 201)["id"]
    made = client.post(
        f"{BASE}/widgets/new",
        data=widget_form(csrf, name="Solis", queue_id=str(queue),
                         allowed_origins="https://www.solis.example\nhttps://loja.solis.example/"),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    [widget] = ok(boss.get(f"{V1}/chat/widgets"))
    assert widget["allowed_origins"] == ["https://www.solis.example", "https://loja.solis.example"]
    assert widget["queue_id"] == queue
    page = client.get(made.headers["location"])
    assert "O widget foi salvo." in page.text
    assert widget["embed"] in html.unescape(page.text)  # the one tag, to copy
    assert 'data-copy="embed"' in page.text
    assert widget["embed"] in html.unescape(client.get(BASE).text)
    audit = ok(boss.get(f"{V1}/audit", params={"entity_type": "chat_widget"}))["items"]
    assert [a["action"] for a in audit] == ["created"]
    # refused: a colour that is not #rrggbb, a site that is not an origin, a bot not published
    bad = client.post(
        f"{BASE}/widgets/{widget['id']}",
        data=widget_form(csrf, name="Solis", color="azul", allowed_origins="www.solis.example"),
    )
    assert bad.status_code == 422
    assert 'id="err-color"' in bad.text and 'id="err-allowed_origins"' in bad.text
    assert 'value="azul"' in bad.text and "www.solis.example" in bad.text
    nobot = client.post(
        f"{BASE}/widgets/{widget['id']}", data=widget_form(csrf, name="Solis", bot_flow_key="drica")
    )
    assert nobot.status_code == 422 and 'id="err-bot_flow_key"' in nobot.text
    assert ok(boss.get(f"{V1}/chat/widgets"))[0]["color"] == "#1f6feb"


def test_a_flow_is_drafted_simulated_published_and_copied(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    ok(boss.post(f"{V1}/queues", json={"name": "Suporte N1"}), 201)
    made = client.post(
        f"{BASE}/flows/new", data={"csrf_token": csrf, "key": "porta"}, follow_redirects=False
    )
    assert made.status_code == 303
    draft_url = made.headers["location"]
    draft = client.get(draft_url)
    assert (
        draft.status_code == 200 and "rascunho" in draft.text and "Validar e publicar" in draft.text
    )
    flow_id = int(draft_url.rsplit("/", 1)[1])
    # broken JSON: said where, kept as typed, nothing saved
    broken = client.post(draft_url, data={"csrf_token": csrf, "definition": '{"start": "menu",'})
    assert broken.status_code == 422 and "não é um JSON válido: linha 1" in broken.text
    assert '{"start": "menu",' in html.unescape(broken.text)
    # saved and simulated: the bot's answers, then the queue it hands the chat to
    text = json.dumps(FLOW, ensure_ascii=False)
    sim = client.post(
        draft_url,
        data={"csrf_token": csrf, "definition": text, "intent": "simulate", "inputs": "oi\n1"},
    )
    assert sim.status_code == 200, sim.text
    said = html.unescape(sim.text)
    assert "Olá! Como posso ajudar?" in said and "Vou te transferir." in said
    assert "entregue à fila Suporte N1" in said
    assert ok(boss.get(f"{V1}/chat/flows/{flow_id}"))["definition"] == FLOW
    # a step nobody reaches: not published, every problem listed
    orphan = {**FLOW, "nodes": {**FLOW["nodes"], "solto": {"type": "route", "text": "x",
                                                             "queue": "Suporte N1"}}}  # fmt: skip
    refused = client.post(
        draft_url,
        data={"csrf_token": csrf, "definition": json.dumps(orphan), "intent": "publish"},
    )
    assert refused.status_code == 422
    assert "/nodes/solto: nenhum chat chega a este passo" in refused.text
    assert ok(boss.get(f"{V1}/chat/flows/{flow_id}"))["status"] == "draft"
    published = client.post(
        draft_url, data={"csrf_token": csrf, "definition": text, "intent": "publish"},
        follow_redirects=False,
    )  # fmt: skip
    assert published.status_code == 303
    assert ok(boss.get(f"{V1}/chat/flows/{flow_id}"))["status"] == "published"
    shown = client.get(draft_url).text
    assert "publicada" in shown and "Novo rascunho a partir desta versão" in shown
    assert 'name="definition"' not in shown  # a published version is never edited
    copied = client.post(f"{draft_url}/copy", data={"csrf_token": csrf}, follow_redirects=False)
    second = ok(boss.get(f"{V1}/chat/flows"))
    assert [(f["version"], f["status"]) for f in second] == [(1, "published"), (2, "draft")]
    assert copied.headers["location"].endswith(f"/{second[1]['id']}")
    assert second[1]["definition"] == FLOW
    listed = client.get(BASE).text
    assert "versão 1" in listed and "versão 2" in listed
    audit = ok(boss.get(f"{V1}/audit", params={"entity_type": "bot_flow"}))["items"]
    assert {a["action"] for a in audit} == {"created", "updated"}
    bad_key = client.post(f"{BASE}/flows/new", data={"csrf_token": csrf, "key": "Porta Errada"})
    assert "A chave de um fluxo" in bad_key.text
