"""The demo tickets: 200 cases over the last 30 days, each with the history an admin import
would give it (replies, notes, resolution, closing), deterministic for a seed and a ``now``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.agents.models import User
from atende.auth import service as auth_service
from atende.customers.models import Contact, Organization
from atende.demo.catalogue import FIELD_DESK_PLANS, OrgSpec
from atende.demo.stories import ANSWERS, CHANNEL_WEIGHTS, STORIES, THANKS, Story
from atende.tickets.models import Ticket
from atende.tickets.schemas import TicketIn
from atende.workflows import tickets as ticket_workflows

LOCAL = ZoneInfo("America/Sao_Paulo")
CHANNELS = ("chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api")


@dataclass
class World:
    """What the tickets are about: the customers, the queues and their members, the admin who
    records them, and the random generator and clock that make them repeatable."""

    rng: random.Random
    now: datetime
    orgs: list[tuple[Organization, OrgSpec, list[Contact]]]
    prospects: list[Contact]
    queue_ids: dict[str, int]
    members: dict[str, list[User]]
    admin: User


def load_tickets(
    session: Session,
    world: World,
    *,
    count: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Ticket]:
    """Create ``count`` tickets with their histories through ``create_ticket`` (as the admin)."""
    actor = auth_service.actor_for(session, world.admin)
    specs = [_ticket_spec(world, index) for index in range(count)]
    specs.sort(key=lambda s: s["created_at"])  # numbers grow with time, as in real life
    created = []
    for done, spec in enumerate(specs, start=1):
        settled = ticket_workflows.create_ticket(
            session, actor=actor, data=TicketIn.model_validate(spec), now=world.now
        )
        created.append(settled.ticket)
        if on_progress is not None:
            on_progress(done, count)
    return created


def _ticket_spec(world: World, index: int) -> dict[str, Any]:
    """One ticket with its history, as an admin import would describe it."""
    rng, now = world.rng, world.now
    org: Organization | None
    if rng.random() < 0.04:
        story = rng.choice([s for s in STORIES if s.non_customer])
        contact, org, spec = rng.choice(world.prospects), None, None
    else:
        weights = [2 if s.key_account else 1 for _o, s, _c in world.orgs]
        org, spec, contacts = rng.choices(world.orgs, weights=weights)[0]
        contact = rng.choice(contacts)
        with_field_desk = spec.plan in FIELD_DESK_PLANS
        candidates = [
            s
            for s in STORIES
            if not s.non_customer
            and s.field_desk != ("paid" if with_field_desk else "included")
            and (spec.key_account or not s.key_accounts_only)
        ]
        story_weights = [
            s.weight * (4 if s.for_delinquent and spec.delinquent else 1) for s in candidates
        ]
        story = rng.choices(candidates, weights=story_weights)[0]

    queue = story.queue or _route(spec)
    channel = (
        CHANNELS[index]
        if index < len(CHANNELS)
        else rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    )
    created = _created_at(rng, now)
    values = {
        "contato": contact.name.split()[0],
        "loja": f"{rng.randrange(1, max(spec.stores, 1) + 1):02d}" if spec else "01",
        "nota": str(rng.randrange(1_200, 98_000)),
        "pdv": str(rng.randrange(1, 9)),
    }
    subject_template, body_template = rng.choice(story.cases)
    subject, first = subject_template.format(**values), body_template.format(**values)
    if queue == "Prime - Especialistas" and channel == "chat":
        first = "#prime " + first
    agents = world.members[queue]
    agent = rng.choice(agents) if agents else None
    status, messages, resolved_at, closed_at = _history(
        rng, now=now, created=created, story=story, values=values, channel=channel, agent=agent
    )
    tags = list(story.tags)
    if spec is not None and spec.delinquent:
        tags.append("inadimplente")
    if spec is not None and spec.key_account:
        tags.append("cliente-chave")
    data: dict[str, Any] = {
        "subject": subject,
        "body": first,
        "channel": channel,
        "priority": rng.choice(story.priorities),
        "type": story.type,
        "queue_id": world.queue_ids[queue],
        "contact_id": contact.id,
        "tags": sorted(set(tags)),
        "created_at": created,
        "status": status,
        "messages": messages,
    }
    if org is not None:
        data["organization_id"] = org.id
    if agent is not None and status != "new":
        data["assignee_id"] = agent.id
    if resolved_at is not None:
        data["resolved_at"] = resolved_at
    if closed_at is not None:
        data["closed_at"] = closed_at
    if channel == "chat" and len(messages) > 1:
        data["chat_ended_at"] = min(messages[-1]["created_at"] + timedelta(minutes=2), now)
    return data


def _route(spec: OrgSpec | None) -> str:
    if spec is None:
        return "Clientes"
    if spec.key_account:
        return "Special Service"
    if spec.plan == "Prime":
        return "Prime - Especialistas"
    return "Suporte N1"


def _created_at(rng: random.Random, now: datetime) -> datetime:
    """A moment in the last 30 days, during the desk's hours (08:00-21:00 in São Paulo)."""
    local_now = now.astimezone(LOCAL)
    for _ in range(100):
        recent = rng.random() < 0.12  # today's and yesterday's inbox is busier
        day = local_now.date() - timedelta(days=rng.randrange(0, 2 if recent else 30))
        moment = datetime.combine(
            day, time(rng.randrange(8, 21), rng.randrange(0, 60), rng.randrange(0, 60)), LOCAL
        ).astimezone(UTC)
        if now - timedelta(days=30) < moment < now - timedelta(minutes=5):
            return moment
    return now - timedelta(hours=1)


class _Late(Exception):
    """The next step of a history would happen after ``now``: the story stops there."""


def _desk_hours(moment: datetime, rng: random.Random) -> datetime:
    """Agents answer while the desk is open (08:00-21:00 in São Paulo, every day)."""
    local = moment.astimezone(LOCAL)
    if local.hour < 8:
        local = datetime.combine(local.date(), time(8, rng.randrange(0, 40)), LOCAL)
    elif local.hour >= 21:
        local = datetime.combine(
            local.date() + timedelta(days=1), time(8, rng.randrange(0, 40)), LOCAL
        )
    return local.astimezone(UTC)


def _history(
    rng: random.Random,
    *,
    now: datetime,
    created: datetime,
    story: Story,
    values: dict[str, str],
    channel: str,
    agent: User | None,
) -> tuple[str, list[dict[str, Any]], datetime | None, datetime | None]:
    """Status, the messages after the opening one, and the resolution and closing times.

    A history that would run past ``now`` stops at its last step before ``now``.
    """
    age = now - created
    roll = rng.random()
    if agent is None:
        return "new", [], None, None
    if age < timedelta(hours=8):
        outcome = "new" if roll < 0.45 else "open" if roll < 0.75 else "pending_customer"
    elif age < timedelta(days=2):
        outcome = (
            "new"
            if roll < 0.1
            else "open"
            if roll < 0.4
            else "pending_customer"
            if roll < 0.6
            else "pending_internal"
            if roll < 0.75
            else "resolved"
        )
    else:
        outcome = (
            "open"
            if roll < 0.05
            else "pending_customer"
            if roll < 0.1
            else "pending_internal"
            if roll < 0.15
            else "resolved"
        )
    if outcome == "new":
        return "new", [], None, None
    if outcome == "pending_internal" and not story.forward:
        outcome = "pending_customer"

    messages: list[dict[str, Any]] = []
    clock = created

    def later(gap: tuple[int, int], *, desk: bool) -> datetime:
        moment = clock + timedelta(minutes=rng.randrange(*gap))
        if desk:
            moment = _desk_hours(moment, rng)
        if moment >= now:
            raise _Late
        return moment

    def add(author: str, body: str, *, public: bool = True, gap: tuple[int, int]) -> None:
        nonlocal clock
        clock = later(gap, desk=author == "agent")
        msg: dict[str, Any] = {"author": author, "body": body, "public": public}
        if author == "agent" and agent is not None:
            msg["agent_id"] = agent.id
        msg["created_at"] = clock
        messages.append(msg)

    try:
        add("agent", story.reply.format(**values), gap=(2, 40))
        if outcome == "pending_customer":
            add("agent", story.question.format(**values), gap=(1, 10))
            return "pending_customer", messages, None, None
        if outcome == "pending_internal":
            add("agent", story.forward, public=False, gap=(2, 30))
            return "pending_internal", messages, None, None
        if outcome == "open":
            add("contact", rng.choice(ANSWERS), gap=(5, 120))
            return "open", messages, None, None
        if rng.random() < 0.5:
            add("agent", story.question.format(**values), gap=(1, 10))
            add("contact", rng.choice(ANSWERS), gap=(5, 240))
        solution = story.solution.format(**values)
        if channel == "phone":  # seed 002: a written summary of every call
            solution = "Resumo da nossa ligação: " + solution
        add("agent", solution, gap=(10, 600))
        if rng.random() < 0.6:  # thanks before the ticket is marked resolved, or it would reopen
            add("contact", rng.choice(THANKS), gap=(5, 300))
        resolved_at = later((1, 30), desk=True)
    except _Late:
        if not messages:
            return "new", [], None, None
        last = messages[-1]
        if last["author"] == "contact":
            return "open", messages, None, None
        return ("pending_customer" if last["public"] else "pending_internal"), messages, None, None
    # Closed after 48 hours without a reply to the resolution notice (seed 000).
    closed_at = resolved_at + timedelta(hours=48 + rng.randrange(0, 24))
    if closed_at < now:
        return "closed", messages, resolved_at, closed_at
    return "resolved", messages, resolved_at, None
