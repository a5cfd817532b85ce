"""Bodies and answers of the surveys API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SurveySettingsIn(_Strict):
    """Only the fields sent change."""

    csat_enabled: bool | None = Field(default=None, description="CSAT (1–5) after a close")
    csat_trigger: Literal["closed", "resolved"] | None = Field(
        default=None,
        description="closed: when the ticket closes (default); resolved: when it is resolved "
        "(a reopen before the delay passes cancels the survey)",
    )
    delay_minutes: Annotated[int, Field(ge=0, le=10080)] | None = Field(
        default=None, description="wait this long after the trigger (at most 7 days)"
    )
    csat_cooldown_days: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None, description="a contact gets at most one CSAT in this many days"
    )
    expiry_days: Annotated[int, Field(ge=1, le=90)] | None = Field(
        default=None, description="the survey link works for this many days"
    )
    internal_domains: (
        Annotated[list[Annotated[str, Field(max_length=253)]], Field(max_length=100)] | None
    ) = Field(default=None, description="e-mail domains never surveyed (your own company's)")
    nps_enabled: bool | None = Field(
        default=None, description="transactional NPS (0–10) after a close"
    )
    nps_organization_ids: Annotated[list[Id], Field(max_length=1000)] | None = Field(
        default=None, description="organizations whose closed tickets also get an NPS survey"
    )
    nps_plan_ids: Annotated[list[Id], Field(max_length=100)] | None = Field(
        default=None, description="plans whose organizations' closed tickets get an NPS survey"
    )
    nps_cooldown_days: Annotated[int, Field(ge=0, le=365)] | None = None


class SurveySettingsOut(BaseModel):
    csat_enabled: bool
    csat_trigger: str
    delay_minutes: int
    csat_cooldown_days: int
    expiry_days: int
    internal_domains: list[str]
    nps_enabled: bool
    nps_organization_ids: list[int]
    nps_plan_ids: list[int]
    nps_cooldown_days: int
    updated_at: datetime | None


class CampaignIn(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    organization_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] = Field(
        description="the organizations (key accounts) whose contacts are asked"
    )
    sample_percent: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="ask this share of the eligible contacts (default all)"
    )
    sample_max: Annotated[int, Field(ge=1, le=100000)] | None = Field(
        default=None, description="ask at most this many per round"
    )
    seed: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="the sample's seed (the same seed, the same sample)"
    )
    interval_months: Annotated[int, Field(ge=1, le=24)] = Field(
        default=3, description="a round every this many months (3: quarterly)"
    )
    next_run_at: AwareDatetime | None = Field(
        default=None, description="the first round (default now)"
    )
    cooldown_days: Annotated[int, Field(ge=0, le=730)] = Field(
        default=90, description="skip contacts asked an NPS within this many days"
    )
    reminder_days: Annotated[int, Field(ge=0, le=60)] = Field(
        default=7, description="one reminder this many days after, if unanswered (0: none)"
    )
    expiry_days: Annotated[int, Field(ge=1, le=90)] = 28
    active: bool = True


class CampaignPatch(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    organization_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    sample_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    sample_max: Annotated[int, Field(ge=1, le=100000)] | None = None
    seed: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    interval_months: Annotated[int, Field(ge=1, le=24)] | None = None
    next_run_at: AwareDatetime | None = None
    cooldown_days: Annotated[int, Field(ge=0, le=730)] | None = None
    reminder_days: Annotated[int, Field(ge=0, le=60)] | None = None
    expiry_days: Annotated[int, Field(ge=1, le=90)] | None = None
    active: bool | None = None


class CampaignOut(BaseModel):
    id: int
    name: str
    organization_ids: list[int]
    sample_percent: int | None
    sample_max: int | None
    seed: str
    interval_months: int
    next_run_at: datetime
    cooldown_days: int
    reminder_days: int
    expiry_days: int
    active: bool
    rounds: int
    created_at: datetime
    updated_at: datetime


class AgentRef(BaseModel):
    id: int
    name: str | None


class InvitationOut(BaseModel):
    id: int
    kind: Literal["csat", "nps"]
    source: Literal["ticket", "campaign"]
    status: Literal["sent", "answered", "expired"]
    ticket_id: int | None
    contact_id: int
    agent: AgentRef | None = Field(description="the ticket's assignee when the survey was sent")
    sent_at: datetime
    expires_at: datetime
    opened_at: datetime | None
    answered_at: datetime | None
    score: int | None
    reason: str | None
    comment: str | None


class CsatRowOut(BaseModel):
    group: dict[str, Any]
    count: int
    satisfied: int = Field(description="answers of 4 or 5")
    satisfied_percent: float | None
    average: float | None


class NpsRowOut(BaseModel):
    group: dict[str, Any]
    count: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None = Field(description="% promoters − % detractors (−100..100)")


class SummaryOut(BaseModel):
    csat: list[CsatRowOut]
    nps_transactional: list[NpsRowOut]
    nps_corporate: list[NpsRowOut]
