"""The demo's day of operations, loaded after its tickets: the automation playbook of the
seeds, pause reasons, queue assignment modes, agents' presence (with a day of pauses) and
vacation handovers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.agents.models import AgentPresence, User
from atende.auth import service as auth_service
from atende.auth.actor import SYSTEM
from atende.routing import absences, presence
from atende.rules import playbook
from atende.workflows import routing as routing_workflows

LOCAL = ZoneInfo("America/Sao_Paulo")
PAUSE_REASONS = ("Almoço", "Treinamento", "Reunião", "Feedback")
# seed 004: chats are handed out at once; seed 001: the Special Service balances its backlog
MODES = {
    "Suporte N1": "round_robin",
    "Prime - Especialistas": "round_robin",
    "Special Service": "least_loaded",
}


def load(
    session: Session, *, now: datetime, users: dict[str, User], queue_ids: dict[str, int]
) -> int:
    """Returns how many rules the playbook created."""
    rules = playbook.load_playbook(session, now=now)
    for name in PAUSE_REASONS:
        presence.create_reason(session, actor=SYSTEM, name=name, now=now)

    def by_name(first: str) -> User:
        return next(u for u in users.values() if u.name.startswith(first))

    local_now = now.astimezone(LOCAL)
    opening = local_now.replace(hour=8, minute=30, second=0, microsecond=0)
    if opening > now - timedelta(hours=1):
        opening = now - timedelta(hours=6)

    def at(minutes: int) -> datetime:
        return min(opening + timedelta(minutes=minutes), now - timedelta(minutes=1))

    def set_status(user: User, status: str, when: datetime, reason: str | None = None) -> None:
        actor = auth_service.actor_for(session, user)
        routing_workflows.set_presence(session, actor=actor, status=status, reason=reason, now=when)

    # the vacation first: the absent analyst's tickets go to her substitute
    patricia, lucas = by_name("Patrícia"), by_name("Lucas")
    today = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    away = absences.create_absence(
        session, actor=SYSTEM, user_id=patricia.id, starts_at=today - timedelta(days=3),
        ends_at=today + timedelta(days=11), substitute_id=lucas.id, return_tickets=True,
        note="Férias", now=now - timedelta(days=4),
    )  # fmt: skip
    routing_workflows.advance_absence(session, absence_id=away.id, now=now)
    thiago, bruno = by_name("Thiago"), by_name("Bruno")
    absences.create_absence(
        session, actor=SYSTEM, user_id=thiago.id, starts_at=today + timedelta(days=30),
        ends_at=today + timedelta(days=44), substitute_id=bruno.id, return_tickets=False,
        note="Férias", now=now,
    )  # fmt: skip

    for first in ("Bruno", "Rafael", "Camila", "Lucas", "Juliana", "Marcos", "Fernanda"):
        set_status(by_name(first), "online", at(0))
    set_status(bruno, "paused", at(210), "Almoço")
    set_status(bruno, "online", at(270))
    set_status(by_name("Camila"), "paused", at(330), "Feedback")
    set_status(by_name("Camila"), "online", at(345))
    set_status(by_name("Marcos"), "paused", now - timedelta(minutes=40), "Reunião")
    set_status(by_name("Juliana"), "paused", now - timedelta(minutes=25), "Almoço")

    # the day so far was lived in the past; everyone present was last seen just now (the idle
    # sweep sends them offline after ATENDE_PRESENCE_TIMEOUT_MINUTES without activity)
    for user in users.values():
        presence.touch_row(session.get(AgentPresence, user.id), now)

    # queues turn automatic last: their waiting lines are handed out to who is online now
    for qname, mode in MODES.items():
        routing_workflows.update_queue(
            session,
            actor=SYSTEM,
            queue_id=queue_ids[qname],
            changes={"assignment_mode": mode},
            now=now,
        )
    return len(rules)
