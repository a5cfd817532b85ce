"""Satisfaction surveys: settings, invitations (CSAT and NPS) and relationship NPS campaigns
(issue 19, seeds 000 and 001).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey_settings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("csat_enabled", sa.Boolean(), nullable=False),
        sa.Column("csat_trigger", sa.String(10), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("csat_cooldown_days", sa.Integer(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("internal_domains", sa.JSON(), nullable=False),
        sa.Column("nps_enabled", sa.Boolean(), nullable=False),
        sa.Column("nps_organization_ids", sa.JSON(), nullable=False),
        sa.Column("nps_plan_ids", sa.JSON(), nullable=False),
        sa.Column("nps_cooldown_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.CheckConstraint(
            "csat_trigger IN ('closed', 'resolved')", name="ck_survey_settings_trigger"
        ),
    )
    op.create_table(
        "survey_campaigns",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization_ids", sa.JSON(), nullable=False),
        sa.Column("sample_percent", sa.Integer()),
        sa.Column("sample_max", sa.Integer()),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("next_run_at", When, nullable=False),
        sa.Column("cooldown_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_survey_campaigns_due", "survey_campaigns", ["active", "next_run_at"])
    op.create_table(
        "survey_invitations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE")),
        sa.Column("campaign_id", BigId, sa.ForeignKey("survey_campaigns.id", ondelete="SET NULL")),
        sa.Column("campaign_round", sa.Integer()),
        sa.Column(
            "contact_id", BigId, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("organization_id", BigId, sa.ForeignKey("organizations.id", ondelete="SET NULL")),
        sa.Column("agent_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("queue_id", BigId, sa.ForeignKey("queues.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("sent_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("reminder_due_at", When),
        sa.Column("reminded_at", When),
        sa.Column("first_click_at", When),
        sa.Column("answered_at", When),
        sa.Column("score", sa.Integer()),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('csat', 'nps')", name="ck_survey_invitations_kind"),
        sa.CheckConstraint("source IN ('ticket', 'campaign')", name="ck_survey_invitations_source"),
    )
    op.create_index("ix_survey_invitations_ticket_id", "survey_invitations", ["ticket_id"])
    op.create_index(
        "ix_survey_invitations_contact_kind_sent",
        "survey_invitations",
        ["contact_id", "kind", "sent_at"],
    )
    op.create_index(
        "ix_survey_invitations_kind_answered", "survey_invitations", ["kind", "answered_at"]
    )
    op.create_index(
        "ix_survey_invitations_reminder", "survey_invitations", ["campaign_id", "reminder_due_at"]
    )


def downgrade() -> None:
    op.drop_table("survey_invitations")
    op.drop_table("survey_campaigns")
    op.drop_table("survey_settings")
