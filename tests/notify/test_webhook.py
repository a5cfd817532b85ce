from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from atende.jobs.registry import PermanentFailure
from atende.notify.errors import TransientFailure
from atende.notify.webhook import (
    check_destination,
    deliver_webhook,
    shown_destination,
    sign,
    verify,
)
from atende.settings import Settings
from tests.notify.support import HttpServer, Received, free_port, make_ctx, make_settings

pytestmark = pytest.mark.nodb

SECRET = "whsec-test-7f3a"


def payload(url: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "url": url,
        "event": "ticket.created",
        "data": {"ticket_id": 42, "subject": "Impressora não liga"},
        "secret": SECRET,
    }
    values.update(overrides)
    return values


def allowed(*hosts: str, timeout: float = 5.0) -> Settings:
    return make_settings(webhook_allowed_hosts=list(hosts), webhook_timeout_seconds=timeout)


# ---- signing ------------------------------------------------------------------------------


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"event":"x"}'
    expected = hmac.new(SECRET.encode(), b'1700000000.{"event":"x"}', hashlib.sha256)
    assert sign(SECRET, 1700000000, body) == "v1=" + expected.hexdigest()
    assert sign(SECRET, "1700000000", body.decode()) == sign(SECRET, 1700000000, body)


def test_verify_accepts_fresh_and_rejects_stale_wrong_secret_and_tampered() -> None:
    body = b'{"event":"ticket.created"}'
    ts = 1_700_000_000
    signature = sign(SECRET, ts, body)
    at = datetime.fromtimestamp(ts, UTC)

    assert verify(SECRET, ts, body, signature, now=at + timedelta(seconds=299))
    assert verify(SECRET, str(ts), body, signature, now=float(ts - 10))
    assert not verify(SECRET, ts, body, signature, now=at + timedelta(seconds=301))
    assert not verify(SECRET, ts, body, signature, now=at - timedelta(seconds=301))
    assert not verify(SECRET, ts, body, signature, now=ts + 60, tolerance_seconds=30)
    assert not verify("another-secret", ts, body, signature, now=at)
    assert not verify(SECRET, ts, body + b" ", signature, now=at)
    assert not verify(SECRET, ts + 1, body, signature, now=at)
    assert not verify(SECRET, "soon", body, signature, now=at)
    # several signatures (secret rotation): one match is enough
    assert verify(SECRET, ts, body, f"{sign('old', ts, body)}, {signature}", now=at)


def test_verify_wants_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        verify(SECRET, 1, b"", "v1=00", now=datetime(2024, 1, 1))


# ---- delivery -----------------------------------------------------------------------------


def test_webhook_is_delivered_signed_with_the_job_key(http_server: HttpServer) -> None:
    settings = allowed("127.0.0.1")
    before = int(time.time())

    deliver_webhook(make_ctx(settings, key="rule:3:ticket:42"), payload(http_server.url()))
    deliver_webhook(make_ctx(settings, key="rule:3:ticket:42"), payload(http_server.url()))

    first, second = http_server.requests
    assert first.path == "/hook"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Idempotency-Key"] == "rule:3:ticket:42"
    assert second.headers["Idempotency-Key"] == "rule:3:ticket:42"
    assert first.headers["X-Atende-Event"] == "ticket.created"
    ts = int(first.headers["X-Atende-Timestamp"])
    assert before <= ts <= int(time.time())
    assert verify(SECRET, ts, first.body, first.headers["X-Atende-Signature"], now=time.time())
    assert not verify("wrong", ts, first.body, first.headers["X-Atende-Signature"], now=ts)
    assert not verify(SECRET, ts, first.body, first.headers["X-Atende-Signature"], now=ts + 3600)
    body = json.loads(first.body)
    assert body["event"] == "ticket.created"
    assert body["data"] == {"ticket_id": 42, "subject": "Impressora não liga"}
    assert body["id"] == "rule:3:ticket:42"
    sent_at = datetime.fromisoformat(body["sent_at"])
    assert sent_at.tzinfo is not None and int(sent_at.timestamp()) == ts


REFUSED_LITERALS = [
    "http://10.0.0.7/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
]


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://LocalHost.:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://2130706433:{port}/hook",  # 127.0.0.1 as one number: resolved at connect time
        "http://127.1:{port}/hook",
        *REFUSED_LITERALS,
    ],
)
def test_internal_destinations_are_refused_for_good(http_server: HttpServer, template: str) -> None:
    url = template.format(port=http_server.port)
    with pytest.raises(PermanentFailure) as caught:
        deliver_webhook(make_ctx(allowed()), payload(url))
    message = str(caught.value)
    assert shown_destination(url) in message and "refused" in message
    assert "/hook" not in message and "meta-data" not in message  # the path may be a secret
    assert http_server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_allowed_host_is_delivered_to(http_server: HttpServer, host: str) -> None:
    deliver_webhook(make_ctx(allowed(host)), payload(http_server.url(host=host)))
    [request] = http_server.requests
    assert request.headers["Host"] == f"{host}:{http_server.port}"


def test_an_allowed_ipv6_loopback_is_delivered_to() -> None:
    server = HttpServer(host="::1")
    try:
        server.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        url = server.url()
        with pytest.raises(PermanentFailure):
            deliver_webhook(make_ctx(allowed()), payload(url))
        deliver_webhook(make_ctx(allowed("[::1]")), payload(url))
        assert len(server.requests) == 1
    finally:
        server.stop()


def test_allowing_a_name_does_not_allow_its_address(http_server: HttpServer) -> None:
    url = http_server.url(host="127.0.0.1")
    with pytest.raises(PermanentFailure, match="loopback"):
        deliver_webhook(make_ctx(allowed("localhost")), payload(url))
    assert http_server.requests == []


def test_a_redirect_is_a_permanent_failure_and_is_not_followed(
    http_server: HttpServer, other_server: HttpServer
) -> None:
    target = other_server.url("/stolen")
    http_server.reply = lambda _r: (302, {"Location": target}, b"")
    with pytest.raises(PermanentFailure, match="302") as caught:
        deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(http_server.url()))
    assert shown_destination(http_server.url()) in str(caught.value)
    assert len(http_server.requests) == 1
    assert other_server.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 408, 425, 429])
def test_server_errors_and_throttling_are_retried(http_server: HttpServer, status: int) -> None:
    http_server.reply = lambda _r: (status, {"Retry-After": "7"}, b"busy")
    with pytest.raises(TransientFailure, match=str(status)) as caught:
        deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(http_server.url()))
    assert caught.value.retry_after == 7.0
    assert shown_destination(http_server.url()) in str(caught.value)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_permanent(http_server: HttpServer, status: int) -> None:
    http_server.reply = lambda _r: (status, {}, b'{"error": "unknown event"}')
    with pytest.raises(PermanentFailure, match=str(status)) as caught:
        deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(http_server.url()))
    assert shown_destination(http_server.url()) in str(caught.value)
    assert "unknown event" in str(caught.value)


def test_a_receiver_that_does_not_answer_in_time_is_retried(http_server: HttpServer) -> None:
    def slow(_request: Received) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, b"late"

    http_server.reply = slow
    with pytest.raises(TransientFailure, match=r"no answer within 0\.2 s"):
        deliver_webhook(make_ctx(allowed("127.0.0.1", timeout=0.2)), payload(http_server.url()))


def test_a_receiver_that_is_down_is_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(TransientFailure, match="ConnectError"):
        deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(url))


@pytest.mark.parametrize("missing", ["url", "event", "data"])
def test_a_missing_field_is_a_permanent_failure_naming_it(missing: str) -> None:
    values = payload("https://hooks.example.test/x")
    del values[missing]
    with pytest.raises(PermanentFailure, match=f"'{missing}'"):
        deliver_webhook(make_ctx(allowed()), values)


# ---- check_destination (saving a rule) -----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.test/x", "http"),
        ("file:///etc/passwd", "http"),
        ("javascript:alert(1)", "http"),
        ("https://", "host"),
        ("https://user:pass@hooks.example.test/x", "credentials"),
        ("http://10.1.2.3/x", "private"),
        ("http://192.168.0.1/x", "private"),
        ("http://172.16.5.4/x", "private"),
        ("http://169.254.169.254/", "link-local"),
        ("http://[fd00::1]/x", "private"),
        ("http://[fe80::1]/x", "link-local"),
        ("http://224.0.0.1/x", "multicast"),
        ("http://100.64.0.1/x", "non-public"),
        ("http://[::ffff:10.0.0.1]/x", "private"),
        ("http://localhost:8080/x", "loopback"),
        ("http://api.localhost/x", "loopback"),
        ("", "empty"),
        ("https://hooks.example.test/" + "a" * 2100, "longer"),
    ],
)
def test_check_destination_refuses_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_destination(url, make_settings())


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.test/atende", "http://8.8.8.8:8080/x", "https://[2606:4700::1111]/"],
)
def test_check_destination_accepts_public_urls(url: str) -> None:
    check_destination(url, make_settings())


def test_check_destination_accepts_allowed_internal_hosts() -> None:
    settings = make_settings(webhook_allowed_hosts=["10.1.2.3", "HOOKS.local", "::1"])
    check_destination("http://10.1.2.3/x", settings)
    check_destination("http://hooks.local:9000/x", settings)
    check_destination("http://[::1]/x", settings)


def test_a_non_ascii_key_is_percent_encoded_in_the_header(http_server: HttpServer) -> None:
    deliver_webhook(make_ctx(allowed("127.0.0.1"), key="regra:ação:42"), payload(http_server.url()))
    [request] = http_server.requests
    assert request.headers["Idempotency-Key"] == "regra%3Aa%C3%A7%C3%A3o%3A42"
    assert json.loads(request.body)["id"] == "regra:ação:42"


@pytest.mark.parametrize("event", ["ticket.created\r\nX-Evil: 1", "ticket.criação", ""])
def test_an_event_name_that_cannot_be_a_header_is_refused(
    http_server: HttpServer, event: str
) -> None:
    with pytest.raises(PermanentFailure, match="'event'"):
        deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(http_server.url(), event=event))
    assert http_server.requests == []


@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_secret_the_webhook_goes_unsigned(
    http_server: HttpServer, secret: str | None
) -> None:
    deliver_webhook(make_ctx(allowed("127.0.0.1")), payload(http_server.url(), secret=secret))
    [request] = http_server.requests
    assert request.headers["X-Atende-Signature"] is None
    assert request.headers["Idempotency-Key"] == "job-key-1"
    assert request.headers["X-Atende-Timestamp"] is not None


def test_a_secret_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(PermanentFailure, match="'secret'"):
        deliver_webhook(make_ctx(allowed()), payload("https://hooks.example.test/", secret=42))
