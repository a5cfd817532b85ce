"""What a re-evaluation announces: the timeline events of the SLA (policy applied, target
met, warning reached, breached, reopened) and their text; warnings and breaches come back as
signals for the settle loop to escalate and hand to the rules.

When an event is dated:

* **A ticket's first evaluation** (its creation, an import) replays its history: each event at
  the instant it happened (met at the reply, breached at the due instant), and a target breached
  before its warning was ever seen announces the warning too (both escalate, as a live ticket's
  would have).
* **Any later re-evaluation** (a change, the sweeper, a policy or calendar edit) records what it
  finds **once, dated when it happens** (``now``); the instants themselves are in the text and
  in ``after``. A target it finds breached whose warning was never announced gets one
  ``sla_breached`` event and one signal (``skipped_warning``: its escalation also carries the
  warning's priority raise); of the next-response cycles of a target it sees for the first time
  (a new policy) only the current one is announced: the earlier ones ended before the policy
  applied.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.domain import sla as sla_domain
from atende.sla.models import TicketSlaTarget
from atende.sla.policies import ActivePolicy
from atende.sla.signals import SlaSignal
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event

KIND_LABELS: Final = {
    sla_domain.TargetKind.FIRST_RESPONSE: "first response",
    sla_domain.TargetKind.NEXT_RESPONSE: "next response",
    sla_domain.TargetKind.RESOLUTION: "resolution",
}
FINAL: Final = frozenset({sla_domain.State.MET.value, sla_domain.State.BREACHED.value})
PRIVATE: Final = "private_"
"""The prefix of a private (staff-only) target's kind: ``private_first_response``."""


def announce(
    session: Session,
    ticket: Ticket,
    old: TicketSlaTarget | None,
    cycles: tuple[sla_domain.TargetClock, ...],
    *,
    now: datetime,
    tz: tzinfo,
    policy: ActivePolicy,
    historic: bool = True,
    private: bool = False,
) -> list[SlaSignal]:
    """Timeline events for a target (or its next-response cycles) whose state changed; the
    warnings and breaches among them come back as signals. ``historic``: the ticket's first
    evaluation, whose events are dated when they happened; otherwise they are dated ``now``
    (see the module's notes). ``private``: the policy's private (staff-only) target of that
    kind, labelled "private first response" and signalled as ``private_first_response``."""
    signals: list[SlaSignal] = []
    prefix = PRIVATE if private else ""

    def when(instant: datetime) -> datetime:
        return min(instant, now) if historic else now

    def signal(
        event: str, clock: sla_domain.TargetClock, label: str, at: datetime, skipped: bool = False
    ) -> None:
        signals.append(
            SlaSignal(
                event,
                prefix + clock.kind.value,
                label,
                clock.cycle,
                policy.id,
                clock.due_at,
                at,
                skipped,
            )
        )

    def warn(clock: sla_domain.TargetClock, label: str, warning_at: datetime) -> None:
        at = when(warning_at)
        text = f"{label} nearing its target: due {_due_text(clock, tz)}"
        sla_event(session, ticket, "sla_warning", text, at=at, after=_clock_json(clock, prefix))
        signal("sla_warning", clock, label, at)

    if old is None and not historic:
        cycles = cycles[-1:]  # a target seen for the first time: its current cycle only
    for clock in cycles:
        same = old is not None and old.cycle == clock.cycle and old.started_at == clock.started_at
        if old is not None and not same and clock.cycle < old.cycle:
            continue  # an earlier cycle, already announced
        old_state = old.state if same and old is not None else None
        warned = bool(old.warned) if same and old is not None else False
        label = ("private " if private else "") + KIND_LABELS[clock.kind]
        if clock.kind is sla_domain.TargetKind.NEXT_RESPONSE and clock.cycle > 1:
            label = f"{label} #{clock.cycle}"
        state = clock.state.value
        if state in FINAL:
            if state == old_state:
                continue
            if state == "met" and clock.met_at is not None and clock.due_at is not None:
                sla_event(
                    session,
                    ticket,
                    "sla_met",
                    f"{label} met {_ahead(clock.due_at - clock.met_at)} before due",
                    at=when(clock.met_at),
                    after=_clock_json(clock, prefix),
                )
            elif clock.breached_at is not None:
                skipped = (
                    not warned
                    and clock.warning_at is not None
                    and clock.met_at is None
                    and old_state != "breached"
                )  # still owed and breached before its warning was ever announced
                if skipped and historic:
                    # an import: its history had the warning, and its escalation applies
                    warn(clock, label, clock.warning_at)  # type: ignore[arg-type]
                    skipped = False
                late = ""
                if clock.met_at is not None:
                    late = f"; done {_ahead(clock.met_at - clock.breached_at)} late"
                sla_event(
                    session,
                    ticket,
                    "sla_breached",
                    f"{label} breached at {_local(clock.breached_at, tz)}{late}",
                    at=when(clock.breached_at),
                    after=_clock_json(clock, prefix),
                )
                if clock.met_at is None:  # still owed: escalate (a late reply is history)
                    signal("sla_breach", clock, label, when(clock.breached_at), skipped)
            continue
        if old_state == "met":
            sla_event(
                session,
                ticket,
                "sla_reopened",
                f"{label} clock running again (reopened); due {_due_text(clock, tz)}",
                at=now,
                after=_clock_json(clock, prefix),
            )
        if not warned and clock.warning_at is not None and clock.warning_at <= now:
            warn(clock, label, clock.warning_at)
    return signals


def _due_text(clock: sla_domain.TargetClock, tz: tzinfo) -> str:
    return _local(clock.due_at, tz) if clock.due_at is not None else "when the clock starts"


def _ahead(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0 min"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _local(at: datetime, tz: tzinfo) -> str:
    """``2026-03-03 10:00:00-03:00``: an instant as the desk's calendar reads it."""
    return at.astimezone(tz).isoformat(sep=" ")


def _clock_json(clock: sla_domain.TargetClock, prefix: str = "") -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "kind": prefix + clock.kind.value,
        "cycle": clock.cycle,
        "state": clock.state.value,
        "due_at": iso(clock.due_at),
        "met_at": iso(clock.met_at),
        "breached_at": iso(clock.breached_at),
        "business_seconds_used": clock.business_seconds_used,
    }


def sla_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    detail: str,
    *,
    at: datetime,
    before: Any = None,
    after: Any = None,
) -> None:
    record_event(
        session,
        ticket,
        actor=SYSTEM,
        kind=kind,
        at=at,
        before=before,
        after=after,
        detail=detail,
        actor_label="SLA",
    )
