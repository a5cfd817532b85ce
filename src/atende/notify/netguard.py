"""SSRF guard for outgoing HTTP: refuse internal destinations at the moment of connecting.

A webhook URL is typed by a user, so the server must not become a way to reach what only it can
reach (the loopback, the LAN, the cloud metadata service at 169.254.169.254). Checking the URL
when a rule is saved is not enough: a name can resolve to a public address then and to
127.0.0.1 when the job runs (DNS rebinding). So :class:`GuardedTransport` resolves the name once
at connect time, checks every address it got, and connects to a checked address, never
resolving again. The request keeps the original ``Host`` header and the TLS server name
(SNI and certificate check) of the URL, because only the TCP connection is redirected to the
literal address.

Refused unless the URL's host (name or literal address) is in ``webhook_allowed_hosts``:
loopback, link-local (169.254.0.0/16, fe80::/10), private (RFC 1918, fc00::/7, 100.64.0.0/10
shared space), unspecified, multicast, reserved and any other non-global address, and the same
addresses written inside IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4,
Teredo). A name is refused if any one of its addresses is. Only ``http`` and ``https``; the
transport never uses a proxy (a proxy would do the connecting, out of the guard's sight).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""``resolver(host, port) -> [address, ...]``: the addresses to try, in order."""

MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(ValueError):
    """The URL may not be called: bad scheme or syntax, or an address the guard refuses."""


def getaddrinfo_resolver(host: str, port: int) -> list[str]:
    """The system resolver (``socket.getaddrinfo``): TCP addresses, duplicates removed."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canonname, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def refusal_reason(address: IPAddress) -> str | None:
    """Why a connection to ``address`` is refused (``None`` for a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refusal_reason(embedded)
            return None if reason is None else f"{reason} (inside an IPv6 address)"
    checks = (
        (address.is_loopback, "loopback address"),
        (address.is_unspecified, "unspecified address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (address.is_reserved, "reserved address"),
        (address.is_private, "private address"),
        (not address.is_global, "non-public address"),
    )
    for refused, reason in checks:
        if refused:
            return reason
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def normalise_host(host: str) -> str:
    """A host as compared with the allow-list: lower case, no brackets, no trailing dot,
    IDNA (punycode) for names, the canonical text of a literal address."""
    host = host.strip().strip("[]").rstrip(".").lower()
    address = _parse_address(host.split("%", 1)[0])
    if address is not None:
        return str(address)
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def allowed_set(allowed_hosts: Iterable[str]) -> frozenset[str]:
    return frozenset(normalise_host(h) for h in allowed_hosts if h.strip())


def check_url(url: str, allowed_hosts: Iterable[str] = ()) -> httpx.URL:
    """Syntactic check of an outgoing URL; raises :class:`DestinationRefused` with the reason.

    ``http``/``https`` only, a host, no credentials in the URL, at most 2048 characters. A host
    written as a literal address, or ``localhost``/``*.localhost``, is checked here as well; a
    name is only checked when connecting (see :class:`GuardedTransport`).
    """
    if not isinstance(url, str) or not url.strip():
        raise DestinationRefused("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise DestinationRefused(f"the URL is not valid ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise DestinationRefused("only http:// and https:// URLs are allowed")
    if not parsed.host:
        raise DestinationRefused("the URL has no host")
    if parsed.userinfo:
        raise DestinationRefused(
            "credentials in the URL are not allowed (the signature header authenticates)"
        )
    host = normalise_host(parsed.host)
    if host in allowed_set(allowed_hosts):
        return parsed
    address = _parse_address(host)
    if address is not None:
        reason = refusal_reason(address)
        if reason is not None:
            raise DestinationRefused(f"{host} is a {reason}")
    elif host == "localhost" or host.endswith(".localhost"):
        raise DestinationRefused(f"{host} is a loopback name")
    return parsed


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that connects only to addresses the guard accepts."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        resolver: Resolver | None = None,
    ) -> None:
        self._allowed = allowed_set(allowed_hosts)
        self._resolver = resolver or getaddrinfo_resolver
        self._inner = httpcore.SyncBackend()

    def resolve_checked(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` (resolved once), or :class:`DestinationRefused`."""
        name = normalise_host(host)
        literal = _parse_address(name)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = list(self._resolver(name, port))
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {name}: {exc}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"cannot resolve {name}: no address")
        if name in self._allowed:
            return addresses
        for text in addresses:
            address = _parse_address(text.split("%", 1)[0])
            if address is None:
                raise DestinationRefused(f"{name} resolved to {text!r}, not an IP address")
            reason = refusal_reason(address)
            if reason is not None:
                shown = name if literal is not None else f"{name} resolves to {address}, which"
                raise DestinationRefused(f"{shown} is a {reason}")
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.resolve_checked(host, port):
            try:
                # A literal address: create_connection does no DNS look-up for it.
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise DestinationRefused("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # the most specific first
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except DestinationRefused:
        raise
    except Exception as exc:
        for source, target in _EXCEPTIONS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport (HTTP/1.1, TLS verified, no proxy) over :class:`GuardedBackend`.

    A refused destination raises :class:`DestinationRefused` out of ``client.send``; network
    failures raise the usual ``httpx.TransportError`` subclasses.
    """

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        resolver: Resolver | None = None,
        verify: bool | str = True,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=GuardedBackend(allowed_hosts, resolver=resolver),
            max_connections=10,
            max_keepalive_connections=5,
            http1=True,
            http2=False,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise DestinationRefused("only http:// and https:// URLs are allowed")
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def guarded_client(
    allowed_hosts: Iterable[str],
    *,
    timeout: float,
    resolver: Resolver | None = None,
    verify: bool | str = True,
) -> httpx.Client:
    """An ``httpx.Client`` for user-given URLs: guarded transport, no redirects, no proxy."""
    return httpx.Client(
        transport=GuardedTransport(allowed_hosts, resolver=resolver, verify=verify),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout),
    )
