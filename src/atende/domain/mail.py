"""E-mail text rules, pure: subjects, the ticket tag, quoted text, automatic mail.

Values in, values out (docs/channels.md). The parsing of the MIME structure itself lives in
``channels/email_parse.py`` (it needs charset-normalizer); what is decided here works on strings
and on a header mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# "RE:", "Re[2]:", "RES:", "ENC:", "FW:", "FWD:", "TR:", "AW:", "Resposta automática:",
# "Automatic reply:", and "[EXTERNO]"-style markers, repeated in any order.
_PREFIX = re.compile(
    r"^\s*(?:"
    r"(?:re|res|enc|fw|fwd|tr|aw|wg|rv|sv)\s*(?:\[\d+\]|\(\d+\))?\s*:"
    r"|resposta\s+autom[aá]tica\s*:"
    r"|automatic\s+reply\s*:"
    r"|auto(?:matic)?\s*response\s*:"
    r"|ausente\s*:"
    r"|\[(?:externo|external|ext|spam)\]"
    r")\s*",
    re.IGNORECASE,
)
_TAG = re.compile(r"\[#(\d{1,18})\]")
_SPACES = re.compile(r"\s+")
MAX_SUBJECT = 200


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, the ticket tag and runs of white space.

    >>> normalise_subject("RES: ENC: Re[2]: [#12] Boleto   vencido")
    'Boleto vencido'
    """
    text = _TAG.sub(" ", single_line(subject))
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _SPACES.sub(" ", text).strip()


def single_line(value: str) -> str:
    """A header value as one line: every control character (CR, LF, NUL, ...) becomes a space.

    A decoded subject may hide ``\\r\\n`` (``=?utf-8?q?x=0D=0ABcc:_v@e.net?=``); echoed into a
    reply it must never start a header of its own.
    """
    return _SPACES.sub(" ", "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value))


def ticket_tag(subject: str) -> int | None:
    """The ticket number of a ``[#1042]`` tag in the subject (the last one), or None."""
    found = _TAG.findall(subject)
    return int(found[-1]) if found else None


def reply_subject(subject: str, ticket_number: int) -> str:
    """The subject of our reply: ``Re: [#1042] <normalised subject>`` on one line."""
    base = normalise_subject(subject)[:MAX_SUBJECT] or "(sem assunto)"
    return f"Re: [#{ticket_number}] {base}"


# --- quoted text and signatures ------------------------------------------------------------

# A line that starts the quoted part or the signature: what follows it is not the new text.
_CUT_LINE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-{2,}\s*Mensagem original\s*-{2,}\s*$",
        r"^-{2,}\s*Original Message\s*-{2,}\s*$",
        r"^-{2,}\s*Mensagem encaminhada\s*-{2,}\s*$",
        r"^_{10,}\s*$",  # Outlook's rule above "De: ... Enviado: ..."
        r"^Enviado do meu (?:iPhone|iPad|smartphone|Android|celular|Samsung)\b.{0,60}$",
        r"^Enviado (?:a partir|através) d[oe] .{1,60}$",
        r"^Obter o Outlook para (?:Android|iOS)\s*$",
        r"^Sent from my (?:iPhone|iPad|Android).*$",
        r"^-- $",  # the signature delimiter (RFC 3676)
        r"^--$",
        r"^On .{1,200} wrote:\s*$",
    )
]
# "Em qua., 3 de jan. de 2024 às 10:00, Fulano <f@x.com> escreveu:" (Gmail wraps it on 2 lines)
_EM_ESCREVEU = re.compile(r"^Em .{1,300}escreveu:\s*$", re.IGNORECASE)
_EM_START = re.compile(r"^Em\s+\S", re.IGNORECASE)
_ESCREVEU_END = re.compile(r"escreveu:\s*$", re.IGNORECASE)
# Outlook's header block: "De: ..." followed within 4 lines by "Enviado:"/"Data:"/"Para:"
_DE = re.compile(r"^\*?(?:De|From)\s*:\*?\s", re.IGNORECASE)
_BLOCK_FIELD = re.compile(r"^\*?(?:Enviado|Enviada|Data|Sent|Date|Para|To|Assunto|Subject)\s*:")


def strip_quoted(text: str) -> str:
    """The new text of a message: quoted replies, forwarded originals and signatures removed.

    Cuts at the first line that starts a quotation ("Em …, … escreveu:", "-----Mensagem
    original-----", an Outlook "De:/Enviado:/Para:" block, "Enviado do meu iPhone", "-- ")
    and drops trailing ``>`` quoted lines. Never returns an empty text for a non-empty message
    whose first line is itself a cut marker: then the whole text is kept (nothing new was
    found to keep apart from the quote, so the quote is the content).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        plain = line.strip()
        if _is_cut(lines, i, plain):
            cut = i
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result if result else text.strip()


def _is_cut(lines: list[str], i: int, plain: str) -> bool:
    if any(p.match(plain) for p in _CUT_LINE) or _EM_ESCREVEU.match(plain):
        return True
    if _EM_START.match(plain) and i + 1 < len(lines):
        joined = plain + " " + lines[i + 1].strip()
        if _EM_ESCREVEU.match(joined) and _ESCREVEU_END.search(lines[i + 1].strip()):
            return True
    if _DE.match(plain):
        following = [row.strip() for row in lines[i + 1 : i + 5]]
        return any(_BLOCK_FIELD.match(row) for row in following)
    return False


# --- automatic mail ------------------------------------------------------------------------


@dataclass(frozen=True)
class Automatic:
    """Why a message is automatic (``reason``), and whether it is a delivery failure."""

    reason: str
    bounce: bool = False


_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
_DAEMONS = ("mailer-daemon@", "postmaster@", "mail-daemon@", "noreply-dmarc-support@")


def automatic(
    headers: Mapping[str, str],
    *,
    content_type: str,
    sender: str,
    own_addresses: frozenset[str] = frozenset(),
    own_domain: str | None = None,
) -> Automatic | None:
    """Whether the message was sent by a machine (RFC 3834 and the usual markers); ``headers``
    keys in lower case. None for a person's mail."""
    get = headers.get
    sender = sender.lower()
    if content_type.lower() == "multipart/report" or get("x-failed-recipients"):
        return Automatic("delivery status report (bounce)", bounce=True)
    if sender.startswith(_DAEMONS):
        return Automatic(f"sent by {sender.split('@')[0]}", bounce=True)
    submitted = (get("auto-submitted") or "").strip().lower()
    if submitted and submitted != "no":
        return Automatic(f"Auto-Submitted: {submitted}")
    precedence = (get("precedence") or "").strip().lower()
    if precedence in _BULK:
        return Automatic(f"Precedence: {precedence}")
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-loop"):
        if get(name) is not None:
            return Automatic(f"{name} present")
    if get("list-id") is not None or get("list-unsubscribe") is not None:
        return Automatic("mailing list")
    return_path = get("return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return Automatic("empty Return-Path")
    if sender in own_addresses:
        return Automatic("sent by one of our own addresses")
    message_id = (get("message-id") or "").strip().lower()
    if own_domain and message_id.endswith(f"@{own_domain.lower()}>"):
        return Automatic("our own Message-ID")
    return None


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` values of an In-Reply-To or References header, in order, de-duplicated."""
    if not value:
        return []
    found = re.findall(r"<[^<>\s]{1,500}>", value)
    return list(dict.fromkeys(found))
