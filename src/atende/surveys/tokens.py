"""The survey link's token: the invitation's id signed with the server's secret (itsdangerous,
HMAC-SHA1 with a salt of its own), so it cannot be guessed or altered without the secret; the
invitation row keeps the token's SHA-256 and is found by it. The same invitation always gives
the same token (the reminder repeats the first e-mail's link); expiry and single use are the
row's (``expires_at``, ``answered_at``), checked against the injected clock (decision 0021)."""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "atende-survey-v1"
MAX_LENGTH = 300


class InvalidToken(Exception):
    """Not a token this server signed (forged, altered, truncated)."""


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def new_token(secret_key: str, invitation_id: int) -> str:
    return str(_serializer(secret_key).dumps({"i": invitation_id}))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_id(secret_key: str, token: str) -> int:
    """The invitation a genuine token names (:class:`InvalidToken` otherwise)."""
    if not token or len(token) > MAX_LENGTH:
        raise InvalidToken
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        raise InvalidToken from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise InvalidToken
    return int(data["i"])
