"""Password hashing (argon2) and the rules a new password must follow."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from pwdlib import PasswordHash

from atende.domain.errors import ValidationFailed

_hasher = PasswordHash.recommended()
# A real hash of a random password, verified against for unknown e-mails so that an unknown
# account costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-password-atende-dummy")

MIN_LENGTH = 8
MIN_PERSONAL_PART = 3
"""A name or e-mail part this long or longer may not appear in the user's password."""
_PARTICLES = frozenset({"da", "das", "de", "del", "di", "do", "dos", "du", "e", "van", "von"})
_WORD = re.compile(r"[^\W_]+")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def burn_time(password: str) -> None:
    _hasher.verify(password, _DUMMY)


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of the most common passwords (``common_passwords.txt``), lower case."""
    text = resources.files("atende.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _fold(text: str) -> str:
    """Lower case without accents: "João" and "joao" are the same name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _personal_parts(name: str, email: str) -> list[str]:
    local = email.rpartition("@")[0] if "@" in email else email
    parts = [w for w in _WORD.findall(_fold(name)) if w not in _PARTICLES]
    parts += _WORD.findall(_fold(local))
    parts.append("".join(_WORD.findall(_fold(local))))  # "maria.silva" -> "mariasilva"
    long_enough = {p for p in parts if len(p) >= MIN_PERSONAL_PART}
    return sorted(long_enough, key=len, reverse=True)


def check_new_password(password: str, *, name: str, email: str, field: str = "password") -> None:
    """Refuse a password that is short, among the most common ones, or made of the user's own
    name or e-mail: without the parts of them it holds, fewer than `MIN_LENGTH` characters are
    left (``field`` names the input at fault); the message names the rule."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            "must be at least {min_length} characters long", field=field, min_length=MIN_LENGTH
        )
    folded = _fold(password)
    if password.strip().lower() in common_passwords() or folded in common_passwords():
        raise ValidationFailed(
            "is one of the most common passwords, the first ones an attacker tries; "
            "choose one that is not a common word, name or sequence",
            field=field,
        )
    found = [part for part in _personal_parts(name, email) if part in folded]
    rest = folded
    for part in found:  # longest first
        rest = rest.replace(part, "")
    if found and len(rest) < MIN_LENGTH:
        raise ValidationFailed(
            "must not be made of the user's name or e-mail address "
            "({found!r}): without it, at least {min_length} other "
            "characters",
            field=field,
            found=found[0],
            min_length=MIN_LENGTH,
        )
