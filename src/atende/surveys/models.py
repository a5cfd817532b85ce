"""Survey settings, invitations (one per survey sent) and relationship NPS campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow

TRIGGERS = ("closed", "resolved")
SOURCES = ("ticket", "campaign")


class SurveySettings(IdMixin, Base):
    """The one row of survey settings (id 1; the defaults until an admin changes them)."""

    __tablename__ = "survey_settings"
    __table_args__ = (
        CheckConstraint(
            "csat_trigger IN ('closed', 'resolved')", name="ck_survey_settings_trigger"
        ),
    )

    csat_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    csat_trigger: Mapped[str] = mapped_column(String(10), default="closed")
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    csat_cooldown_days: Mapped[int] = mapped_column(Integer, default=7)
    expiry_days: Mapped[int] = mapped_column(Integer, default=14)
    internal_domains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    nps_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    nps_organization_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    nps_plan_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    nps_cooldown_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyCampaign(IdMixin, Base):
    """A relationship (corporate) NPS campaign: every ``interval_months`` the contacts of the
    chosen organizations, sampled, are asked; one reminder ``reminder_days`` later."""

    __tablename__ = "survey_campaigns"
    __table_args__ = (Index("ix_survey_campaigns_due", "active", "next_run_at"),)

    name: Mapped[str] = mapped_column(String(200))
    organization_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sample_percent: Mapped[int | None] = mapped_column(Integer)
    sample_max: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(64), default="")
    interval_months: Mapped[int] = mapped_column(Integer, default=3)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cooldown_days: Mapped[int] = mapped_column(Integer, default=90)
    reminder_days: Mapped[int] = mapped_column(Integer, default=7)
    expiry_days: Mapped[int] = mapped_column(Integer, default=28)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyInvitation(IdMixin, Base):
    """One survey sent to one contact: the link's token is signed and its SHA-256 kept here;
    answered once (``answered_at``), before ``expires_at``. ``agent_id`` is the ticket's
    assignee when it was sent, and keeps the rating whatever happens to the ticket later."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        Index("ix_survey_invitations_contact_kind_sent", "contact_id", "kind", "sent_at"),
        Index("ix_survey_invitations_kind_answered", "kind", "answered_at"),
        Index("ix_survey_invitations_reminder", "campaign_id", "reminder_due_at"),
        CheckConstraint("kind IN ('csat', 'nps')", name="ck_survey_invitations_kind"),
        CheckConstraint("source IN ('ticket', 'campaign')", name="ck_survey_invitations_source"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(10), default="ticket")
    ticket_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("survey_campaigns.id", ondelete="SET NULL")
    )
    campaign_round: Mapped[int | None] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="SET NULL")
    )
    agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    queue_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10), default="email")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
