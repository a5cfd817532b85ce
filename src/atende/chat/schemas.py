"""What the chat's routes take and give."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from atende.tickets.schemas import Storable

Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Origin = Annotated[str, Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", max_length=200)]
FlowKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WidgetIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200), Storable]
    color: Color = "#1f6feb"
    text_color: Color = "#ffffff"
    greeting: Annotated[str, Field(max_length=500), Storable] = ""
    calendar_id: Id | None = None
    queue_id: Id | None = None
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=50)
    prechat: Literal["email", "phone", "either"] = Field(
        default="either", description="what the visitor must give besides the name"
    )
    bot_flow_key: FlowKey | None = Field(default=None, description="a published bot flow")
    inactivity_minutes: Annotated[int, Field(ge=0, le=1440)] = Field(
        default=30, description="a chat idle this long ends (0: never)"
    )
    active: bool = True


class WidgetPatch(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200), Storable] | None = None
    color: Color | None = None
    text_color: Color | None = None
    greeting: Annotated[str, Field(max_length=500), Storable] | None = None
    calendar_id: Id | None = None
    queue_id: Id | None = None
    allowed_origins: list[Origin] | None = Field(default=None, max_length=50)
    prechat: Literal["email", "phone", "either"] | None = None
    bot_flow_key: FlowKey | None = None
    inactivity_minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    active: bool | None = None


class WidgetOut(BaseModel):
    id: int
    key: str
    name: str
    color: str
    text_color: str
    greeting: str
    calendar_id: int | None
    queue_id: int | None
    allowed_origins: list[str]
    prechat: str
    bot_flow_key: str | None
    inactivity_minutes: int
    active: bool
    created_at: datetime
    updated_at: datetime
    embed: str = Field(description="the tag to put on a website")


class ChatOut(BaseModel):
    id: int
    ticket_id: int
    widget_id: int
    state: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    related_ticket_ids: list[int]
    visitor_read_message_id: int | None
    agent_read_message_id: int | None
    number: int | None = None
    subject: str | None = None
    queue_id: int | None = None
    assignee_id: int | None = None


class TransferIn(Strict):
    queue_id: Id
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class EndIn(Strict):
    send_transcript: bool = Field(default=False, description="e-mail the transcript to the visitor")


class FlowIn(Strict):
    key: FlowKey
    definition: dict[str, Any]


class FlowPut(Strict):
    definition: dict[str, Any]


class FlowOut(BaseModel):
    id: int
    key: str
    version: int
    status: str
    definition: dict[str, Any]
    created_by_id: int | None
    created_at: datetime
    published_at: datetime | None


class SimulateIn(Strict):
    inputs: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=100)
    plan: Annotated[str, Field(max_length=80)] | None = Field(
        default=None, description="the visitor's organization's plan (e.g. Prime)"
    )


# --- the visitor's side -----------------------------------------------------------------------


class SessionIn(Strict):
    token: Annotated[str, Field(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class StartIn(Strict):
    name: Annotated[str, Field(min_length=2, max_length=200), Storable]
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=8, max_length=32)] | None = None
    subject: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @field_validator("email", "phone", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class LeaveIn(StartIn):
    body: Annotated[str, Field(min_length=1, max_length=5000), Storable]


class VisitorMessageIn(Strict):
    client_id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    body: Annotated[str, Field(min_length=1, max_length=5000), Storable]
    attachment_ids: list[Id] = Field(default_factory=list, max_length=10)


class ReadIn(Strict):
    message_id: Id


class VisitorEndIn(Strict):
    send_transcript: bool = False
