"""Bodies and answers of the visits API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VisitIn(_Strict):
    kind: Literal["field_desk", "appointment"] = Field(
        description="field_desk: a technician on site; appointment: training, a certificate…"
    )
    purpose: Annotated[str, Field(min_length=1, max_length=200)]
    starts_at: AwareDatetime | None = Field(
        default=None, description="a Field Desk visit without a window gets the standard one: "
        "from 4 to 24 business hours from now",
    )  # fmt: skip
    ends_at: AwareDatetime | None = None
    address: Annotated[str, Field(max_length=1000)] | None = None
    assignee_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Field(
        default=None, description="the technician or agent (default: the caller)"
    )
    accepted_by: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="who accepted a paid visit and how (e.g. 'Lia, por telefone')"
    )
    reminder: Literal["email", "whatsapp", "none"] = "email"
    remind_minutes_before: Annotated[int, Field(ge=0, le=10080)] = 1440
    notes: Annotated[str, Field(max_length=5000)] | None = None
    hold_ticket: bool = Field(
        default=True,
        description="the ticket waits in 'scheduled' until the last booking is done or cancelled "
        "(a policy with 'scheduled' in its pause_statuses stops the SLA clocks meanwhile)",
    )


class VisitPatch(_Strict):
    status: Literal["scheduled", "on_the_way", "done", "cancelled"] | None = None
    cancel_reason: Annotated[str, Field(max_length=500)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    assignee_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    notes: Annotated[str, Field(max_length=5000)] | None = None


class VisitOut(BaseModel):
    id: int
    ticket_id: int
    kind: str
    purpose: str
    status: str
    starts_at: datetime
    ends_at: datetime
    address: str
    assignee_id: int
    billing: str = Field(description="included (in the plan), paid (with the discount) or none")
    discount_percent: int
    cancel_reason: str
    # staff only
    contact_id: int | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None
    reminder: str | None = None
    remind_minutes_before: int | None = None
    notes: str | None = None
    created_by_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
