from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict
from atende.types import Id


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


class MarkRead(Strict):
    ids: Annotated[list[Id], Field(max_length=500)] | None = Field(
        default=None, description="notifications to mark read; omitted: all of mine"
    )


class MarkedRead(BaseModel):
    marked: int
