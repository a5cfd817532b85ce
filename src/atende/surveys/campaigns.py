"""Relationship (corporate) NPS campaigns (seed 001): an admin schedules one for chosen
organizations (the key accounts); every ``interval_months`` the worker asks a deterministic
sample of their contacts (skipping staff, internal domains and anyone asked an NPS within the
cooldown), and reminds once those who did not answer. Created and changed by admins, audited."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.domain import surveys as rules
from atende.domain.errors import NotFound, ValidationFailed
from atende.surveys import config, repository, service, tokens
from atende.surveys.models import SurveyCampaign

FIELDS = (
    "name", "organization_ids", "sample_percent", "sample_max", "seed", "interval_months",
    "next_run_at", "cooldown_days", "reminder_days", "expiry_days", "active",
)  # fmt: skip


def view(campaign: SurveyCampaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in FIELDS} | {
        "id": campaign.id,
        "rounds": campaign.rounds,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
    }


def _checked(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in FIELDS}
    if "organization_ids" in cleaned:
        ids = sorted(set(cleaned["organization_ids"] or []))
        if not ids:
            raise ValidationFailed("choose at least one organization", field="organization_ids")
        missing = repository.missing_organizations(session, ids)
        if missing:
            raise ValidationFailed(
                "no organization with id {ids}",
                field="organization_ids",
                ids=", ".join(map(str, missing)),
            )
        cleaned["organization_ids"] = ids
    for name in ("name", "interval_months", "next_run_at", "cooldown_days", "reminder_days",
                 "expiry_days", "active", "seed"):  # fmt: skip
        if name in cleaned and cleaned[name] is None:
            raise ValidationFailed("may not be null", field=name)
    return cleaned


def _check_reminder(campaign: SurveyCampaign) -> None:
    if campaign.reminder_days and campaign.reminder_days >= campaign.expiry_days:
        raise ValidationFailed(
            "the reminder ({reminder_days} days) must come before the "
            "link expires ({expiry_days} days)",
            field="reminder_days",
            reminder_days=campaign.reminder_days,
            expiry_days=campaign.expiry_days,
        )


def create(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> SurveyCampaign:
    ensure_admin(actor)
    cleaned = _checked(session, {k: v for k, v in data.items() if not (k == "seed" and not v)})
    if "organization_ids" not in cleaned:
        raise ValidationFailed("choose at least one organization", field="organization_ids")
    cleaned.setdefault("next_run_at", now)
    if not cleaned.get("seed"):
        cleaned["seed"] = secrets.token_hex(8)
    campaign = SurveyCampaign(**cleaned, rounds=0, created_at=now, updated_at=now)
    for name, default in (("interval_months", 3), ("cooldown_days", 90), ("reminder_days", 7),
                          ("expiry_days", 28), ("active", True)):  # fmt: skip
        if getattr(campaign, name) is None:
            setattr(campaign, name, default)
    _check_reminder(campaign)
    session.add(campaign)
    session.flush()
    audit.created(session, actor, campaign, at=now)
    return campaign


def get(session: Session, *, actor: Actor, campaign_id: int) -> SurveyCampaign:
    ensure_admin(actor)
    found = repository.campaign(session, campaign_id)
    if found is None:
        raise NotFound("no survey campaign {campaign_id}", campaign_id=campaign_id)
    return found


def listing(session: Session, *, actor: Actor) -> list[SurveyCampaign]:
    ensure_admin(actor)
    return list(repository.campaigns(session))


def update(
    session: Session, *, actor: Actor, campaign_id: int, changes: dict[str, Any], now: datetime
) -> SurveyCampaign:
    ensure_admin(actor)
    campaign = repository.campaign(session, campaign_id, for_update=True)
    if campaign is None:
        raise NotFound("no survey campaign {campaign_id}", campaign_id=campaign_id)
    cleaned = _checked(session, changes)
    before = audit.snapshot(campaign)
    for name, value in cleaned.items():
        setattr(campaign, name, value)
    _check_reminder(campaign)
    campaign.updated_at = now
    session.flush()
    audit.updated(session, actor, campaign, before, at=now)
    return campaign


def run_if_due(
    session: Session, campaign_id: int, *, now: datetime, secret_key: str, public_url: str
) -> int:
    """One round of a due campaign (locked and re-checked): how many were asked."""
    campaign = repository.campaign(session, campaign_id, for_update=True)
    if campaign is None or not campaign.active or campaign.next_run_at > now:
        return 0
    campaign.rounds += 1
    while campaign.next_run_at <= now:  # a round missed (worker down) is not run twice
        campaign.next_run_at = rules.add_months(campaign.next_run_at, campaign.interval_months)
    settings = config.current(session)
    contacts = [
        c
        for c in repository.contacts_of_organizations(session, campaign.organization_ids)
        if not rules.is_internal(c.email, settings.internal_domains)
    ]
    staff = repository.staff_contact_ids(session, contacts)
    contacts = [c for c in contacts if c.id not in staff]
    since = now - timedelta(days=campaign.cooldown_days)
    recent = repository.recently_surveyed(
        session, contact_ids=[c.id for c in contacts], kind="nps", since=since,
        besides_campaign_id=campaign.id,
    )  # fmt: skip
    eligible = {c.id: c for c in contacts if c.id not in recent}
    chosen = rules.sample(
        eligible,
        percent=campaign.sample_percent,
        maximum=campaign.sample_max,
        seed=f"{campaign.seed}:{campaign.rounds}",
    )
    for contact_id in chosen:
        service.invite(
            session, kind="nps", source="campaign", contact=eligible[contact_id], ticket=None,
            expiry_days=campaign.expiry_days, now=now, secret_key=secret_key,
            public_url=public_url, campaign_id=campaign.id, campaign_round=campaign.rounds,
            reminder_days=campaign.reminder_days or None,
        )  # fmt: skip
    return len(chosen)


def remind_if_due(
    session: Session, invitation_id: int, *, now: datetime, secret_key: str, public_url: str
) -> bool:
    """The one reminder of an unanswered campaign survey (the same link)."""
    invitation = repository.invitation(session, invitation_id)
    if (
        invitation is None
        or invitation.answered_at is not None
        or invitation.reminder_due_at is None
        or invitation.reminder_due_at > now
        or invitation.expires_at <= now
    ):
        return False
    contact = repository.contact(session, invitation.contact_id)
    invitation.reminder_due_at = None
    invitation.reminded_at = now
    if contact is None or not contact.email:
        return False
    service.enqueue_mail(
        session, invitation, contact, None, token=tokens.new_token(secret_key, invitation.id),
        public_url=public_url, reminder=True,
    )  # fmt: skip
    return True
