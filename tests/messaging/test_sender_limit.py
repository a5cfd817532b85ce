"""The per-sender limit on WhatsApp and Telegram (loop protection, as for e-mail): past
``ATENDE_MESSAGING_SENDER_LIMIT_PER_HOUR`` messages an hour a sender's messages are kept but
open no ticket, add to none and get no answer (the bot's neither); admins see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.settings import Settings
from atende.worker import Worker
from tests.chat.helpers import V1, made
from tests.messaging import fakes
from tests.messaging.conftest import path_of, telegram_update
from tests.messaging.test_bot import desk, texts, tickets, timeline, wa_message, whatsapp_bot
from tests.web.conftest import PASSWORD, login


def test_a_whatsapp_sender_over_the_limit_is_kept_but_acted_on_by_nothing(
    admin: Any, client: Any, make_user: Any, settings: Settings,
    session_factory: sessionmaker[Session], graph: fakes.FakeGraph, at_first_message: None,
) -> None:  # fmt: skip
    worker = Worker(
        settings.model_copy(update={"messaging_sender_limit_per_hour": 3}), session_factory
    )
    desk(admin, make_user)
    deliver = whatsapp_bot(admin, client)
    for n in range(5):  # a loop: another bot answering ours
        deliver(wa_message(f"wamid.LOOP{n}", text=f"Mensagem automática {n}"))
    deliver(wa_message("wamid.OTHER", text="Oi", wa_id="5521987650000", name="João"))
    worker.drain()
    marina = [t for t in tickets(admin) if t["subject"].startswith("WhatsApp: Mensagem")]
    [ticket] = marina
    said = [text for who, text, _ in timeline(admin, ticket["id"]) if who == "contact"]
    assert said == [f"Mensagem automática {n}" for n in range(3)]
    assert len(tickets(admin)) == 2  # João, under the limit, has his ticket
    # the bot answered the three it took (its menu, then "Não entendi" twice), none after
    assert sum(t.startswith("Não entendi") for t in texts(graph)) == 2
    items = admin.get(f"{V1}/inbound", params={"state": "done"}).json()["items"]
    limited = [i for i in items if i["reason"].startswith("rate limited")]
    assert len(limited) == 2
    assert all(i["ticket_id"] is None for i in limited)
    assert "more than 3 messages from this sender in an hour" in limited[0]["reason"]
    boss = make_user("admin", password=PASSWORD)
    assert login(client, boss.user.email).status_code == 303
    page = client.get("/admin/channels").text
    assert "Remetentes acima do limite" in page
    assert page.count("5511987654321") == 2  # her two messages over the limit


def test_a_telegram_sender_over_the_limit_gets_no_ticket(
    admin: Any, client: Any, settings: Settings, session_factory: sessionmaker[Session],
    bot_api: fakes.FakeBotApi, telegram_channel: dict[str, Any],
) -> None:  # fmt: skip
    worker = Worker(
        settings.model_copy(update={"messaging_sender_limit_per_hour": 1}), session_factory
    )
    headers = {"Content-Type": "application/json",
               "X-Telegram-Bot-Api-Secret-Token": bot_api.webhooks[0]["secret_token"]}  # fmt: skip
    for n in range(3):
        raw = telegram_update(7000 + n, text=f"spam {n}")
        assert client.post(path_of(telegram_channel["webhook_url"]), content=raw,
                           headers=headers).status_code == 200  # fmt: skip
    worker.drain()
    [ticket] = tickets(admin)
    assert [t for _, t, _ in timeline(admin, ticket["id"])] == ["spam 0"]
    items = made(admin.get(f"{V1}/inbound", params={"kind": "telegram"}), 200)["items"]
    assert sorted(i["reason"][:12] for i in items) == [
        "", "rate limited", "rate limited"]  # fmt: skip
