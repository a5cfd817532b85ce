from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict
from atende.types import Id

QueueName = Annotated[str, Field(min_length=1, max_length=120)]
Mode = Literal["manual", "round_robin", "least_loaded"]
Capacity = Annotated[int, Field(ge=1, le=1000)]


class QueueIn(Strict):
    name: QueueName
    description: Annotated[str, Field(max_length=5000)] = ""
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)
    assignment_mode: Mode = Field(
        default="manual",
        description="manual: agents pull (POST /queues/{id}/next); round_robin / least_loaded: "
        "handed out at once to online members under capacity",
    )
    calendar_id: Id | None = Field(
        default=None, description="the team's hours: tickets created outside them are on-call"
    )
    default_max_open_tickets: Capacity | None = None
    default_max_chats: Capacity | None = None
    triage: bool = Field(
        default=False,
        description="tickets created without a queue (and not routed by a rule) land here; "
        "marking a queue unmarks the previous one",
    )


class QueuePatch(Strict):
    name: QueueName | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)
    assignment_mode: Mode | None = None
    calendar_id: Id | None = None
    default_max_open_tickets: Capacity | None = None
    default_max_chats: Capacity | None = None
    triage: bool | None = Field(default=None, description="true: make this the triage queue")


class QueueOut(BaseModel):
    id: int
    name: str
    description: str
    member_ids: list[int]
    assignment_mode: str
    calendar_id: int | None
    default_max_open_tickets: int | None
    default_max_chats: int | None
    triage: bool
    created_at: datetime
