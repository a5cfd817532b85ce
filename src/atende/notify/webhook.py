"""Job kind ``notify.webhook``: POST a signed JSON event to a user-given URL.

Payload: ``{"url": str, "event": str, "data": {...}, "secret": str | None}``. The body is
``{"event", "data", "id": <job key>, "sent_at": <ISO 8601 UTC>}``; the headers carry
``Idempotency-Key`` (the job key, stable across retries), ``X-Atende-Event``,
``X-Atende-Timestamp`` (unix seconds) and ``X-Atende-Signature: v1=<hex HMAC-SHA256 of
"{timestamp}.{raw body}" keyed with the secret>``. Receivers check it with :func:`verify`.
Without a secret (``null`` or ``""``: a receiver such as a chat incoming-webhook whose URL is
the secret) the request goes unsigned: no ``X-Atende-Signature`` header.

The connection goes through :mod:`atende.notify.netguard` (no internal addresses unless allowed,
no redirects, no proxy). 2xx is done; 408, 425, 429, 5xx, network errors and timeouts are
retried; 3xx, other 4xx and a refused destination park the job dead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from atende.jobs.registry import JobContext, PermanentFailure, handler
from atende.notify import netguard
from atende.notify.errors import TransientFailure
from atende.notify.netguard import DestinationRefused
from atende.settings import Settings

KIND = "notify.webhook"
SIGNATURE_VERSION = "v1"
USER_AGENT = "Atende-Webhook/1"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
_MAX_RESPONSE_EXCERPT = 200

log = logging.getLogger(__name__)

__all__ = [
    "KIND",
    "DestinationRefused",
    "build_request",
    "check_destination",
    "deliver_webhook",
    "sign",
    "verify",
]


def check_destination(url: str, settings: Settings) -> None:
    """Raise :class:`DestinationRefused` (a ``ValueError``) if ``url`` cannot be a webhook.

    For saving a rule: ``http``/``https`` only, a host, no credentials, and no literal internal
    address or ``localhost`` unless allowed by ``webhook_allowed_hosts``. Names are checked
    again against their addresses each time the webhook is sent.
    """
    netguard.check_url(url, settings.webhook_allowed_hosts)


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Atende-Signature`` value: ``v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>``."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    signature: str,
    *,
    now: datetime | float,
    tolerance_seconds: int = 300,
) -> bool:
    """Whether ``signature`` (the header value) signs ``body`` at ``timestamp`` with ``secret``.

    False when the timestamp is not an integer or is more than ``tolerance_seconds`` away from
    ``now`` (an aware datetime or unix seconds), which stops replays of an old request. The
    header may hold several comma-separated ``v1=`` values (during a secret rotation); any one
    matching is enough. Comparison is constant-time.
    """
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        current = now.timestamp()
    else:
        current = float(now)
    if abs(current - ts) > tolerance_seconds:
        return False
    expected = sign(secret, ts, body)
    matched = False
    for candidate in signature.split(","):
        # no early exit: every candidate is compared
        matched |= hmac.compare_digest(candidate.strip().encode(), expected.encode())
    return matched


def build_request(
    *, key: str, event: str, data: dict[str, Any], secret: str | None, timestamp: int
) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers of one delivery (``key`` is the job's idempotency key)."""
    sent_at = datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
    body = json.dumps(
        {"event": event, "data": data, "id": key, "sent_at": sent_at},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # header values are ASCII: a key with other characters is percent-encoded there
        "Idempotency-Key": key if key.isascii() and key.isprintable() else quote(key, safe=""),
        "X-Atende-Event": event,
        "X-Atende-Timestamp": str(timestamp),
    }
    if secret:
        headers["X-Atende-Signature"] = sign(secret, timestamp, body)
    return body, headers


@handler(KIND)
def deliver_webhook(ctx: JobContext, payload: dict[str, Any]) -> None:
    url, event, data, secret = _parse_payload(payload)
    shown = shown_destination(url)
    settings = ctx.settings
    try:
        target = netguard.check_url(url, settings.webhook_allowed_hosts)
    except DestinationRefused as exc:
        raise PermanentFailure(f"webhook {shown} refused: {exc}") from None
    try:
        body, headers = build_request(
            key=ctx.key, event=event, data=data, secret=secret, timestamp=int(time.time())
        )
    except (TypeError, ValueError) as exc:
        raise PermanentFailure(f"webhook payload 'data' is not JSON: {exc}") from None

    with netguard.guarded_client(
        settings.webhook_allowed_hosts, timeout=settings.webhook_timeout_seconds
    ) as client:
        try:
            with client.stream("POST", target, content=body, headers=headers) as response:
                status = response.status_code
                excerpt = _excerpt(response)
                retry_after = _retry_after(response.headers.get("Retry-After"))
                location = response.headers.get("Location")
        except DestinationRefused as exc:
            raise PermanentFailure(f"webhook {shown} refused: {exc}") from None
        except httpx.TimeoutException:
            raise TransientFailure(
                f"webhook {shown}: no answer within {settings.webhook_timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise TransientFailure(f"webhook {shown}: {type(exc).__name__}: {exc}") from None

    if 200 <= status < 300:
        log.info("webhook %s delivered to %s (%d)", ctx.key, shown, status)
        return
    said = f" ({excerpt})" if excerpt else ""
    if 300 <= status < 400:
        where = f" to {shown_destination(location)}" if location else ""
        raise PermanentFailure(
            f"webhook {shown} answered {status}: a redirect{where}, which is not followed"
        )
    if status in RETRYABLE_STATUSES or status >= 500:
        raise TransientFailure(f"webhook {shown} answered {status}{said}", retry_after=retry_after)
    raise PermanentFailure(f"webhook {shown} answered {status}{said}")


def _parse_payload(payload: dict[str, Any]) -> tuple[str, str, dict[str, Any], str | None]:
    def field(name: str, kind: type, label: str) -> Any:
        if name not in payload or payload[name] is None:
            raise PermanentFailure(f"webhook payload: missing field {name!r}")
        value = payload[name]
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise PermanentFailure(f"webhook payload: {name!r} must be {label}")
        return value

    url = field("url", str, "a non-empty string")
    event = field("event", str, "a non-empty string")
    if not (event.isascii() and event.isprintable()):
        raise PermanentFailure("webhook payload: 'event' must be printable ASCII")
    data = field("data", dict, "an object")
    secret = payload.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise PermanentFailure("webhook payload: 'secret' must be a string or null")
    return url, event, data, secret or None


def _excerpt(response: httpx.Response) -> str:
    """The start of the response body, for the error message (never read whole)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _MAX_RESPONSE_EXCERPT:
                break
    except httpx.HTTPError:
        pass
    text = b"".join(chunks)[:_MAX_RESPONSE_EXCERPT].decode("utf-8", "replace")
    return " ".join(text.split())


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def shown_destination(url: str) -> str:
    """The destination as it may be shown in errors, logs and timelines: scheme and host only
    (the path or query of an incoming-webhook URL is often its secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(malformed URL)"
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"  # never the credentials
