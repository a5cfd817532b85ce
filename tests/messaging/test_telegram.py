"""Telegram (Bot API) end to end against a local Bot API: the server registers its webhook with
a secret token, checks it on every update, de-duplicates by update_id, takes text, photos and
documents in, and answers by sendMessage / sendDocument; a user who blocked the bot is marked."""

from __future__ import annotations

import json
from typing import Any

from tests.messaging import fakes
from tests.messaging.conftest import path_of, telegram_update


def _post(client: Any, channel: dict[str, Any], raw: bytes, secret: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return client.post(path_of(channel["webhook_url"]), content=raw, headers=headers)


def test_creating_the_channel_registers_the_webhook_with_a_secret_token(
    admin: Any, bot_api: fakes.FakeBotApi, telegram_channel: dict[str, Any]
) -> None:
    [registered] = bot_api.webhooks
    assert registered["url"] == telegram_channel["webhook_url"]
    assert telegram_channel["webhook_url"].startswith("https://atende.example/webhooks/telegram/")
    assert fakes.BOT_TOKEN not in telegram_channel["webhook_url"]  # never the token in a URL
    assert len(registered["secret_token"]) >= 32
    assert registered["secret_token"] not in json.dumps(admin.get("/api/v1/channels").json())
    assert fakes.BOT_TOKEN not in admin.get("/api/v1/channels").text
    refused = admin.post("/api/v1/channels", json={
        "kind": "telegram", "name": "Outro bot",
        "bot_token": "987654321:AAE-wrong-token-abcdefghijklmnop"})  # fmt: skip
    assert refused.status_code == 422
    assert "Unauthorized" in refused.json()["detail"]
    assert [c["name"] for c in admin.get("/api/v1/channels").json()] == ["Bot Suporte"]


def test_updates_need_the_secret_token_and_are_taken_once(
    client: Any, admin: Any, worker: Any, bot_api: fakes.FakeBotApi,
    telegram_channel: dict[str, Any],
) -> None:  # fmt: skip
    secret = bot_api.webhooks[0]["secret_token"]
    raw = telegram_update(1001)
    assert _post(client, telegram_channel, raw, None).status_code == 401
    assert _post(client, telegram_channel, raw, "wrong-secret").status_code == 401
    assert admin.get("/api/v1/inbound").json()["items"] == []
    assert _post(client, telegram_channel, raw, secret).status_code == 200
    assert _post(client, telegram_channel, raw, secret).status_code == 200  # redelivered
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    assert ticket["channel"] == "telegram"
    assert ticket["subject"] == "Telegram: Oi, preciso de ajuda"
    contact = admin.get(f"/api/v1/contacts/{ticket['requester_id']}").json()
    assert contact["name"] == "Rafael Souza"
    timeline = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    assert [e["body_text"] for e in timeline if e["entry"] == "message"] == [
        "Oi, preciso de ajuda"]  # fmt: skip


def test_photos_and_documents_come_in_and_replies_go_out(
    client: Any, admin: Any, worker: Any, bot_api: fakes.FakeBotApi,
    telegram_channel: dict[str, Any],
) -> None:  # fmt: skip
    secret = bot_api.webhooks[0]["secret_token"]
    pdf = b"%PDF-1.4\n% boleto\n"
    bot_api.files.update({"PHOTO-BIG": b"\xff\xd8\xff\xe0" + b"\x00" * 40, "DOC-1": pdf})
    photo = telegram_update(
        1002,
        text=None,
        caption="Tela do erro",
        photo=[
            {"file_id": "PHOTO-SMALL", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": "PHOTO-BIG", "file_unique_id": "b", "width": 1280, "height": 960},
        ],
    )
    document = telegram_update(1003, text=None, document={
        "file_id": "DOC-1", "file_unique_id": "d1", "file_name": "boleto.pdf",
        "mime_type": "application/pdf"})  # fmt: skip
    _post(client, telegram_channel, photo, secret)
    _post(client, telegram_channel, document, secret)
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    timeline = admin.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    bodies = [e["body_text"] for e in timeline if e["entry"] == "message"]
    assert bodies == ["[imagem] Tela do erro", "[documento: boleto.pdf]"]
    files = admin.get(f"/api/v1/tickets/{ticket['id']}/attachments").json()["items"]
    assert sorted(f["filename"] for f in files) == ["boleto.pdf", "foto.jpg"]
    [doc] = [f for f in files if f["filename"] == "boleto.pdf"]
    assert admin.get(f"/api/v1/attachments/{doc['id']}/content").content == pdf

    upload = admin.post(f"/api/v1/tickets/{ticket['id']}/attachments",
                        files={"file": ("segunda-via.pdf", pdf, "application/pdf")},
                        data={"public": "true"})  # fmt: skip
    assert upload.status_code == 201, upload.text
    r = admin.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"body": "Segue a segunda via.", "attachment_ids": [upload.json()["id"]]},
    )
    assert r.status_code == 201, r.text
    worker.drain()
    methods = [m for m, _ in bot_api.sent]
    assert methods == ["sendMessage", "sendDocument"]
    assert bot_api.sent[0][1] == {"chat_id": "424242", "text": "Segue a segunda via.",
                                  "disable_web_page_preview": True}  # fmt: skip
    assert b"segunda-via.pdf" in bot_api.sent[1][1]
    state = admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()
    [out] = [m for m in state["messages"] if m["direction"] == "out"]
    assert (out["state"], out["provider_id"]) == ("sent", "424242:101")
    assert state["window_open"] is True and state["window_closes_at"] is None


def test_a_user_who_blocked_the_bot_is_marked_and_the_reply_fails_in_portuguese(
    client: Any, admin: Any, worker: Any, bot_api: fakes.FakeBotApi,
    telegram_channel: dict[str, Any],
) -> None:  # fmt: skip
    secret = bot_api.webhooks[0]["secret_token"]
    _post(client, telegram_channel, telegram_update(1004), secret)
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    bot_api.blocked.add("424242")
    admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Conseguiu resolver?"})
    worker.drain()
    state = admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()
    [out] = [m for m in state["messages"] if m["direction"] == "out"]
    assert (out["state"], out["reason"]) == ("failed", "o cliente bloqueou o bot no Telegram")
    assert state["blocked"] is True
    # the next reply does not even try
    admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Estamos à disposição."})
    worker.drain()
    assert len([m for m, _ in bot_api.sent]) == 0
    # writing again unblocks
    _post(client, telegram_channel, telegram_update(1005, text="Voltei"), secret)
    worker.drain()
    assert admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()["blocked"] is False


def test_a_long_reply_goes_in_pieces_cut_at_paragraphs(
    client: Any, admin: Any, worker: Any, bot_api: fakes.FakeBotApi,
    telegram_channel: dict[str, Any],
) -> None:  # fmt: skip
    secret = bot_api.webhooks[0]["secret_token"]
    _post(client, telegram_channel, telegram_update(1006), secret)
    worker.drain()
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    first, second = "Passo 1: " + "a" * 3000, "Passo 2: " + "b" * 3000
    r = admin.post(f"/api/v1/tickets/{ticket['id']}/messages",
                   json={"body": f"{first}\n\n{second}"})  # fmt: skip
    assert r.status_code == 201, r.text
    worker.drain()
    assert [body["text"] for _, body in bot_api.sent] == [first, second]
    state = admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()
    assert [m["state"] for m in state["messages"] if m["direction"] == "out"] == ["sent"]
