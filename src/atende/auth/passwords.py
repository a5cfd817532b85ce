from __future__ import annotations

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()
# A real hash of a random password, verified against for unknown e-mails so that an unknown
# account costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-password-atende-dummy")


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
