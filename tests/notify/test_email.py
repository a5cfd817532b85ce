from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest

from atende.jobs.registry import PermanentFailure
from atende.notify.email import message_id, send_email
from atende.notify.errors import TransientFailure
from tests.notify.support import SmtpCollector, free_port, make_ctx, make_settings

pytestmark = pytest.mark.nodb

PAYLOAD = {
    "to": ["ana@example.test", "Bruno Lima <bruno@example.test>"],
    "subject": "Chamado #42: nova resposta",
    "text": "Olá, há uma nova resposta no seu chamado.",
    "html": "<p>Olá, há uma <b>nova resposta</b> no seu chamado.</p>",
    "reply_to": "suporte+42@example.test",
}


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_email_is_delivered_with_headers_and_both_bodies(
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)

    send_email(make_ctx(settings, key="ticket:42:reply:7"), dict(PAYLOAD))

    [(mail_from, rcpt_tos, raw)] = collector.messages
    assert mail_from == "atende@example.test"
    assert rcpt_tos == ["ana@example.test", "bruno@example.test"]
    msg = parse(raw)
    assert msg["Subject"] == "Chamado #42: nova resposta"
    assert msg["From"] == "Atende <atende@example.test>"
    assert msg["Reply-To"] == "suporte+42@example.test"
    assert "bruno@example.test" in msg["To"]
    assert msg["X-Atende-Idempotency-Key"] == "ticket:42:reply:7"
    assert msg["Message-ID"] == message_id("ticket:42:reply:7", settings)
    assert msg["Message-ID"].endswith("@help.example.test>")
    assert msg["Auto-Submitted"] == "auto-generated"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and "nova resposta no seu chamado" in plain.get_content()
    assert html is not None and "<b>nova resposta</b>" in html.get_content()


def test_same_job_key_sends_the_same_message_id_on_every_run(
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    payload = {"to": ["ana@example.test"], "subject": "SLA", "text": "Prazo vencendo"}

    send_email(make_ctx(settings, key="sla:warning:42"), payload)
    send_email(make_ctx(settings, key="sla:warning:42"), payload)  # re-delivery after a crash
    send_email(make_ctx(settings, key="sla:warning:43"), payload)

    ids = [parse(raw)["Message-ID"] for _, _, raw in collector.messages]
    assert ids[0] == ids[1]
    assert ids[2] != ids[0]
    keys = [parse(raw)["X-Atende-Idempotency-Key"] for _, _, raw in collector.messages]
    assert keys == ["sla:warning:42", "sla:warning:42", "sla:warning:43"]


@pytest.mark.parametrize(
    ("first", "second"),
    [("a:b", "a_b"), ("a:b", "a=3Ab"), ("ação", "acao"), ("x" * 300, "x" * 301)],
)
def test_message_id_is_a_valid_id_distinct_per_key(first: str, second: str) -> None:
    settings = make_settings()
    a, b = message_id(first, settings), message_id(second, settings)
    assert a != b
    for value in (a, b):
        assert value.startswith("<") and value.endswith("@help.example.test>")
        local = value[1:].split("@")[0]
        assert local and all(ch.isascii() and (ch.isalnum() or ch in "-_=") for ch in local)
        assert len(value) < 120


def test_smtp_not_configured_is_a_permanent_failure() -> None:
    settings = make_settings(smtp_host=None)
    with pytest.raises(PermanentFailure, match="set ATENDE_SMTP_HOST"):
        send_email(make_ctx(settings), dict(PAYLOAD))


@pytest.mark.parametrize("missing", ["to", "subject", "text"])
def test_a_missing_field_is_a_permanent_failure_naming_it(missing: str) -> None:
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=free_port())
    payload = {k: v for k, v in PAYLOAD.items() if k != missing}
    with pytest.raises(PermanentFailure, match=f"'{missing}'"):
        send_email(make_ctx(settings), payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"to": [], "subject": "s", "text": "t"},
        {"to": ["not-an-address"], "subject": "s", "text": "t"},
        {"to": ["a@example.test"], "subject": "s\r\nBcc: evil@example.test", "text": "t"},
        {"to": ["a@example.test"], "subject": "s", "text": "t", "reply_to": "x\nBcc: y@z"},
    ],
)
def test_malformed_payloads_are_permanent_failures(
    smtp_server: tuple[SmtpCollector, int], payload: dict[str, object]
) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    with pytest.raises(PermanentFailure):
        send_email(make_ctx(settings), payload)
    assert collector.messages == []


def test_recipient_refused_with_5xx_is_a_permanent_failure(
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    payload = {"to": ["reject@example.test"], "subject": "s", "text": "t"}
    with pytest.raises(PermanentFailure, match=r"reject@example\.test: 550"):
        send_email(make_ctx(settings), payload)
    assert collector.messages == []


def test_recipient_refused_with_4xx_is_retried(smtp_server: tuple[SmtpCollector, int]) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    payload = {"to": ["later@example.test"], "subject": "s", "text": "t"}
    with pytest.raises(TransientFailure, match="451"):
        send_email(make_ctx(settings), payload)
    assert collector.messages == []


def test_partly_refused_recipients_are_reported_with_who_got_it(
    smtp_server: tuple[SmtpCollector, int],
) -> None:
    collector, port = smtp_server
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    payload = {"to": ["ana@example.test", "reject@example.test"], "subject": "s", "text": "t"}
    with pytest.raises(PermanentFailure, match=r"accepted for ana@example\.test"):
        send_email(make_ctx(settings), payload)
    [(_, rcpt_tos, _)] = collector.messages
    assert rcpt_tos == ["ana@example.test"]


def test_unreachable_smtp_server_is_retried() -> None:
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=free_port())  # nobody listens
    with pytest.raises(TransientFailure, match=r"SMTP server 127\.0\.0\.1"):
        send_email(make_ctx(settings), {"to": ["a@example.test"], "subject": "s", "text": "t"})
