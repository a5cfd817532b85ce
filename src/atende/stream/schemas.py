"""Pydantic shapes of the webhook subscriptions API (the stream's events are described in
``events.py``; the stream itself is ``text/event-stream``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict
from atende.stream.events import EVENT_TYPES

Url = Annotated[str, Field(min_length=1, max_length=2048, description="http(s) URL to POST to")]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=40)]],
    Field(
        min_length=1,
        max_length=len(EVENT_TYPES) + 1,
        description="event types to send: " + ", ".join(EVENT_TYPES) + ', or ["*"] for all',
    ),
]
Description = Annotated[str, Field(max_length=200)]


class WebhookIn(Strict):
    url: Url
    event_types: EventTypes
    active: bool = True
    description: Description = ""


class WebhookPatch(Strict):
    url: Url | None = None
    event_types: EventTypes | None = None
    active: bool | None = None
    description: Description | None = None
    rotate_secret: bool | None = Field(
        default=None, description="true: replace the secret (the new one is returned once)"
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    active: bool
    description: str
    secret_hint: str = Field(description="the secret's prefix and last characters, to tell it")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(
        default=None,
        description="only when made or rotated: the key of X-Atende-Signature (HMAC-SHA256); "
        "never shown again",
    )
