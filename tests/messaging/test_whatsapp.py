"""WhatsApp (Business Cloud API) end to end against a local Graph API: Meta's verification,
signed webhooks stored raw and de-duplicated, ingestion into contacts and tickets, media in two
steps, delivery statuses, replies through the outbox and the 24-hour window."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import time_machine

from tests.messaging import fakes
from tests.messaging.conftest import WROTE_AT, fixture, path_of
from tests.stream.conftest import read_stream


def _only_ticket(admin: Any) -> dict[str, Any]:
    [ticket] = admin.get("/api/v1/tickets").json()["items"]
    return ticket  # type: ignore[no-any-return]


def _messages(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    timeline = admin.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    return [e for e in timeline if e["entry"] == "message"]


def _outgoing(admin: Any, ticket_id: int) -> list[dict[str, Any]]:
    state = admin.get(f"/api/v1/tickets/{ticket_id}/messaging").json()
    return [m for m in state["messages"] if m["direction"] == "out"]


def test_meta_verification_answers_the_challenge_as_plain_text(
    client: Any, whatsapp_channel: dict[str, Any]
) -> None:
    url = path_of(whatsapp_channel["webhook_url"])
    ok = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": fakes.VERIFY_TOKEN,
                                 "hub.challenge": "1158201444"})  # fmt: skip
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope-nope",
                                    "hub.challenge": "1158201444"})  # fmt: skip
    assert wrong.status_code == 403 and "1158201444" not in wrong.text
    unknown = client.get("/webhooks/whatsapp/no-such-key", params={"hub.mode": "subscribe"})
    assert unknown.status_code == 403


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    deliver: Any, admin: Any
) -> None:
    raw = fixture("text")
    assert deliver(raw, signature=None).status_code == 401
    assert deliver(raw, signature="sha256=" + "0" * 64).status_code == 401
    assert deliver(raw, signature=fakes.sign(raw, "another-secret")).status_code == 401
    tampered = raw.replace(b"4471", b"9999")
    assert deliver(tampered, signature=fakes.sign(raw)).status_code == 401
    assert admin.get("/api/v1/inbound").json()["items"] == []


def test_a_text_opens_a_whatsapp_ticket_once_however_often_meta_delivers_it(
    deliver: Any, worker: Any, admin: Any, at_first_message: None
) -> None:
    raw = fixture("text")
    assert deliver(raw).status_code == 200
    assert deliver(raw).status_code == 200  # Meta retries: a no-op
    [item] = admin.get("/api/v1/inbound").json()["items"]
    assert (item["kind"], item["state"]) == ("whatsapp", "queued")
    worker.drain()
    ticket = _only_ticket(admin)
    assert ticket["channel"] == "whatsapp"
    assert ticket["subject"] == "WhatsApp: Olá, a nota fiscal do pedido 4471 não chegou."
    contact = admin.get(f"/api/v1/contacts/{ticket['requester_id']}").json()
    assert (contact["name"], contact["phone"]) == ("Marina Costa", "+5511987654321")
    [message] = _messages(admin, ticket["id"])
    assert message["author_kind"] == "contact"
    assert message["created_at"].startswith("2026-12-02T14:00:00")  # when she wrote
    state = admin.get(f"/api/v1/tickets/{ticket['id']}/messaging").json()
    assert state["kind"] == "whatsapp" and state["window_open"] is True
    assert state["window_closes_at"].startswith("2026-12-03T14:00:00")
    assert [t["name"] for t in state["templates"]] == ["retomar_atendimento"]


def test_a_reply_leaves_through_the_graph_api_and_statuses_move_it_forward(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph, at_first_message: None
) -> None:
    joao = admin.post("/api/v1/contacts", json={"name": "João Pereira",
                                                "phone": "+55 21 98765-4321"}).json()  # fmt: skip
    deliver(fixture("text"))
    worker.drain()
    ticket = _only_ticket(admin)
    r = admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Reenviamos a nota."})
    assert r.status_code == 201, r.text
    [queued] = _outgoing(admin, ticket["id"])
    assert (queued["state"], queued["state_label"]) == ("queued", "na fila")
    worker.drain()
    [sent] = graph.sent
    assert sent["to"] == "5511987654321"  # the wa_id exactly as Meta gave it
    assert sent["type"] == "text" and sent["text"]["body"] == "Reenviamos a nota."
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["state_label"], out["provider_id"]) == (
        "sent",
        "enviado",
        "wamid.OUT1",
    )

    # a batch of two entries: two messages and two statuses, every one processed
    assert deliver(fixture("batch")).status_code == 200
    assert len(admin.get("/api/v1/inbound").json()["items"]) == 5
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["state_label"]) == ("read", "lido")
    bodies = [m["body_text"] for m in _messages(admin, ticket["id"])]
    assert "Segunda mensagem da Marina" in bodies  # threads into her open ticket
    tickets = admin.get("/api/v1/tickets").json()["items"]
    [joaos] = [t for t in tickets if t["id"] != ticket["id"]]
    assert joaos["requester_id"] == joao["id"]  # 5521 8765-4321 is +55 21 98765-4321


def test_a_failed_status_shows_the_code_and_the_reason_in_portuguese(
    deliver: Any, worker: Any, admin: Any, make_user: Any, at_first_message: None
) -> None:
    deliver(fixture("text"))
    worker.drain()
    ticket = _only_ticket(admin)
    admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Pode confirmar?"})
    worker.drain()
    deliver(fixture("status_failed"))
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["state_label"], out["error_code"]) == ("failed", "falhou", "131047")
    assert out["reason"].startswith("mais de 24 horas desde a última mensagem do cliente")
    # a late "delivered" never revives a failed message
    deliver(fixture("batch"))
    worker.drain()
    assert _outgoing(admin, ticket["id"])[0]["state"] == "failed"
    # each change of the state went out on the live stream, to staff only (the page refreshes)
    events = [m.data for m in read_stream(admin) if m.event == "message_delivery"]
    assert [(e["delivery"]["state"], e["public"]) for e in events] == [
        ("sent", False), ("failed", False)]  # fmt: skip
    assert all(e["ticket_id"] == ticket["id"] for e in events)
    customer = make_user("contact", contact_id=ticket["requester_id"])
    assert [m for m in read_stream(customer) if m.event == "message_delivery"] == []


def test_outside_the_window_free_text_is_refused_and_only_a_template_leaves(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph
) -> None:
    with time_machine.travel(WROTE_AT + timedelta(minutes=5), tick=True):
        deliver(fixture("text"))
        worker.drain()
    ticket = _only_ticket(admin)
    url = f"/api/v1/tickets/{ticket['id']}"
    with time_machine.travel(WROTE_AT + timedelta(hours=25), tick=True):
        state = admin.get(f"{url}/messaging").json()
        assert state["window_open"] is False
        r = admin.post(f"{url}/messages", json={"body": "Ainda precisa de ajuda?"})
        assert r.status_code == 422
        assert "24 hours" in r.json()["detail"]
        pt = admin.post(
            f"{url}/messages", json={"body": "Oi"}, headers={"Accept-Language": "pt-BR"}
        )
        assert "24 horas" in pt.json()["detail"]
        assert len(_messages(admin, ticket["id"])) == 1  # nothing written
        assert _outgoing(admin, ticket["id"]) == []  # nothing "sent"
        wrong = admin.post(
            f"{url}/whatsapp-template",
            json={"template": "retomar_atendimento", "parameters": ["Marina"]},
        )
        assert wrong.status_code == 422 and "2 parameters" in wrong.json()["detail"]
        unknown = admin.post(f"{url}/whatsapp-template", json={"template": "nao_existe"})
        assert unknown.status_code == 422
        r = admin.post(
            f"{url}/whatsapp-template",
            json={"template": "retomar_atendimento", "parameters": ["Marina", f"#{ticket['id']}"]},
        )
        assert r.status_code == 201, r.text
        assert (r.json()["template"], r.json()["state"]) == ("retomar_atendimento", "queued")
        worker.drain()
    [sent] = graph.sent
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "retomar_atendimento"
    assert sent["template"]["language"] == {"code": "pt_BR"}
    assert [p["text"] for p in sent["template"]["components"][0]["parameters"]] == [
        "Marina", f"#{ticket['id']}"]  # fmt: skip
    last = _messages(admin, ticket["id"])[-1]
    assert last["body_text"] == (
        f"Olá, Marina! Temos novidades sobre o chamado #{ticket['id']}. Responda para continuar."
    )
    assert _outgoing(admin, ticket["id"])[0]["state"] == "sent"


def test_an_image_is_downloaded_in_two_steps_and_attached(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph, at_first_message: None
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    graph.media["1234567890"] = (png, "image/png")
    deliver(fixture("image"))
    worker.drain()
    ticket = _only_ticket(admin)
    [message] = _messages(admin, ticket["id"])
    assert message["body_text"] == "[imagem] Print do erro"
    [attachment] = admin.get(f"/api/v1/tickets/{ticket['id']}/attachments").json()["items"]
    assert attachment["message_id"] == message["id"]
    assert attachment["content_type"] == "image/png"
    content = admin.get(f"/api/v1/attachments/{attachment['id']}/content")
    assert content.content == png
    paths = [r.path for r in graph.server.requests]
    assert paths == [f"/{fakes.VERSION}/1234567890", "/lookaside/1234567890"]
    assert all(r.headers["Authorization"] == f"Bearer {fakes.ACCESS_TOKEN}"
               for r in graph.server.requests)  # fmt: skip


def test_a_button_reply_threads_in_and_a_closed_ticket_gets_a_follow_up(
    deliver: Any, worker: Any, admin: Any, at_first_message: None
) -> None:
    deliver(fixture("text"))
    deliver(fixture("interactive"))
    worker.drain()
    ticket = _only_ticket(admin)
    assert [m["body_text"] for m in _messages(admin, ticket["id"])][-1] == "Sim, resolvido"
    r = admin.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "closed"})
    assert r.status_code == 200, r.text
    deliver(fixture("batch"))
    worker.drain()
    tickets = admin.get("/api/v1/tickets").json()["items"]
    follow = [t for t in tickets if t.get("follow_up_of_id") == ticket["id"]]
    assert len(follow) == 1 and follow[0]["channel"] == "whatsapp"


def test_an_item_that_cannot_be_read_is_dead_and_never_blocks_the_next(
    deliver: Any, worker: Any, admin: Any, at_first_message: None
) -> None:
    assert deliver(b"{not json").status_code == 200  # signed: kept whole
    other = json.loads(fixture("text"))
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    deliver(json.dumps(other).encode())
    deliver(fixture("interactive"))
    worker.drain()
    dead = admin.get("/api/v1/inbound", params={"state": "dead"}).json()["items"]
    reasons = sorted(d["reason"] for d in dead)
    assert len(reasons) == 2
    assert "not JSON" in reasons[0] and "phone_number_id 999" in reasons[1]
    assert _only_ticket(admin)["channel"] == "whatsapp"  # the good one went through
    r = admin.post(f"/api/v1/inbound/{dead[0]['id']}/retry")
    assert (r.status_code, r.json()["state"]) == (200, "queued")


def test_channels_are_admin_only_and_their_secrets_never_come_back(
    admin: Any, make_user: Any, whatsapp_channel: dict[str, Any]
) -> None:
    assert whatsapp_channel["kind"] == "whatsapp"
    assert whatsapp_channel["webhook_url"].startswith("https://atende.example/webhooks/whatsapp/")
    assert set(whatsapp_channel["secrets_set"]) == {"access_token", "app_secret", "verify_token"}
    channel_id = whatsapp_channel["id"]
    for answer in (admin.get("/api/v1/channels"), admin.get(f"/api/v1/channels/{channel_id}")):
        for secret in (fakes.ACCESS_TOKEN, fakes.APP_SECRET, fakes.VERIFY_TOKEN):
            assert secret not in answer.text
    agent = make_user("agent")
    assert agent.get("/api/v1/channels").status_code == 403
    assert (
        agent.post(
            "/api/v1/channels", json={"kind": "telegram", "name": "x", "bot_token": fakes.BOT_TOKEN}
        ).status_code
        == 403
    )
    r = admin.patch(f"/api/v1/channels/{channel_id}", json={"access_token": "EAAG-new-token"})
    assert r.status_code == 200 and "EAAG-new-token" not in r.text
    wrong = admin.patch(f"/api/v1/channels/{channel_id}", json={"bot_token": fakes.BOT_TOKEN})
    assert wrong.status_code == 422
    dup = admin.post(
        "/api/v1/channels",
        json={
            "kind": "whatsapp",
            "name": "WhatsApp Suporte",
            "phone_number_id": "1",
            "access_token": "x",
            "app_secret": "12345678",
            "verify_token": "12345678",
        },
    )
    assert dup.status_code == 409
    bad = admin.post(
        "/api/v1/channels",
        json={
            "kind": "whatsapp",
            "name": "Outro",
            "phone_number_id": "1",
            "access_token": "x",
            "app_secret": "12345678",
            "verify_token": "12345678",
            "templates": [{"name": "x", "body": "Olá {{2}}"}],
        },
    )
    assert bad.status_code == 422
    audit = admin.get("/api/v1/audit", params={"entity_type": "messaging_channel"}).json()
    actions = [(e["action"], e["changes"].get("access_token")) for e in audit["items"]]
    assert actions == [("updated", {"before": None, "after": "alterado"}),
                       ("created", {"before": None, "after": "alterado"})]  # fmt: skip
    assert fakes.ACCESS_TOKEN not in json.dumps(audit)
    assert admin.delete(f"/api/v1/channels/{channel_id}").status_code == 204
    assert admin.get("/api/v1/channels").json() == []


def test_a_reply_with_a_file_uploads_it_and_sends_it_after_the_text(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph, at_first_message: None
) -> None:
    deliver(fixture("text"))
    worker.drain()
    ticket = _only_ticket(admin)
    pdf = b"%PDF-1.4\n% nota fiscal 4471\n"
    upload = admin.post(f"/api/v1/tickets/{ticket['id']}/attachments",
                        files={"file": ("nf-4471.pdf", pdf, "application/pdf")},
                        data={"public": "true"})  # fmt: skip
    assert upload.status_code == 201, upload.text
    r = admin.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"body": "Segue a nota.", "attachment_ids": [upload.json()["id"]]},
    )
    assert r.status_code == 201, r.text
    worker.drain()
    assert [m["type"] for m in graph.sent] == ["text", "document"]
    assert graph.sent[1]["document"] == {"id": "9001", "filename": "nf-4471.pdf"}
    [uploaded] = graph.uploads
    assert pdf in uploaded and b'name="messaging_product"' in uploaded
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["provider_id"]) == ("sent", "wamid.OUT1")


def test_an_expired_token_fails_the_reply_and_is_shown_on_the_channel(
    deliver: Any, worker: Any, admin: Any, graph: fakes.FakeGraph,
    whatsapp_channel: dict[str, Any], at_first_message: None,
) -> None:  # fmt: skip
    deliver(fixture("text"))
    worker.drain()
    ticket = _only_ticket(admin)
    graph.fail_with = {"code": 190, "message": "Error validating access token: Session has expired"}
    admin.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "Tudo certo?"})
    worker.drain()
    [out] = _outgoing(admin, ticket["id"])
    assert (out["state"], out["error_code"]) == ("failed", "190")
    assert out["reason"].startswith("o token de acesso do WhatsApp expirou")
    channel = admin.get(f"/api/v1/channels/{whatsapp_channel['id']}").json()
    assert channel["last_error"] == out["reason"]
    r = admin.patch(f"/api/v1/channels/{whatsapp_channel['id']}", json={"access_token": "novo"})
    assert r.json()["last_error"] == ""
