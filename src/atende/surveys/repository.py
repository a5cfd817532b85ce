"""Every query of the surveys area, and the two read functions the reports use:
:func:`csat_summary` and :func:`nps_summary` (answered surveys between two instants, grouped)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, false, func, or_, select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.auth.actor import Actor
from atende.customers.models import Contact, Organization, Plan
from atende.domain import surveys as rules
from atende.domain.errors import PermissionDenied, ValidationFailed
from atende.queues.models import Queue
from atende.surveys.models import SurveyCampaign, SurveyInvitation, SurveySettings

GROUPS = ("agent", "queue", "organization", "day", "week", "month")
PERIODS = ("day", "week", "month")
_COLUMNS = {
    "agent": SurveyInvitation.agent_id,
    "queue": SurveyInvitation.queue_id,
    "organization": SurveyInvitation.organization_id,
}
STAFF_ROLES = ("admin", "supervisor", "agent")


# --- settings, contacts, tickets' people ------------------------------------------------------


def settings_row(session: Session, *, for_update: bool = False) -> SurveySettings | None:
    stmt = select(SurveySettings).order_by(SurveySettings.id).limit(1)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def contact(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def organization(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def is_staff_email(session: Session, email: str) -> bool:
    """Does an active staff user have this e-mail (an agent who opened a ticket as a contact)?"""
    found = session.scalar(
        select(User.id)
        .where(func.lower(User.email) == email.strip().lower(), User.role.in_(STAFF_ROLES))
        .limit(1)
    )
    return found is not None


def is_staff_contact(session: Session, contact_id: int) -> bool:
    found = session.scalar(
        select(User.id).where(User.contact_id == contact_id, User.role.in_(STAFF_ROLES)).limit(1)
    )
    return found is not None


def missing_organizations(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    found = set(session.scalars(select(Organization.id).where(Organization.id.in_(wanted))))
    return sorted(wanted - found)


def missing_plans(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    found = set(session.scalars(select(Plan.id).where(Plan.id.in_(wanted))))
    return sorted(wanted - found)


def contacts_of_organizations(
    session: Session, organization_ids: Sequence[int]
) -> Sequence[Contact]:
    """The contacts with an e-mail of these organizations (a campaign's population)."""
    if not organization_ids:
        return []
    return session.scalars(
        select(Contact)
        .where(Contact.organization_id.in_(sorted(set(organization_ids))))
        .where(Contact.email.is_not(None), Contact.email != "")
        .order_by(Contact.id)
    ).all()


def staff_contact_ids(session: Session, contacts: Sequence[Contact]) -> set[int]:
    """Of ``contacts``, those who are staff (linked to a staff user, or sharing their e-mail)."""
    if not contacts:
        return set()
    ids = [c.id for c in contacts]
    emails = {c.email.lower() for c in contacts if c.email}
    linked = set(
        session.scalars(
            select(User.contact_id).where(User.contact_id.in_(ids), User.role.in_(STAFF_ROLES))
        )
    )
    staff_emails = set(
        session.scalars(
            select(func.lower(User.email)).where(
                func.lower(User.email).in_(emails), User.role.in_(STAFF_ROLES)
            )
        )
    )
    return {c.id for c in contacts if c.id in linked or (c.email or "").lower() in staff_emails}


# --- invitations -------------------------------------------------------------------------------


def invitation_by_hash(
    session: Session, token_sha256: str, *, for_update: bool = False
) -> SurveyInvitation | None:
    stmt = select(SurveyInvitation).where(SurveyInvitation.token_sha256 == token_sha256)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def invitation(session: Session, invitation_id: int) -> SurveyInvitation | None:
    return session.get(SurveyInvitation, invitation_id)


def last_sent_at(session: Session, *, contact_id: int, kind: str, source: str) -> datetime | None:
    """When the contact was last sent a survey of this kind and source (the cooldown)."""
    return session.scalar(
        select(func.max(SurveyInvitation.sent_at)).where(
            SurveyInvitation.contact_id == contact_id,
            SurveyInvitation.kind == kind,
            SurveyInvitation.source == source,
        )
    )


def recently_surveyed(
    session: Session,
    *,
    contact_ids: Sequence[int],
    kind: str,
    since: datetime,
    besides_campaign_id: int | None = None,
) -> set[int]:
    """Of ``contact_ids``, those sent a survey of ``kind`` since ``since``, by anything but the
    campaign ``besides_campaign_id`` (whose own rounds its interval spaces)."""
    if not contact_ids:
        return set()
    stmt = (
        select(SurveyInvitation.contact_id)
        .where(SurveyInvitation.contact_id.in_(sorted(set(contact_ids))))
        .where(SurveyInvitation.kind == kind, SurveyInvitation.sent_at >= since)
    )
    if besides_campaign_id is not None:
        stmt = stmt.where(
            or_(
                SurveyInvitation.campaign_id.is_(None),
                SurveyInvitation.campaign_id != besides_campaign_id,
            )
        )
    return set(session.scalars(stmt))


def has_invitation(session: Session, *, ticket_id: int, kind: str) -> bool:
    found = session.scalar(
        select(SurveyInvitation.id)
        .where(SurveyInvitation.ticket_id == ticket_id, SurveyInvitation.kind == kind)
        .limit(1)
    )
    return found is not None


def invitations_of_ticket(
    session: Session, ticket_id: int, *, contact_id: int | None = None
) -> Sequence[SurveyInvitation]:
    """A ticket's surveys, oldest first; only ``contact_id``'s when given (a customer's view)."""
    stmt = select(SurveyInvitation).where(SurveyInvitation.ticket_id == ticket_id)
    if contact_id is not None:
        stmt = stmt.where(SurveyInvitation.contact_id == contact_id)
    return session.scalars(stmt.order_by(SurveyInvitation.id)).all()


def user_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return {
        uid: name
        for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    }


def due_reminder_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Unanswered campaign invitations whose one reminder is due (and not yet expired)."""
    return list(
        session.scalars(
            select(SurveyInvitation.id)
            .where(SurveyInvitation.campaign_id.is_not(None))
            .where(SurveyInvitation.reminder_due_at.is_not(None))
            .where(SurveyInvitation.reminder_due_at <= now)
            .where(SurveyInvitation.answered_at.is_(None), SurveyInvitation.expires_at > now)
            .order_by(SurveyInvitation.reminder_due_at, SurveyInvitation.id)
            .limit(limit)
        )
    )


# --- campaigns ---------------------------------------------------------------------------------


def campaigns(session: Session) -> Sequence[SurveyCampaign]:
    return session.scalars(select(SurveyCampaign).order_by(SurveyCampaign.id)).all()


def campaign(
    session: Session, campaign_id: int, *, for_update: bool = False
) -> SurveyCampaign | None:
    stmt = select(SurveyCampaign).where(SurveyCampaign.id == campaign_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def due_campaign_ids(session: Session, *, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(SurveyCampaign.id)
            .where(SurveyCampaign.active.is_(True), SurveyCampaign.next_run_at <= now)
            .order_by(SurveyCampaign.next_run_at, SurveyCampaign.id)
        )
    )


# --- the reports' read functions ----------------------------------------------------------------


@dataclass(frozen=True)
class CsatRow:
    group: dict[str, Any]
    count: int
    satisfied: int
    satisfied_percent: float | None
    average: float | None


@dataclass(frozen=True)
class NpsRow:
    group: dict[str, Any]
    count: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


def _answered(
    actor: Actor, *, kind: str, start: datetime, end: datetime, source: str | None
) -> Select[Any]:
    if not actor.is_staff:
        raise PermissionDenied("only staff may read survey results")
    if end <= start:
        raise ValidationFailed("must come after 'from'", field="to")
    stmt = (
        select()
        .select_from(SurveyInvitation)
        .where(
            SurveyInvitation.kind == kind,
            SurveyInvitation.answered_at >= start,
            SurveyInvitation.answered_at < end,
            SurveyInvitation.score.is_not(None),
        )
    )
    if source is not None:
        stmt = stmt.where(SurveyInvitation.source == source)
    if not actor.sees_all_tickets:  # an agent: the ratings recorded on them
        stmt = stmt.where(
            SurveyInvitation.agent_id == actor.user_id if actor.user_id is not None else false()
        )
    return stmt


def _grouped(
    session: Session,
    stmt: Select[Any],
    group_by: str | None,
    tz: ZoneInfo,
    *,
    kind: str,
) -> list[tuple[dict[str, Any], int, int, int, int]]:
    """(group, count, high, low, sum of scores) per group: high = satisfied (CSAT) or promoters
    (NPS), low = detractors (NPS)."""
    if group_by is not None and group_by not in GROUPS:
        raise ValidationFailed(
            "must be one of {groups}", field="group_by", groups=", ".join(GROUPS)
        )
    score = SurveyInvitation.score
    high = rules.SATISFIED_CSAT if kind == "csat" else rules.PROMOTER
    high_sum = func.sum(case((score >= high, 1), else_=0))
    low_sum = func.sum(case((score <= rules.DETRACTOR_MAX, 1), else_=0))
    aggregates = (func.count(), high_sum, low_sum, func.sum(score))
    if group_by is None:
        row = session.execute(stmt.add_columns(*aggregates)).one()
        return [({}, int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))]
    if group_by in PERIODS:
        return _by_period(session, stmt, group_by, tz, high)
    column = _COLUMNS[group_by]
    rows = session.execute(stmt.add_columns(column, *aggregates).group_by(column)).all()
    names = _names(session, group_by, [r[0] for r in rows if r[0] is not None])
    found = [
        ({f"{group_by}_id": r[0], "name": names.get(r[0]) if r[0] is not None else None},
         int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
        for r in rows
    ]  # fmt: skip
    return sorted(
        found, key=lambda g: (g[0]["name"] is None, g[0]["name"] or "", g[0][f"{group_by}_id"] or 0)
    )


def _names(session: Session, group_by: str, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    model: Any = {"agent": User, "queue": Queue, "organization": Organization}[group_by]
    return {i: n for i, n in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def _period_start(moment: datetime, period: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz).date()
    if period == "week":
        local = local - timedelta(days=local.weekday())
    elif period == "month":
        local = local.replace(day=1)
    return local.isoformat()


def _by_period(
    session: Session, stmt: Select[Any], period: str, tz: ZoneInfo, high: int
) -> list[tuple[dict[str, Any], int, int, int, int]]:
    """Periods in the reporting zone: the answers are read (answered surveys are few next to
    tickets) and counted here, so both databases agree on the calendar."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for answered_at, score in session.execute(
        stmt.add_columns(SurveyInvitation.answered_at, SurveyInvitation.score)
    ):
        c = counts[_period_start(answered_at, period, tz)]
        c[0] += 1
        c[1] += score >= high
        c[2] += score <= rules.DETRACTOR_MAX
        c[3] += score
    return [({"period": key}, *counts[key]) for key in sorted(counts)]  # type: ignore[misc]


def csat_summary(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    group_by: str | None,
    actor: Actor,
    tz: ZoneInfo | None = None,
) -> list[CsatRow]:
    """CSAT of the surveys answered in [start, end): per group the count, the % satisfied (4–5)
    and the average score. ``group_by``: None (one row), agent (the agent recorded when the
    survey was sent), queue, organization, day, week or month (in ``tz``, default São Paulo).
    Admins and supervisors read every rating, an agent their own; a customer none (403)."""
    stmt = _answered(actor, kind="csat", start=start, end=end, source=None)
    rows = _grouped(session, stmt, group_by, tz or _DEFAULT_TZ, kind="csat")
    out = []
    for group, count, satisfied, _low, total in rows:
        f = rules.csat_figures(count, satisfied, total)
        out.append(CsatRow(group, f.count, f.satisfied, f.satisfied_percent, f.average))
    return out


def nps_summary(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    group_by: str | None,
    actor: Actor,
    source: str | None = None,
    tz: ZoneInfo | None = None,
) -> list[NpsRow]:
    """NPS of the surveys answered in [start, end): per group the count, promoters (9–10),
    passives, detractors (0–6) and promoters − detractors in %. ``source``: ``ticket``
    (transactional, after a close), ``campaign`` (corporate) or None (both). Groups and access
    as :func:`csat_summary`."""
    stmt = _answered(actor, kind="nps", start=start, end=end, source=source)
    rows = _grouped(session, stmt, group_by, tz or _DEFAULT_TZ, kind="nps")
    out = []
    for group, count, promoters, detractors, _total in rows:
        f = rules.nps_figures(count, promoters, detractors)
        out.append(NpsRow(group, f.count, f.promoters, f.passives, f.detractors, f.nps))
    return out


_DEFAULT_TZ = ZoneInfo("America/Sao_Paulo")
