"""Routes: satisfaction surveys: settings and relationship NPS campaigns (admins, audited), a
ticket's surveys, and the CSAT/NPS summary (docs/surveys.md)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.auth.access import ensure_admin
from atende.surveys import campaigns, config, repository, service
from atende.surveys.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CsatRowOut,
    InvitationOut,
    NpsRowOut,
    SummaryOut,
    SurveySettingsIn,
    SurveySettingsOut,
)

router = APIRouter(tags=["surveys"])
GroupBy = Literal["agent", "queue", "organization", "day", "week", "month"]


@router.get("/surveys/settings", response_model=SurveySettingsOut)
def get_settings(session: DbSession, actor: CurrentActor) -> SurveySettingsOut:
    """The survey settings in force (admins)."""
    ensure_admin(actor)
    return SurveySettingsOut(**config.view(config.current(session)))


@router.patch("/surveys/settings", response_model=SurveySettingsOut)
def update_settings(
    body: SurveySettingsIn, session: DbSession, actor: CurrentActor, now: Now
) -> SurveySettingsOut:
    """Change the survey settings (admins; in the audit trail). Only the fields sent change."""
    row = config.update(session, actor=actor, changes=body.model_dump(exclude_unset=True), now=now)
    return SurveySettingsOut(**config.view(row))


@router.get("/surveys/summary", response_model=SummaryOut)
def summary(
    session: DbSession,
    actor: CurrentActor,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
    group_by: GroupBy | None = None,
) -> SummaryOut:
    """CSAT and NPS (transactional and corporate apart) of the surveys answered between
    ``from`` and ``to`` (ISO instants), optionally grouped (``agent`` is the agent recorded when
    the survey was sent; periods in America/Sao_Paulo). Staff; an agent sees their own."""
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    csat = repository.csat_summary(session, start=s, end=e, group_by=group_by, actor=actor)
    nps = {
        source: [
            NpsRowOut(**vars(r))
            for r in repository.nps_summary(
                session, start=s, end=e, group_by=group_by, actor=actor, source=source
            )
        ]
        for source in ("ticket", "campaign")
    }
    return SummaryOut(
        csat=[CsatRowOut(**vars(r)) for r in csat],
        nps_transactional=nps["ticket"],
        nps_corporate=nps["campaign"],
    )


@router.get("/tickets/{ticket_id}/surveys", response_model=list[InvitationOut])
def ticket_surveys(
    ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> list[InvitationOut]:
    """The surveys sent for a ticket the caller may read, with the answers: staff see all, a
    customer only their own."""
    return [
        InvitationOut(**v)
        for v in service.of_ticket(session, actor=actor, ticket_id=ticket_id, now=now)
    ]


@router.get("/surveys/campaigns", response_model=list[CampaignOut])
def list_campaigns(session: DbSession, actor: CurrentActor) -> list[CampaignOut]:
    """Relationship (corporate) NPS campaigns (admins)."""
    return [CampaignOut(**campaigns.view(c)) for c in campaigns.listing(session, actor=actor)]


@router.post("/surveys/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(
    body: CampaignIn, session: DbSession, actor: CurrentActor, now: Now
) -> CampaignOut:
    """Schedule a relationship NPS campaign (admins; audited): every ``interval_months`` from
    ``next_run_at`` the worker asks a sample of the organizations' contacts, and reminds once."""
    data = body.model_dump()
    if data["next_run_at"] is None:
        data.pop("next_run_at")
    else:
        data["next_run_at"] = data["next_run_at"].astimezone(UTC)
    campaign = campaigns.create(session, actor=actor, data=data, now=now)
    return CampaignOut(**campaigns.view(campaign))


@router.get("/surveys/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: PathId, session: DbSession, actor: CurrentActor) -> CampaignOut:
    return CampaignOut(
        **campaigns.view(campaigns.get(session, actor=actor, campaign_id=campaign_id))
    )


@router.patch("/surveys/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(
    campaign_id: PathId, body: CampaignPatch, session: DbSession, actor: CurrentActor, now: Now
) -> CampaignOut:
    """Change or pause (``active: false``) a campaign (admins; audited)."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("next_run_at") is not None:
        changes["next_run_at"] = changes["next_run_at"].astimezone(UTC)
    campaign = campaigns.update(
        session, actor=actor, campaign_id=campaign_id, changes=changes, now=now
    )
    return CampaignOut(**campaigns.view(campaign))
