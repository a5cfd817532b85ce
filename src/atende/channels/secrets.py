"""Channel secrets at rest: encrypted with Fernet (cryptography) under a key derived from the
installation's secret key (``ATENDE_SECRET_KEY``); never shown back by any route."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

_CONTEXT = b"atende/channels/secrets/v1:"


def _fernet(secret_key: str) -> Fernet:
    key = hashlib.sha256(_CONTEXT + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret_key: str, value: str) -> str:
    return _fernet(secret_key).encrypt(value.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    """The secret; ValueError when the secret key changed since it was stored."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "the stored password cannot be read: was ATENDE_SECRET_KEY changed?"
        ) from None
