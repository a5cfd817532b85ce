"""Job kind ``notify.email``: send one e-mail through the configured SMTP server.

Payload: ``{"to": [str, ...], "subject": str, "text": str, "html": str | None,
"reply_to": str | None}``. The ``Message-ID`` is made from the job's idempotency key, so a
message sent again after a crash is the same message to the receiver; the key also travels in
``X-Atende-Idempotency-Key``.

Failures: no SMTP host configured, a bad payload, or a 5xx answer (recipient, sender or content
refused, authentication refused) park the job dead; a connection failure, a timeout or a 4xx
answer is retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from typing import Any, NoReturn
from urllib.parse import urlsplit

from atende.jobs.registry import JobContext, PermanentFailure, handler
from atende.notify.errors import TransientFailure
from atende.settings import Settings

KIND = "notify.email"
SMTP_TIMEOUT_SECONDS = 30.0
IMPLICIT_TLS_PORT = 465
_MAX_ID_LOCAL_PART = 100
_ID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

log = logging.getLogger(__name__)


def message_id(key: str, settings: Settings) -> str:
    """The ``Message-ID`` of the job with idempotency ``key``: ``<encoded key@host>``.

    The same key always gives the same id. Characters other than letters, digits, ``-`` and
    ``_`` are written as ``=XX`` (UTF-8 bytes in hex), so two keys never share an id; a very
    long key is replaced by its SHA-256. The right-hand side is the host of ``base_url`` so
    that two installations using the same keys do not collide at a shared receiver.
    """
    encoded = "".join(
        ch if ch in _ID_SAFE else "".join(f"={b:02X}" for b in ch.encode()) for ch in key
    )
    if not encoded or len(encoded) > _MAX_ID_LOCAL_PART:
        encoded = "h-" + hashlib.sha256(key.encode()).hexdigest()
    host = (urlsplit(settings.base_url).hostname or "").strip(".").lower()
    if not host or not all(part and part.replace("-", "").isalnum() for part in host.split(".")):
        host = "atende"
    return f"<{encoded}@{host}>"


def build_message(key: str, payload: dict[str, Any], settings: Settings) -> EmailMessage:
    """The message for ``payload`` (validated; :class:`PermanentFailure` names a bad field)."""
    to = _recipients(payload)
    subject = _text_field(payload, "subject", required=True, allow_empty=True)
    text = _text_field(payload, "text", required=True, allow_empty=True)
    html = _text_field(payload, "html", required=False, allow_empty=True)
    reply_to = _text_field(payload, "reply_to", required=False)
    if reply_to is not None:
        _address(reply_to, "reply_to")

    msg = EmailMessage()
    try:
        msg["From"] = settings.mail_from
        msg["To"] = ", ".join(to)
        msg["Subject"] = subject
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = message_id(key, settings)
        msg["X-Atende-Idempotency-Key"] = key
        # RFC 3834: keeps auto-responders (and other helpdesks) from answering a notification.
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text or "")
        if html:
            msg.add_alternative(html, subtype="html")
    except ValueError as exc:  # e.g. a line break inside a header
        raise PermanentFailure(f"e-mail payload cannot be sent: {exc}") from None
    return msg


@handler(KIND)
def send_email(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings = ctx.settings
    if not settings.smtp_host:
        raise PermanentFailure("e-mail is not configured: set ATENDE_SMTP_HOST")
    msg = build_message(ctx.key, payload, settings)
    sender = parseaddr(settings.mail_from)[1]
    if "@" not in sender:
        raise PermanentFailure(f"ATENDE_MAIL_FROM has no valid address: {settings.mail_from!r}")
    recipients = [parseaddr(r)[1] for r in _recipients(payload)]
    refused = _deliver(settings, msg, sender, recipients)
    if refused:
        _raise_for_partial(refused, recipients)
    log.info("e-mail %s sent to %d recipient(s)", msg["Message-ID"], len(recipients))


def send_now(settings: Settings, msg: EmailMessage, sender: str, recipients: list[str]) -> None:
    """Send ``msg`` at once (callers are outbox jobs): :class:`PermanentFailure` when refused for
    good, :class:`TransientFailure` when it may work later."""
    refused = _deliver(settings, msg, sender, recipients)
    if refused:
        _raise_for_partial(refused, recipients)


def _deliver(
    settings: Settings, msg: EmailMessage, sender: str, recipients: list[str]
) -> dict[str, tuple[int, bytes]]:
    host = settings.smtp_host
    assert host is not None
    port = settings.smtp_port
    where = f"SMTP server {host}:{port}"
    try:
        smtp: smtplib.SMTP
        if port == IMPLICIT_TLS_PORT:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            smtp.ehlo()
            if settings.smtp_starttls and port != IMPLICIT_TLS_PORT:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            return smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
        finally:
            # Once the message is accepted, a failing QUIT must not turn it into a retry.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()
    except smtplib.SMTPRecipientsRefused as exc:
        _raise_for_partial(exc.recipients, recipients)
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentFailure(f"{where} does not support what is needed: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        detail = _decode(exc.smtp_error)
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(
                f"{where} refused the message: {exc.smtp_code} {detail}"
            ) from None
        raise TransientFailure(f"{where} answered {exc.smtp_code} {detail}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientFailure(f"{where}: {type(exc).__name__}: {exc}") from None


def _raise_for_partial(refused: dict[str, tuple[int, bytes]], recipients: list[str]) -> NoReturn:
    """Some or all recipients refused: retry if any refusal is temporary, else fail for good."""
    delivered = [r for r in recipients if r not in refused]
    details = "; ".join(f"{addr}: {code} {_decode(text)}" for addr, (code, text) in refused.items())
    note = f" (accepted for {', '.join(delivered)})" if delivered else ""
    if any(not 500 <= code < 600 for code, _ in refused.values()):
        raise TransientFailure(f"recipients temporarily refused: {details}{note}")
    raise PermanentFailure(f"recipients refused: {details}{note}")


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _recipients(payload: dict[str, Any]) -> list[str]:
    if "to" not in payload or payload["to"] is None:
        raise PermanentFailure("e-mail payload: missing field 'to'")
    to = payload["to"]
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(r, str) for r in to):
        raise PermanentFailure("e-mail payload: 'to' must be a non-empty list of addresses")
    for recipient in to:
        _address(recipient, "to")
    return list(to)


def _address(value: str, field: str) -> None:
    if "\r" in value or "\n" in value:
        raise PermanentFailure(f"e-mail payload: line break in {field!r}")
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1] or " " in parsed[0][1]:
        raise PermanentFailure(f"e-mail payload: {field!r} is not one address: {value!r}")


def _text_field(
    payload: dict[str, Any], field: str, *, required: bool, allow_empty: bool = False
) -> str | None:
    value = payload.get(field)
    if value is None:
        if required:
            raise PermanentFailure(f"e-mail payload: missing field {field!r}")
        return None
    if not isinstance(value, str):
        raise PermanentFailure(f"e-mail payload: {field!r} must be a string")
    if not value.strip() and not allow_empty:
        if required:
            raise PermanentFailure(f"e-mail payload: field {field!r} is empty")
        return None
    return value
