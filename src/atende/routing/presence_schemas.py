"""Pydantic in/out of presence, pause reasons and absences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from atende.customers.schemas import Strict
from atende.i18n import N_
from atende.tickets.schemas import Instant, Storable
from atende.types import Id

ReasonName = Annotated[str, Field(min_length=1, max_length=80), Storable]
AbsenceState = Literal["scheduled", "active", "ended", "cancelled"]


class PresenceIn(Strict):
    status: Annotated[str, Field(min_length=1, max_length=20)] = Field(
        description="online | paused | offline (there is no invisible state)"
    )
    reason: ReasonName | None = Field(
        default=None, description="required with paused: the name of an active pause reason"
    )


class PresenceOut(BaseModel):
    user_id: int
    status: str
    reason: str | None
    since: datetime | None = Field(description="when the current status began")
    last_seen_at: datetime | None


class PresenceBoardRow(PresenceOut):
    name: str
    role: str
    open_tickets: int
    max_open_tickets: int | None = Field(description="null: no limit")
    over_capacity: bool = Field(
        default=False,
        description="more open tickets than the limit (a vacation handover may push past it)",
    )
    chats: int
    max_chats: int | None = Field(description="null: no limit")
    absent: bool = Field(description="an absence (vacation) is in force")


class PresencePeriodOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    status: str
    reason: str | None
    started_at: datetime
    ended_at: datetime | None = Field(description="null: the current period")
    cause: str = Field(description="agent | session expired | absence | logout")


class PauseReasonIn(Strict):
    name: ReasonName


class PauseReasonPatch(Strict):
    name: ReasonName | None = None
    active: bool | None = None

    @field_validator("name", "active", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError(N_("may not be null; leave the field out to keep its value"))
        return value


class PauseReasonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    active: bool
    created_at: datetime


class AbsenceIn(Strict):
    user_id: Id = Field(description="the absent agent")
    starts_at: Instant
    ends_at: Instant
    substitute_id: Id = Field(description="who takes the agent's open tickets meanwhile")
    return_tickets: bool = Field(
        default=False,
        description="at the end, give back the moved tickets still open and still with the "
        "substitute",
    )
    note: Annotated[str, Field(max_length=2000), Storable] = ""


class AbsenceOut(BaseModel):
    id: int
    user_id: int
    substitute_id: int
    starts_at: datetime
    ends_at: datetime
    return_tickets: bool
    state: str = Field(description="scheduled | active | ended | cancelled")
    moved_ticket_ids: list[int]
    note: str
    created_by_id: int | None
    created_at: datetime
