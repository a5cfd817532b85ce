"""The weekly e-mail digest (opt-in): each Monday from 08:00 in the subscriber's zone, a
supervisor (or admin) gets last week's figures of the queues they supervise, per queue and in
total, read from the metrics report with their own reach (docs/reports.md).

A week is reported once: the subscription row remembers the Monday of the last week sent and
the e-mail job carries an idempotency key of user and week, so two workers sweeping at once
send one e-mail. Subscribing mid-week sends nothing retroactively: the first digest is the
next Monday's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.audit import record as audit
from atende.auth import service as auth_service
from atende.auth.actor import Actor
from atende.domain.errors import PermissionDenied
from atende.i18n import DEFAULT_TIMEZONE, N_, Text, notice, supported, translate
from atende.jobs import outbox
from atende.queues.models import Queue
from atende.reports import service
from atende.reports.models import ReportDigest

SEND_AT = time(8, 0)  # Monday morning, in the subscriber's zone
HEADER = (
    N_("Queue"), N_("Created"), N_("Resolved tickets"), N_("Open at the end"),
    N_("Median first response"), N_("% first response on time"), N_("% resolved on time"),
    N_("CSAT"),
)  # fmt: skip
ALL_QUEUES = N_("All queues")
WHY = N_("You receive this digest because you turned it on in Reports.")
OPEN = N_("Open the dashboards")
ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class Subscription:
    weekly: bool
    last_week: date | None
    next_at: datetime | None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def reported_week(now: datetime, zone: ZoneInfo) -> date:
    """The Monday of the last whole week whose digest is due by ``now`` (the week before this
    one once this Monday's 08:00 has passed, else the one before that)."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, SEND_AT, zone):
        monday -= timedelta(days=7)
    return monday - timedelta(days=7)


def next_send(last_week: date | None, now: datetime, zone: ZoneInfo) -> datetime:
    """When the next digest leaves (UTC)."""
    week = last_week or reported_week(now, zone)
    return datetime.combine(week + timedelta(days=14), SEND_AT, zone).astimezone(UTC)


def _check_role(actor: Actor) -> None:
    if actor.role not in ROLES or actor.user_id is None:
        raise PermissionDenied("only supervisors and admins receive the weekly digest")


def subscription(session: Session, *, actor: Actor, now: datetime) -> Subscription:
    _check_role(actor)
    row = session.get(ReportDigest, actor.user_id)
    if row is None or not row.weekly:
        return Subscription(False, row.last_week if row else None, None)
    return Subscription(True, row.last_week, next_send(row.last_week, now, _zone(actor.timezone)))


def subscribe(session: Session, *, actor: Actor, weekly: bool, now: datetime) -> Subscription:
    """Turn the caller's digest on or off (on the audit trail). Turning it on marks the week
    already due as sent: nothing is sent for the past."""
    _check_role(actor)
    assert actor.user_id is not None
    row = session.get(ReportDigest, actor.user_id)
    was = bool(row is not None and row.weekly)
    if row is None:
        row = ReportDigest(user_id=actor.user_id, weekly=weekly, updated_at=now)
        session.add(row)
    if was == weekly:
        return subscription(session, actor=actor, now=now)
    row.weekly = weekly
    row.updated_at = now
    if weekly:
        row.last_week = reported_week(now, _zone(actor.timezone))
    user = session.get(User, actor.user_id)
    assert user is not None
    audit.record(
        session, actor=actor, action="updated", entity=user, before={"weekly_digest": was},
        after={"weekly_digest": weekly}, at=now,
    )  # fmt: skip
    session.flush()
    return subscription(session, actor=actor, now=now)


def due_user_ids(session: Session, *, now: datetime) -> list[int]:
    """The subscribers whose last reported week is older than the one due now (few rows: the
    zones are the users', so the check is made here)."""
    rows = session.execute(
        select(ReportDigest.user_id, ReportDigest.last_week, User.timezone)
        .join(User, User.id == ReportDigest.user_id)
        .where(ReportDigest.weekly.is_(True), User.active.is_(True), User.role.in_(ROLES))
    ).all()
    return [
        user_id
        for user_id, last_week, tz in rows
        if last_week is None or last_week < reported_week(now, _zone(tz))
    ]


def send_if_due(session: Session, user_id: int, *, now: datetime, public_url: str) -> bool:
    """Lock the subscription, and if its week is still due, enqueue the digest e-mail and mark
    the week sent (in this transaction). Returns whether one was enqueued."""
    stmt = select(ReportDigest).where(ReportDigest.user_id == user_id).with_for_update()
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    row = session.scalars(stmt).first()
    user = session.get(User, user_id)
    if row is None or user is None or not row.weekly or not user.active:
        return False
    zone = _zone(user.timezone)
    week = reported_week(now, zone)
    if row.last_week is not None and row.last_week >= week:
        return False
    actor = auth_service.actor_for(session, user)
    payload = compose(session, actor=actor, week=week, zone=zone, public_url=public_url)
    outbox.enqueue(
        session, "notify.email", idempotency_key=f"report-digest:{user_id}:{week.isoformat()}",
        **payload,
    )  # fmt: skip
    row.last_week = week
    return True


def compose(
    session: Session, *, actor: Actor, week: date, zone: ZoneInfo, public_url: str
) -> dict[str, Any]:
    """The ``notify.email`` payload of one digest: last week's figures per queue and in
    total, in the subscriber's language."""
    locale = supported(actor.locale) or "pt_BR"
    start = datetime.combine(week, time(0), zone)
    end = datetime.combine(week + timedelta(days=7), time(0), zone)
    filters = service.Filters(start=start, end=end, timezone=zone.key)
    (total,) = service.metrics_report(session, actor=actor, filters=filters)["rows"]
    by_queue = service.metrics_report(
        session, actor=actor, filters=service.Filters(**{**filters.__dict__, "group_by": "queue"})
    )["rows"]
    names: dict[int, str] = {q: n for q, n in session.execute(select(Queue.id, Queue.name))}
    lines: list[tuple[str, dict[str, Any]]] = [
        (names.get(r["group"]["queue_id"], "—"), r) for r in by_queue if r["group"].get("queue_id")
    ]
    lines.sort(key=lambda item: str(item[0]).lower())
    lines.append((translate(locale, ALL_QUEUES), total))

    def say(text: Text) -> str:
        return text.render(locale, zone.key)

    days = say(
        notice(
            "{first} to {last}",
            first=format_date(week, "short", locale=locale),
            last=format_date(week + timedelta(days=6), "short", locale=locale),
        )
    )
    subject = say(notice("Weekly support digest: {days}", days=days))
    greeting = say(notice("Hello, {name}!", name=actor.name))
    intro = say(notice("Your queues' figures from {days}:", days=days))
    header = [translate(locale, h) for h in HEADER]
    table = [_cells(name, row, locale) for name, row in lines]
    link = f"{public_url.rstrip('/')}/reports?days=7"
    text = [greeting, "", intro, ""]
    for cells in table:
        text.append(
            f"{cells[0]}: "
            + "; ".join(f"{h} {c}" for h, c in zip(header[1:], cells[1:], strict=True))
        )
    why = translate(locale, WHY)
    text += ["", say(notice("The dashboards: {link}", link=link)), "", why]
    head = "".join(f'<th style="text-align:left;padding:4px 8px">{escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="padding:4px 8px">{escape(c)}</td>' for c in cells) + "</tr>"
        for cells in table
    )
    html = (
        f"<p>{escape(greeting)}</p><p>{escape(intro)}</p>"
        f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
        f'<p><a href="{escape(link)}">{escape(translate(locale, OPEN))}</a></p>'
        f"<p>{escape(why)}</p>"
    )
    return {"to": [actor.email or ""], "subject": subject, "text": "\n".join(text), "html": html}


def _cells(name: str, row: dict[str, Any], locale: str) -> list[str]:
    counts = row["counts"]
    tmpr = row["tmpr"]
    sla = row["sla_met_percent"]
    csat = row["csat"]

    def pct(value: float | None) -> str:
        return "—" if value is None else format_decimal(value, "0.#", locale=locale) + " %"

    return [
        name,
        format_decimal(counts["created"], locale=locale),
        format_decimal(counts["resolved"], locale=locale),
        "—" if counts["backlog"] is None else format_decimal(counts["backlog"], locale=locale),
        "—"
        if tmpr is None
        else format_timedelta(timedelta(seconds=tmpr["median_s"]), threshold=1.1, locale=locale),
        pct(sla.get("first_response")),
        pct(sla.get("resolution")),
        "—" if csat is None else pct(csat["satisfied_percent"]),
    ]
