"""CSRF protection for HTML forms.

Two kinds of token:

* Logged-in forms carry the session's own token (``WebSession.csrf_token``), sent in the hidden
  field ``csrf_token`` or, for HTMX requests, in the ``X-CSRF-Token`` header.
* Anonymous forms (the login form) use a signed double-submit cookie: the cookie holds
  ``nonce.signature`` and the form must send the same value back. The HMAC signature, keyed with
  the server's secret, stops a sibling site that can plant cookies from choosing a token of its own.

Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
ANON_COOKIE = "atende_csrf"


class CsrfRejected(Exception):
    """The form or request carried no CSRF token, or the wrong one (403)."""


def _sign(secret_key: str, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), b"atende-anon-csrf:" + nonce.encode(), hashlib.sha256)
    return mac.hexdigest()


def new_anonymous_token(secret_key: str) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_sign(secret_key, nonce)}"


def anonymous_token_is_genuine(secret_key: str, token: str | None) -> bool:
    """Was this token made by this server (whatever request it came with)?"""
    if not token or len(token) > 200:
        return False
    nonce, _, signature = token.partition(".")
    if not nonce or not signature:
        return False
    return hmac.compare_digest(signature, _sign(secret_key, nonce))


def anonymous_form_is_valid(secret_key: str, cookie: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form sent back the genuine token that sits in its cookie."""
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode()) and anonymous_token_is_genuine(
        secret_key, cookie
    )


async def submitted_token(request: Request) -> str | None:
    """The token a state-changing request sent: the HTMX header first, else the form field."""
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_session_token(request: Request, expected: str) -> None:
    """Raise CsrfRejected unless the request carries the session's token."""
    sent = await submitted_token(request)
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected("missing or wrong CSRF token")
