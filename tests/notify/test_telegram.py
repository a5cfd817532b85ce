from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from atende.jobs.registry import PermanentFailure
from atende.notify.errors import TransientFailure
from atende.notify.telegram import MAX_TEXT_UTF16_UNITS, fit_text, send_telegram
from atende.settings import Settings
from tests.notify.support import (
    HttpServer,
    Received,
    Reply,
    free_port,
    make_ctx,
    make_settings,
)

pytestmark = pytest.mark.nodb

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def bot_settings(server: HttpServer) -> Settings:
    return make_settings(
        telegram_api_base=f"http://127.0.0.1:{server.port}/", telegram_bot_token=TOKEN
    )


def telegram_answers(status: int, answer: dict[str, object]) -> Callable[[Received], Reply]:
    def reply(_request: Received) -> Reply:
        return status, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    return reply


def test_message_reaches_the_bot_api(http_server: HttpServer) -> None:
    http_server.reply = telegram_answers(200, {"ok": True, "result": {"message_id": 7}})

    send_telegram(
        make_ctx(bot_settings(http_server)), {"chat_id": -1001234, "text": "SLA vencendo: #42"}
    )

    [request] = http_server.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "chat_id": -1001234,
        "text": "SLA vencendo: #42",
        "disable_web_page_preview": True,
    }


def test_a_string_chat_id_is_sent_as_given(http_server: HttpServer) -> None:
    http_server.reply = telegram_answers(200, {"ok": True, "result": {}})
    send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": "@suporte", "text": "oi"})
    assert json.loads(http_server.requests[0].body)["chat_id"] == "@suporte"


def test_flood_control_is_retried_after_what_telegram_asks(http_server: HttpServer) -> None:
    http_server.reply = telegram_answers(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 34",
            "parameters": {"retry_after": 34},
        },
    )
    with pytest.raises(TransientFailure, match="retry after 34") as caught:
        send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": 1, "text": "oi"})
    assert caught.value.retry_after == 34.0
    assert TOKEN not in str(caught.value)


def test_a_bad_request_is_permanent_with_telegrams_description(http_server: HttpServer) -> None:
    http_server.reply = telegram_answers(
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    )
    with pytest.raises(PermanentFailure, match="chat not found") as caught:
        send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": 99, "text": "oi"})
    assert "chat 99" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_migrated_group_says_where_it_went(http_server: HttpServer) -> None:
    http_server.reply = telegram_answers(
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1009876},
        },
    )
    with pytest.raises(PermanentFailure, match="-1009876"):
        send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": -5, "text": "oi"})


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_retried(http_server: HttpServer, status: int) -> None:
    http_server.reply = telegram_answers(
        status, {"ok": False, "error_code": status, "description": "Internal Server Error"}
    )
    with pytest.raises(TransientFailure, match=str(status)):
        send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": 1, "text": "oi"})


def test_an_unreachable_api_is_retried_without_leaking_the_token() -> None:
    settings = make_settings(
        telegram_api_base=f"http://127.0.0.1:{free_port()}", telegram_bot_token=TOKEN
    )
    with pytest.raises(TransientFailure) as caught:
        send_telegram(make_ctx(settings), {"chat_id": 1, "text": "oi"})
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_no_token_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentFailure, match="ATENDE_TELEGRAM_BOT_TOKEN"):
        send_telegram(make_ctx(make_settings()), {"chat_id": 1, "text": "oi"})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "oi"}, "chat_id"),
        ({"chat_id": 1}, "text"),
        ({"chat_id": True, "text": "oi"}, "chat_id"),
        ({"chat_id": 1, "text": "  "}, "text"),
    ],
)
def test_bad_payloads_are_permanent_failures(
    http_server: HttpServer, payload: dict[str, object], field: str
) -> None:
    with pytest.raises(PermanentFailure, match=field):
        send_telegram(make_ctx(bot_settings(http_server)), payload)
    assert http_server.requests == []


def test_the_token_is_redacted_in_the_http_log(
    http_server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.reply = telegram_answers(200, {"ok": True, "result": {}})
    with caplog.at_level(logging.DEBUG):
        send_telegram(make_ctx(bot_settings(http_server)), {"chat_id": 1, "text": "oi"})
    lines = [record.getMessage() for record in caplog.records]
    assert any("/bot<token>/sendMessage" in line for line in lines)
    assert not any(TOKEN in line for line in lines)


def test_long_text_is_cut_to_telegrams_limit() -> None:
    assert fit_text("curto") == "curto"
    exact = "a" * MAX_TEXT_UTF16_UNITS
    assert fit_text(exact) == exact
    cut = fit_text("😀" * 3000)  # 6000 UTF-16 units
    assert cut.endswith("…")
    assert len(cut.encode("utf-16-le")) <= MAX_TEXT_UTF16_UNITS * 2
    assert cut[:-1] == "😀" * (len(cut) - 1)  # no half emoji
