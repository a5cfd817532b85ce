"""ASGI middleware: request body size limits (413) and security headers on every answer (and a
strict Content-Security-Policy on every HTML page)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atende.api.problems import PROBLEM, BodyTooLarge


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "https://atende.dev/problems/413",
            "title": "Content too large",
            "status": 413,
            "detail": f"request body is larger than the limit of {limit} bytes",
            "code": "body_too_large",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuses bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, *, default_limit: int, limits: dict[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits

    def _limit_for(self, path: str) -> int:
        for key, value in self.limits.items():
            if path.startswith(key) or (not key.startswith("/") and key in path):
                return value
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _send_413(send, limit)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, limit)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Every HTML page: scripts, styles and requests from this site only, no inline script or
style, no plugin, no <base>, forms post here, no framing. The pages are made for it: no inline
script, style or event handler (web/templates, the API docs' starter in static/swagger)."""


class SecurityHeaders:
    """nosniff, no framing and a strict referrer policy on every answer; the Content-Security-
    Policy on every HTML answer (a route may send its own instead)."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )
    CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower(): v for k, v in headers}
                headers.extend(h for h in self.HEADERS if h[0] not in present)
                html = present.get(b"content-type", b"").lower().startswith(b"text/html")
                if html and self.CSP[0] not in present:
                    headers.append(self.CSP)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
