"""The presence report (seed 004): per agent and day (in the report's time zone), the time
online, paused per reason, and offline, from the presence periods ``presence_log`` records
(every change of an agent's presence: by the agent, an expired session, an absence, a logout).

Offline is every second of the day (inside the report's period, and not after now) in which the
agent was neither online nor paused: recorded offline periods and time before any record.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import PermissionDenied
from atende.reports import repository
from atende.reports import service as reports


def day_spans(
    start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[date, datetime, datetime]]:
    """``[start, end)`` cut at local midnights: ``(local day, from, to)`` pieces."""
    out = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(zone)
        day = local.date()
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        piece_end = min(end, midnight)
        out.append((day, cursor, piece_end))
        cursor = piece_end
    return out


def presence_report(
    session: Session, *, actor: Actor, filters: reports.Filters, now: datetime
) -> dict[str, Any]:
    """``{"rows": [{"agent_id", "day", "online_s", "paused_s", "paused_by_reason",
    "offline_s"}]}``: an agent reads their own, supervisors and admins everyone's (as the
    presence log)."""
    zone = reports.check_filters(filters)
    if not actor.is_staff:
        raise PermissionDenied("only staff may read reports")
    user_id = filters.agent_id
    if actor.role == "agent":
        user_id = actor.user_id if actor.user_id is not None else -1
    end = min(filters.end, now)
    start = filters.start
    online: dict[tuple[int, date], int] = defaultdict(int)
    paused: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    agents: set[int] = set()
    if start < end:
        for uid, status, reason, began, ended in repository.presence_periods(
            session, start=start, end=end, user_id=user_id
        ):
            agents.add(uid)
            lo, hi = max(began, start), min(ended or end, end)
            for day, a, b in day_spans(lo, hi, zone):
                seconds = int((b - a).total_seconds())
                if status == "online":
                    online[(uid, day)] += seconds
                elif status == "paused":
                    paused[(uid, day)][reason or ""] += seconds
    if user_id is not None:
        agents.add(user_id)
    elif actor.role != "agent":
        agents.update(repository.staff_ids(session))
    agents.discard(-1)
    rows = []
    days = day_spans(start, end, zone) if start < end else []
    for uid in sorted(agents):
        for day, a, b in days:
            length = int((b - a).total_seconds())
            on = online.get((uid, day), 0)
            by_reason = dict(sorted(paused.get((uid, day), {}).items()))
            off = sum(by_reason.values())
            rows.append({
                "agent_id": uid,
                "day": day.isoformat(),
                "online_s": on,
                "paused_s": off,
                "paused_by_reason": by_reason,
                "offline_s": max(0, length - on - off),
            })  # fmt: skip
    return {"rows": rows}


def flat(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    reasons = sorted({r for row in rows for r in row["paused_by_reason"]})
    header = ["agent_id", "day", "online_s", "paused_s", *[f"paused_{r}_s" for r in reasons],
              "offline_s"]  # fmt: skip
    out = [
        [
            r["agent_id"],
            r["day"],
            r["online_s"],
            r["paused_s"],
            *[r["paused_by_reason"].get(x, 0) for x in reasons],
            r["offline_s"],
        ]
        for r in rows
    ]
    return header, out
