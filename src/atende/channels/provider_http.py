"""Calling a provider's HTTP API (Meta's Graph API, Telegram's Bot API) from the worker or an
admin's request: JSON in and out, answers read up to a limit, secrets kept out of every message.

:class:`Unreachable` means no answer (network, timeout): the caller retries later. Any answer,
good or bad, comes back as :class:`Answer` for the caller to judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_ANSWER_BYTES = 256 * 1024


class Unreachable(Exception):
    """The provider did not answer; the message is safe to store (no token)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _limited(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise Unreachable(f"answer larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def call(
    method: str,
    url: str,
    *,
    secrets: tuple[str, ...],
    timeout: float,
    headers: dict[str, str] | None = None,
    json_body: dict[str, Any] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> Answer:
    """One request; the answer's JSON object (empty when it is not one)."""
    raw = fetch(
        method, url, secrets=secrets, timeout=timeout, headers=headers, json_body=json_body,
        files=files, data=data, limit=MAX_ANSWER_BYTES, params=params,
    )  # fmt: skip
    try:
        value = json.loads(raw[1]) if raw[1] else {}
    except ValueError:
        value = {}
    return Answer(raw[0], value if isinstance(value, dict) else {})


def fetch(
    method: str,
    url: str,
    *,
    secrets: tuple[str, ...],
    timeout: float,
    limit: int,
    headers: dict[str, str] | None = None,
    json_body: dict[str, Any] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request: (status, body bytes up to ``limit``)."""

    def safe(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, "<segredo>")
        return text

    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client,
            client.stream(
                method,
                url,
                headers=headers,
                json=json_body,
                files=files,
                data=data,
                params=params,
            ) as response,
        ):
            return response.status_code, _limited(response, limit)
    except httpx.TimeoutException:
        raise Unreachable(f"sem resposta em {timeout:g} s") from None
    except httpx.HTTPError as exc:
        # `from None`: the chained exception holds the request, whose URL may hold a token
        raise Unreachable(safe(f"{type(exc).__name__}: {exc}")) from None
