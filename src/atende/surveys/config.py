"""The survey settings: read (defaults until an admin changes them) and changed by an admin,
validated, with the change in the configuration audit (decision 0016)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.access import ensure_admin
from atende.auth.actor import Actor
from atende.domain import surveys as rules
from atende.domain.errors import ValidationFailed
from atende.surveys import repository
from atende.surveys.models import SurveySettings

DEFAULTS: dict[str, Any] = {
    "csat_enabled": True,
    "csat_trigger": "closed",
    "delay_minutes": 0,
    "csat_cooldown_days": 7,
    "expiry_days": 14,
    "internal_domains": [],
    "nps_enabled": False,
    "nps_organization_ids": [],
    "nps_plan_ids": [],
    "nps_cooldown_days": 30,
}
FIELDS = tuple(DEFAULTS)


def current(session: Session) -> SurveySettings:
    """The settings in force: the stored row, or the defaults (not stored)."""
    row = repository.settings_row(session)
    if row is not None:
        return row
    return SurveySettings(**{k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()})


def view(row: SurveySettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS} | {"updated_at": row.updated_at}


def update(
    session: Session, *, actor: Actor, changes: dict[str, Any], now: datetime
) -> SurveySettings:
    """Change the settings (admins): ``changes`` as the API's body, each field checked."""
    ensure_admin(actor)
    cleaned = _checked(session, changes)
    row = repository.settings_row(session, for_update=True)
    if row is None:
        row = current(session)
        row.updated_at = now
        session.add(row)
        session.flush()
    before = audit.snapshot(row)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_at = now
    session.flush()
    audit.updated(session, actor, row, before, at=now)
    return row


def _checked(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in changes.items() if k in FIELDS}
    if "internal_domains" in cleaned:
        domains: list[str] = []
        for value in cleaned["internal_domains"] or []:
            try:
                domain = rules.normalize_domain(value)
            except ValueError as exc:
                raise ValidationFailed(str(exc), field="internal_domains") from None
            if domain not in domains:
                domains.append(domain)
        cleaned["internal_domains"] = domains
    if "nps_organization_ids" in cleaned:
        ids = sorted(set(cleaned["nps_organization_ids"] or []))
        missing = repository.missing_organizations(session, ids)
        if missing:
            raise ValidationFailed(
                "no organization with id {ids}",
                field="nps_organization_ids",
                ids=", ".join(map(str, missing)),
            )
        cleaned["nps_organization_ids"] = ids
    if "nps_plan_ids" in cleaned:
        ids = sorted(set(cleaned["nps_plan_ids"] or []))
        missing = repository.missing_plans(session, ids)
        if missing:
            raise ValidationFailed(
                "no plan with id {ids}", field="nps_plan_ids", ids=", ".join(map(str, missing))
            )
        cleaned["nps_plan_ids"] = ids
    for name in ("csat_enabled", "nps_enabled", "csat_trigger", "delay_minutes",
                 "csat_cooldown_days", "expiry_days", "nps_cooldown_days"):  # fmt: skip
        if name in cleaned and cleaned[name] is None:
            raise ValidationFailed("may not be null", field=name)
    return cleaned


def nps_applies(row: SurveySettings, *, organization_id: int | None, plan_id: int | None) -> bool:
    """Is transactional NPS asked after a close of this organization's ticket?"""
    if not row.nps_enabled:
        return False
    return (organization_id is not None and organization_id in row.nps_organization_ids) or (
        plan_id is not None and plan_id in row.nps_plan_ids
    )
