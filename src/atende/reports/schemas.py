"""The reports' answers as the API documents them (OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MetricStats(BaseModel):
    """A metric's measured spans: how many, and mean, median and p90 in calendar and business
    seconds."""

    count: int
    mean_s: float
    median_s: float
    p90_s: float
    mean_business_s: float
    median_business_s: float
    p90_business_s: float


class Counts(BaseModel):
    created: int
    resolved: int
    reopened: int
    backlog: int | None = Field(
        description="open at the period's end (created + reopened - resolved, ever); null when "
        "grouped by period"
    )


class MetricsRow(BaseModel):
    group: dict[str, Any] = Field(
        description="the group's key: agent_id, queue_id, channel, organization_id, plan_id, "
        "or the day/week/month (its first day, in the report's time zone); empty when not "
        "grouped"
    )
    tmpr: MetricStats | None = Field(description="time to first response (TMPR)")
    tme: MetricStats | None = Field(description="customer's waiting time per resolution (TME)")
    tmr: MetricStats | None = Field(description="response time per customer message (TMR)")
    tma: MetricStats | None = Field(description="handling time (TMA)")
    resolution: MetricStats | None = Field(description="resolution time")
    sla_met_percent: dict[str, float | None] = Field(
        description="% of SLA targets met, per target (first_response, next_response, "
        "resolution, private_*), over the targets whose outcome came in the period"
    )
    counts: Counts
    reopen_rate_percent: float | None
    fcr_percent: float | None = Field(description="first-contact resolution, %")
    csat: dict[str, Any] | None = Field(description="satisfaction (surveys); null: none")


class MetricsReport(BaseModel):
    rows: list[MetricsRow]
    estimated: bool = Field(
        default=False,
        description="true: the medians and p90s (calendar and business) were read from the "
        "rollup's histograms and are within 1 % of the exact values; counts, means, % SLA met, "
        "FCR, reopen rate and backlog are exact either way (docs/reports.md)",
    )


class BreachRow(BaseModel):
    ticket_id: int
    subject: str
    target: str = Field(description="first_response, next_response, resolution or private_*")
    queue_id: int | None
    agent_id: int | None
    organization_id: int | None
    channel: str
    started_at: datetime
    due_at: datetime | None
    breached_at: datetime
    met_at: datetime | None = Field(description="when it was finally met (late); null: not yet")
    target_s: int | None = Field(description="the target, in business seconds")
    overrun_s: int | None = Field(description="due to met (or now), calendar seconds")
    overrun_business_s: int | None = Field(description="business time used beyond the target")
    reason: str | None = Field(description="the breach reason's category; null: none recorded")
    reason_note: str | None


class BreachReport(BaseModel):
    rows: list[BreachRow]
    by_reason: dict[str, int] = Field(description="breaches per reason ('none': not recorded)")
    truncated: bool


class PresenceRow(BaseModel):
    agent_id: int
    day: str = Field(description="the local day (the report's time zone), ISO")
    online_s: int
    paused_s: int
    paused_by_reason: dict[str, int] = Field(description="seconds paused per pause reason")
    offline_s: int = Field(description="neither online nor paused, within the period so far")


class PresenceReport(BaseModel):
    rows: list[PresenceRow]


class OnCallRow(BaseModel):
    ticket_id: int
    subject: str
    queue_id: int | None
    status: str
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: int | None


class OnCallReport(BaseModel):
    start: datetime
    end: datetime
    total: int
    reviewed: int
    not_reviewed: int
    rows: list[OnCallRow]


class ForwardedRow(BaseModel):
    ticket_id: int
    subject: str
    queue_id: int | None
    assignee_id: int | None
    status: str
    created_at: datetime
    following_since: datetime
    reason: str
    open_for_s: int
    away_for_s: int


class ForwardedReport(BaseModel):
    total: int
    rows: list[ForwardedRow]


class DigestIn(BaseModel):
    """Turn the caller's weekly e-mail digest on or off."""

    model_config = ConfigDict(extra="forbid")

    weekly: bool = Field(description="send last week's figures every Monday at 08:00 (your zone)")


class DigestOut(BaseModel):
    weekly: bool
    last_week: date | None = Field(description="the Monday of the last week reported")
    next_at: datetime | None = Field(description="when the next digest leaves (UTC)")
