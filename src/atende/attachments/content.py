"""What an uploaded file is called and what it is: a harmless name and a type read from its bytes.

The client's file name is metadata only (blobs are stored by hash); it is still cleaned so that
it cannot carry a path, control or bidirectional-override characters, or an unbounded length
into headers, logs and the web pages. The content type comes from the bytes (puremagic); the
type the client declared is kept only when the bytes agree with it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import puremagic

FALLBACK_TYPE = "application/octet-stream"
TEXT_TYPE = "text/plain"
DEFAULT_NAME = "attachment"
MAX_NAME_CHARS = 200

# Declared types accepted for text without a signature, when the bytes are valid UTF-8.
_PLAIN_TEXT_TYPES = frozenset(
    {"text/plain", "text/csv", "text/tab-separated-values", "text/markdown", "text/calendar"}
)
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_SPACES = re.compile(r"\s+")


def sanitize_filename(raw: str | None) -> str:
    """A display name without directories, control or format characters, at most 200 chars.

    >>> sanitize_filename("../../etc/passwd")
    'passwd'
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters (NUL, CR, LF, ...); Cf: format characters such as U+202E (RTLO);
    # Cs/Co/Cn: surrogates, private use and unassigned code points.
    name = "".join(
        " " if unicodedata.category(c) in ("Zl", "Zp") or c in "\t\n\r" else c
        for c in name
        if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn") or c in "\t\n\r"
    )
    name = _SPACES.sub(" ", name).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_CHARS].rstrip(" .")
    return name or DEFAULT_NAME


def normalize_declared(declared: str | None) -> str | None:
    """The bare media type the client declared (parameters dropped), or None if malformed."""
    if not declared:
        return None
    bare = declared.split(";", 1)[0].strip().lower()
    return bare if _TYPE.match(bare) else None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_content_type(head: bytes, *, filename: str, declared: str | None) -> str:
    """The type of a file from its first bytes.

    A signature found by puremagic wins; the declared type is kept only when it is one of the
    types the bytes match (a .xlsx and a .docx share the zip signature). Without a signature,
    UTF-8 text is ``text/plain`` (or a declared plain-text type such as ``text/csv``) and
    anything else is ``application/octet-stream``.
    """
    wanted = normalize_declared(declared)
    if not head:
        return FALLBACK_TYPE
    try:
        # No file-name hint: with one, puremagic also answers from the extension alone.
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    extension = "." + filename.rpartition(".")[2].lower() if "." in filename else ""
    ranked = sorted(matches, key=lambda m: (m.extension.lower() != extension, -m.confidence))
    types = [t for t in (m.mime_type.strip().lower() for m in ranked) if _TYPE.match(t)]
    if types:
        return wanted if wanted is not None and wanted in types else types[0]
    if _looks_like_text(head):
        return wanted if wanted is not None and wanted in _PLAIN_TEXT_TYPES else TEXT_TYPE
    return FALLBACK_TYPE
