"""``/admin/channels``: admins connect WhatsApp numbers and Telegram bots and keep the approved
templates, through the same commands as the API; secrets never come back, a refused form keeps
what was typed (but the secrets) and says why next to the field; everyone else gets a 404."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.messaging import fakes
from tests.web.conftest import PASSWORD, form_token, login

WHATSAPP = {
    "kind": "whatsapp", "name": "WhatsApp Vendas", "phone_number_id": fakes.PHONE_NUMBER_ID,
    "access_token": fakes.ACCESS_TOKEN, "app_secret": fakes.APP_SECRET,
    "verify_token": fakes.VERIFY_TOKEN,
    "templates": "retomar_atendimento | pt_BR | Olá, {{1}}! Novidades no chamado {{2}}.",
}  # fmt: skip


def _admin_page(client: TestClient, make_user: Any) -> str:
    boss = make_user("admin", password=PASSWORD)
    assert login(client, boss.user.email).status_code == 303
    page = client.get("/admin/channels")
    assert page.status_code == 200
    return form_token(page.text)


def test_only_admins_see_the_channels_page(client: TestClient, make_user: Any) -> None:
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        assert login(client, make_user(role, password=PASSWORD).user.email).status_code == 303
        assert client.get("/admin/channels").status_code == 404
        token = form_token(client.get("/tickets").text)
        assert (
            client.post("/admin/channels", data={**WHATSAPP, "csrf_token": token}).status_code
            == 404
        )


def test_an_admin_connects_whatsapp_and_its_secrets_never_come_back(
    client: TestClient, make_user: Any, admin: Any
) -> None:
    token = _admin_page(client, make_user)
    assert "WhatsApp e Telegram" in client.get("/admin").text
    refused = client.post("/admin/channels", data={**WHATSAPP, "csrf_token": token,
                                                   "phone_number_id": "abc"})  # fmt: skip
    assert refused.status_code == 422
    assert "não está no formato esperado" in refused.text
    assert 'value="WhatsApp Vendas"' in refused.text  # what was typed stays
    assert fakes.ACCESS_TOKEN not in refused.text and fakes.APP_SECRET not in refused.text
    gap = client.post("/admin/channels", data={**WHATSAPP, "csrf_token": token,
                                               "templates": "x | pt_BR | Olá {{2}}"})  # fmt: skip
    assert gap.status_code == 422 and "numerados" in gap.text
    made = client.post("/admin/channels", data={**WHATSAPP, "csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    page = client.get("/admin/channels")
    [channel] = admin.get("/api/v1/channels").json()
    assert channel["webhook_url"] in page.text
    assert [t["name"] for t in channel["templates"]] == ["retomar_atendimento"]
    for secret in (fakes.ACCESS_TOKEN, fakes.APP_SECRET, fakes.VERIFY_TOKEN):
        assert secret not in page.text
    bad_line = client.post(f"/admin/channels/{channel['id']}", data={
        "csrf_token": token, "name": "WhatsApp Vendas", "active": "1",
        "templates": "sem_barras"})  # fmt: skip
    assert bad_line.status_code == 422
    assert "Linha 1: escreva nome | idioma | texto." in bad_line.text
    assert "sem_barras" in bad_line.text
    off = client.post(
        f"/admin/channels/{channel['id']}",
        data={"csrf_token": token, "name": "WhatsApp Vendas", "templates": ""},
        follow_redirects=False,
    )
    assert off.status_code == 303
    [channel] = admin.get("/api/v1/channels").json()
    assert (channel["active"], channel["templates"]) == (False, [])
    audit = admin.get("/api/v1/audit", params={"entity_type": "messaging_channel"}).json()
    assert [e["action"] for e in audit["items"]] == ["updated", "created"]


def test_a_telegram_bot_is_registered_from_the_page(
    client: TestClient, make_user: Any, bot_api: fakes.FakeBotApi
) -> None:
    token = _admin_page(client, make_user)
    wrong = client.post("/admin/channels", data={
        "csrf_token": token, "kind": "telegram", "name": "Bot",
        "bot_token": "987654321:AAE-wrong-token-abcdefghijklmnop"})  # fmt: skip
    assert wrong.status_code == 422
    assert "o Telegram não aceitou o bot" in wrong.text and "Unauthorized" in wrong.text
    made = client.post("/admin/channels", data={
        "csrf_token": token, "kind": "telegram", "name": "Bot", "bot_token": fakes.BOT_TOKEN},
        follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    [hook] = bot_api.webhooks
    assert hook["url"] in client.get("/admin/channels").text
    assert fakes.BOT_TOKEN not in client.get("/admin/channels").text


def test_dead_items_are_listed_with_their_reason_and_tried_again(
    client: TestClient, make_user: Any, admin: Any, deliver: Any, worker: Any
) -> None:
    assert deliver(b"{not json").status_code == 200  # signed, unreadable
    worker.drain()
    [dead] = admin.get("/api/v1/inbound", params={"state": "dead"}).json()["items"]
    token = _admin_page(client, make_user)
    page = client.get("/admin/channels")
    assert f'data-item="{dead["id"]}"' in page.text and "not JSON" in page.text
    again = client.post(f"/admin/channels/inbound/{dead['id']}/retry",
                        data={"csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    assert admin.get("/api/v1/inbound?state=queued").json()["items"][0]["id"] == dead["id"]
    assert f'data-item="{dead["id"]}"' not in client.get("/admin/channels").text
