"""The connect-time guard on its own: the address checked is the address connected to."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from atende.notify.netguard import (
    DestinationRefused,
    GuardedBackend,
    check_url,
    guarded_client,
    refusal_reason,
)
from tests.notify.support import HttpServer

pytestmark = pytest.mark.nodb


class FakeDns:
    """A resolver with fixed answers that counts the look-ups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers[host]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.1.1", "non-public"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:10.1.1.1", "private"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_internal_addresses_are_refused(address: str, reason: str) -> None:
    found = refusal_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(http_server: HttpServer) -> None:
    # Saving the rule accepts the name (no DNS then); sending checks what it resolves to now.
    url = http_server.url(host="hooks.example.test")
    check_url(url)
    dns = FakeDns({"hooks.example.test": ["127.0.0.1"]})
    with (
        guarded_client([], timeout=5, resolver=dns) as client,
        pytest.raises(DestinationRefused, match=r"resolves to 127\.0\.0\.1.*loopback"),
    ):
        client.post(url, content=b"{}")
    assert http_server.requests == []


def test_a_name_with_any_internal_address_is_refused(http_server: HttpServer) -> None:
    dns = FakeDns({"mixed.example.test": ["93.184.216.34", "10.0.0.5"]})
    with (
        guarded_client([], timeout=5, resolver=dns) as client,
        pytest.raises(DestinationRefused, match="private"),
    ):
        client.post(http_server.url(host="mixed.example.test"), content=b"{}")


def test_an_allowed_name_connects_to_the_resolved_address_keeping_the_host_header(
    http_server: HttpServer,
) -> None:
    dns = FakeDns({"hooks.example.test": ["127.0.0.1"]})
    url = http_server.url(host="hooks.example.test")
    with guarded_client(["hooks.example.test"], timeout=5, resolver=dns) as client:
        response = client.post(url, content=b"{}")
    assert response.status_code == 200
    [request] = http_server.requests
    assert request.headers["Host"] == f"hooks.example.test:{http_server.port}"
    assert dns.lookups == ["hooks.example.test"]  # resolved once, for the connection


def test_each_connection_checks_its_own_answer() -> None:
    # A rebinding name: a public answer first, loopback the next time. Nothing is cached, so
    # the second connection is checked against the second answer and refused.
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    backend = GuardedBackend([], resolver=rebinding)
    assert backend.resolve_checked("rebind.example.test", 443) == ["93.184.216.34"]
    with pytest.raises(DestinationRefused, match="loopback"):
        backend.resolve_checked("rebind.example.test", 443)
    assert lookups == ["rebind.example.test", "rebind.example.test"]
    # a literal address is never looked up
    assert GuardedBackend([], resolver=rebinding).resolve_checked("8.8.8.8", 80) == ["8.8.8.8"]
    assert len(lookups) == 2


def test_the_transport_refuses_literal_internal_addresses_itself(http_server: HttpServer) -> None:
    # Even without check_url before it, the transport does not connect.
    with guarded_client([], timeout=5) as client:
        for host in ("127.0.0.1", "::1", "localhost"):
            with pytest.raises(DestinationRefused):
                client.get(http_server.url(host=host))
    assert http_server.requests == []


def test_redirects_are_not_followed(http_server: HttpServer, other_server: HttpServer) -> None:
    http_server.reply = lambda _r: (307, {"Location": other_server.url("/next")}, b"")
    with guarded_client(["127.0.0.1"], timeout=5) as client:
        response = client.post(http_server.url(), content=b"{}")
    assert response.status_code == 307
    assert other_server.requests == []


def test_unresolvable_names_are_a_network_error_to_retry() -> None:
    def nxdomain(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with (
        guarded_client([], timeout=5, resolver=nxdomain) as client,
        pytest.raises(httpx.ConnectError, match="cannot resolve"),
    ):
        client.get("http://nowhere.example.test/")


def test_only_http_and_https() -> None:
    with pytest.raises(DestinationRefused, match="http"):
        check_url("gopher://example.test/")
