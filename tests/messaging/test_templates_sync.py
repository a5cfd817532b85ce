"""WhatsApp templates read from Meta (``POST /api/v1/channels/{id}/templates/sync`` and the
admin page's button) against the local Graph API: every page of the account's templates kept
with their status, category and parameters; only approved ``pt_BR`` ones offered to agents; a
template removed at Meta marked gone, never deleted; Meta's refusals said in Portuguese."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.chat.helpers import V1, made, refused
from tests.messaging import fakes
from tests.messaging.conftest import fixture
from tests.web.conftest import PASSWORD, form_token, login

AT_META = [
    fakes.meta_template("boas_vindas", body="Olá, {{1}}! Recebemos sua mensagem."),
    fakes.meta_template("retomar_atendimento", body="Olá, {{1}}! Novidades no chamado {{2}}."),
    fakes.meta_template("promocao_natal", status="PENDING", category="MARKETING"),
    fakes.meta_template("reprovado", status="REJECTED"),
    fakes.meta_template("welcome", language="en_US"),
]


def _sync(admin: Any, channel: dict[str, Any]) -> Any:
    return admin.post(f"{V1}/channels/{channel['id']}/templates/sync")


def test_templates_are_read_from_meta_page_by_page_and_only_approved_pt_br_are_offered(
    admin: Any, deliver: Any, worker: Any, graph: fakes.FakeGraph,
    whatsapp_channel: dict[str, Any], at_first_message: None,
) -> None:  # fmt: skip
    problem = refused(_sync(admin, whatsapp_channel), 422, "waba_id")
    assert "waba_id" in problem["detail"]
    made(admin.patch(f"{V1}/channels/{whatsapp_channel['id']}",
                     json={"waba_id": fakes.WABA_ID}), 200)  # fmt: skip
    graph.templates = list(AT_META)
    channel = made(_sync(admin, whatsapp_channel), 200)
    assert graph.listed_pages == 3  # 5 templates, 2 a page: paging.next followed
    assert channel["templates_synced_at"] is not None
    kept = {(t["name"], t["language"]): t for t in channel["templates"]}
    assert set(kept) == {("boas_vindas", "pt_BR"), ("retomar_atendimento", "pt_BR"),
                         ("promocao_natal", "pt_BR"), ("reprovado", "pt_BR"),
                         ("welcome", "en_US")}  # fmt: skip
    # the admin's own retomar_atendimento is replaced by Meta's, which is the truth
    assert kept[("retomar_atendimento", "pt_BR")]["body"].endswith("Novidades no chamado {{2}}.")
    assert kept[("retomar_atendimento", "pt_BR")]["parameters"] == 2
    assert kept[("promocao_natal", "pt_BR")]["status"] == "PENDING"
    assert kept[("promocao_natal", "pt_BR")]["category"] == "MARKETING"
    assert all(t["synced"] and not t["gone"] for t in channel["templates"])

    deliver(fixture("text"))
    worker.drain()
    [ticket] = admin.get(f"{V1}/tickets").json()["items"]
    offered = admin.get(f"{V1}/tickets/{ticket['id']}/messaging").json()["templates"]
    assert sorted(t["name"] for t in offered) == ["boas_vindas", "retomar_atendimento"]
    pending = admin.post(f"{V1}/tickets/{ticket['id']}/whatsapp-template",
                         json={"template": "promocao_natal", "parameters": ["x"]})  # fmt: skip
    refused(pending, 422, "template")

    # removed at Meta: kept, marked gone, no longer offered
    graph.templates = [t for t in AT_META if t["name"] != "boas_vindas"]
    channel = made(_sync(admin, whatsapp_channel), 200)
    [gone] = [t for t in channel["templates"] if t["name"] == "boas_vindas"]
    assert gone["gone"] is True and gone["status"] == "APPROVED"
    offered = admin.get(f"{V1}/tickets/{ticket['id']}/messaging").json()["templates"]
    assert [t["name"] for t in offered] == ["retomar_atendimento"]
    # the admin's own list is set apart: Meta's stay when it changes
    own = {"name": "aviso_manual", "language": "pt_BR", "body": "Aviso: {{1}}"}
    channel = made(admin.patch(f"{V1}/channels/{whatsapp_channel['id']}",
                               json={"templates": [own]}), 200)  # fmt: skip
    names = sorted(t["name"] for t in channel["templates"])
    assert names == ["aviso_manual", "boas_vindas", "promocao_natal", "reprovado",
                     "retomar_atendimento", "welcome"]  # fmt: skip
    audit = admin.get(f"{V1}/audit", params={"entity_type": "messaging_channel"}).json()
    assert len(audit["items"]) >= 4


def test_metas_refusal_is_said_in_portuguese_and_changes_nothing(
    admin: Any, graph: fakes.FakeGraph, whatsapp_channel: dict[str, Any]
) -> None:
    made(admin.patch(f"{V1}/channels/{whatsapp_channel['id']}",
                     json={"waba_id": fakes.WABA_ID}), 200)  # fmt: skip
    graph.templates_fail_with = {"code": 190, "message": "Error validating access token"}
    problem = refused(_sync(admin, whatsapp_channel), 422, "waba_id")
    assert "o token de acesso do WhatsApp expirou ou é inválido" in problem["detail"]
    channel = made(admin.get(f"{V1}/channels/{whatsapp_channel['id']}"), 200)
    assert channel["templates_synced_at"] is None
    assert [t["name"] for t in channel["templates"]] == ["retomar_atendimento"]


def test_a_telegram_channel_has_no_templates_to_sync(
    admin: Any, telegram_channel: dict[str, Any]
) -> None:
    refused(_sync(admin, telegram_channel), 422, "channel_id")
    refused(admin.patch(f"{V1}/channels/{telegram_channel['id']}",
                        json={"waba_id": "123"}), 422, "waba_id")  # fmt: skip


def test_the_admin_page_reads_the_templates_and_lists_them_with_their_status(
    client: TestClient, make_user: Any, admin: Any, graph: fakes.FakeGraph,
    whatsapp_channel: dict[str, Any],
) -> None:  # fmt: skip
    boss = make_user("admin", password=PASSWORD)
    assert login(client, boss.user.email).status_code == 303
    token = form_token(client.get("/admin/channels").text)
    no_waba = client.post(f"/admin/channels/{whatsapp_channel['id']}/templates/sync",
                          data={"csrf_token": token})  # fmt: skip
    assert no_waba.status_code == 422 and "waba_id" in no_waba.text
    saved = client.post(f"/admin/channels/{whatsapp_channel['id']}", data={
        "csrf_token": token, "name": "WhatsApp Suporte", "active": "1",
        "waba_id": fakes.WABA_ID, "templates": ""}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    graph.templates = list(AT_META)
    synced = client.post(f"/admin/channels/{whatsapp_channel['id']}/templates/sync",
                         data={"csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert synced.status_code == 303
    page = client.get("/admin/channels").text

    def row(name: str) -> str:
        return page.split(f'data-template="{name}"', 1)[1].split("</tr>", 1)[0]

    assert "MARKETING" in row("promocao_natal") and "pendente" in row("promocao_natal")
    assert "<td>aprovado</td>" in row("boas_vindas") and "reprovado</td>" in row("reprovado")
    graph.templates_fail_with = {"code": 100, "message": "Unsupported get request"}
    failed = client.post(f"/admin/channels/{whatsapp_channel['id']}/templates/sync",
                         data={"csrf_token": token})  # fmt: skip
    assert failed.status_code == 422
    assert "parâmetro inválido na chamada à API do WhatsApp (código 100)" in failed.text
