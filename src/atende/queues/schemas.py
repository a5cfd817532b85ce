from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from atende.api.types import Id
from atende.customers.schemas import Strict

QueueName = Annotated[str, Field(min_length=1, max_length=120)]


class QueueIn(Strict):
    name: QueueName
    description: Annotated[str, Field(max_length=5000)] = ""
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)


class QueuePatch(Strict):
    name: QueueName | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)


class QueueOut(BaseModel):
    id: int
    name: str
    description: str
    member_ids: list[int]
    created_at: datetime
