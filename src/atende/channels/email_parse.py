"""Reading a raw e-mail (stdlib ``email`` with ``policy.default``) into plain values.

Charsets: the declared one first, ``iso-8859-1``/``us-ascii`` read as ``cp1252`` (as browsers
do: Outlook mail labelled latin-1 often carries “ ” – €); a missing or broken declaration is
guessed with charset-normalizer. HTML is sanitised (nh3) and turned into text; the timeline
shows the text without quoted replies and signatures (``domain/mail.strip_quoted``); the full
original stays in the inbound item, downloadable by staff. Attachment names are metadata only.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import charset_normalizer

from atende.attachments.content import sanitize_filename
from atende.domain import mail
from atende.domain.text import html_to_text, sanitise_html

_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})
MAX_TEXT_CHARS = 200_000
USED_HEADERS = frozenset({
    "from", "to", "cc", "subject", "message-id", "in-reply-to", "references", "auto-submitted",
    "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-loop",
    "list-id", "list-unsubscribe", "return-path", "x-failed-recipients",
})  # fmt: skip


class Unparseable(ValueError):
    """The bytes are not an e-mail we can ingest (the reason is the message)."""


@dataclass(frozen=True)
class Part:
    filename: str
    content_type: str
    data: bytes
    inline: bool


@dataclass
class ParsedEmail:
    message_id: str  # the Message-ID header, or one made from the bytes' hash
    subject: str
    sender: str
    sender_name: str
    recipients: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str  # the whole text (HTML turned into text when there is no text part)
    new_text: str  # without quoted replies and signatures
    html: str | None  # sanitised
    automatic: mail.Automatic | None
    failed_recipients: list[str] = field(default_factory=list)
    attachments: list[Part] = field(default_factory=list)


def provider_id(raw: bytes) -> str:
    """The id that makes a redelivery a no-op: the Message-ID, else the bytes' SHA-256."""
    try:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        found = mail.message_ids(str(headers.get("message-id") or ""))
    except Exception:  # a header the parser chokes on: the hash still identifies the bytes
        found = []
    if found:
        return found[0][:500]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Text from bytes in the declared charset, falling back as the module says."""
    charset = (declared or "").strip().lower()
    if charset in _AS_CP1252:
        charset = "cp1252"
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1252", "replace")


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header: read it raw below
        value = None
    if value is None:
        raw = msg.get_all(name, failobj=None) if hasattr(msg, "get_all") else None
        return str(raw[0]) if raw else ""
    text = str(value)
    if any("\x80" <= c <= "\x9f" for c in text):  # latin-1 label on cp1252 text
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("latin-1").decode("cp1252")
    return text


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


def parse(
    raw: bytes,
    *,
    own_addresses: frozenset[str] = frozenset(),
    own_domain: str | None = None,
    max_attachment_bytes: int,
) -> ParsedEmail:
    """The e-mail in ``raw``; :class:`Unparseable` when it has no sender address."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    headers = {}
    for key in msg:  # only the headers read below are decoded (Received: and the like are many)
        low = key.lower()
        if low in USED_HEADERS and low not in headers:
            headers[low] = mail.single_line(_header(msg, key))
    sender_name, sender = parseaddr(headers.get("from", ""))
    sender = sender.strip().lower()
    if "@" not in sender or " " in sender or len(sender) > 254:
        raise Unparseable(f"no valid sender address in From: {headers.get('from', '')[:200]!r}")
    recipients = [
        a.lower()
        for _, a in getaddresses([headers.get("to", ""), headers.get("cc", "")])
        if "@" in a
    ]
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Part] = []
    failed: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if ctype == "message/delivery-status":
            failed.extend(_failed_recipients(part))
            continue
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            (text_parts if ctype == "text/plain" else html_parts).append(_part_text(part))
            continue
        if ctype.startswith("message/"):  # a forwarded or returned message: an .eml file
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data: object = first.as_bytes() if isinstance(first, Message) else b""
            filename = filename or "mensagem.eml"
        else:
            data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        name = sanitize_filename(filename or ("imagem" if ctype.startswith("image/") else None))
        if len(data) > max_attachment_bytes:
            text_parts.append(
                f"[anexo {name} omitido: maior que o limite de {max_attachment_bytes} bytes]"
            )
            continue
        attachments.append(Part(name, ctype, data, inline=disposition == "inline"))
    html = sanitise_html("\n".join(html_parts)) if html_parts else None
    text = "\n\n".join(t.strip() for t in text_parts if t.strip())
    if not text and html:
        text = html_to_text(html)
    text = text.replace("\x00", "")[:MAX_TEXT_CHARS]
    content_type = msg.get_content_type()
    automatic = mail.automatic(
        headers, content_type=content_type, sender=sender, own_addresses=own_addresses,
        own_domain=own_domain,
    )  # fmt: skip
    return ParsedEmail(
        message_id=provider_id(raw),
        subject=headers.get("subject", "")[:300],
        sender=sender,
        sender_name=mail.single_line(sender_name)[:200],
        recipients=recipients,
        in_reply_to=mail.message_ids(headers.get("in-reply-to")),
        references=mail.message_ids(headers.get("references")),
        text=text,
        new_text=mail.strip_quoted(text) if text else "",
        html=html,
        automatic=automatic,
        failed_recipients=failed,
        attachments=attachments,
    )


def _leaves(msg: Message) -> list[Message]:
    """The parts that are not containers; a ``message/*`` part is a leaf (not descended)."""
    if msg.get_content_maintype() == "message" or not msg.is_multipart():
        return [msg]
    found: list[Message] = []
    payload = msg.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        if isinstance(sub, Message):
            found.extend(_leaves(sub))
    return found


def _failed_recipients(part: Message) -> list[str]:
    """The ``Final-Recipient`` addresses of a DSN whose action is ``failed``."""
    payload = part.get_payload()
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    if not blocks:
        body = part.get_payload(decode=True)
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(payload)
        return _scan_dsn(text)
    found = []
    for block in blocks:
        action = str(block.get("action", "")).strip().lower()
        final = str(block.get("final-recipient", ""))
        if action == "failed" and ";" in final:
            found.append(final.split(";", 1)[1].strip().lower())
    return found


def _scan_dsn(text: str) -> list[str]:
    found, final = [], None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "final-recipient" and ";" in value:
            final = value.split(";", 1)[1].strip().lower()
        elif name.strip().lower() == "action" and value.strip().lower() == "failed" and final:
            found.append(final)
    return found
