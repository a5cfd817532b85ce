"""Opaque keyset cursors: base64 of the last row's sort key, never an offset."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from atende.db.base import MAX_ID
from atende.domain.errors import ValidationFailed

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("malformed cursor", field="cursor") from exc
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed("malformed cursor", field="cursor")
    return values


def decode_id_cursor(cursor: str | None) -> int | None:
    """The last id of the previous page, from a cursor made by ``encode_cursor([id])``."""
    if not cursor:
        return None
    value = decode_cursor(cursor, size=1)[0]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationFailed("malformed cursor", field="cursor")
    return value
