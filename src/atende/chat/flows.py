"""The front-door bot's flows as admins keep them: versions of a flow (by ``key``), drafts
that are edited, published after validation (``domain/chatbot.validate``), a published
version retiring the one before. A chat keeps the version it started with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth import access
from atende.auth.actor import Actor
from atende.chat import repository
from atende.chat.models import BotFlow
from atende.domain import chatbot
from atende.domain.errors import Conflict, NotFound, ValidationFailed


class FlowInvalid(ValidationFailed):
    """A flow that may not be published: every problem, each with its place."""

    def __init__(self, problems: list[chatbot.Problem]) -> None:
        first = problems[0]
        super().__init__(
            f"the flow has {len(problems)} problem(s); first: {first.path or '/'}: {first.detail}",
            field="definition",
        )
        self.problems = problems


def create_draft(
    session: Session, *, actor: Actor, key: str, definition: dict[str, Any], now: datetime
) -> BotFlow:
    """A new version of flow ``key``, as a draft (shape checked on publish)."""
    access.ensure_admin(actor)
    flow = BotFlow(
        key=key,
        version=repository.last_version(session, key) + 1,
        status="draft",
        definition=definition,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(flow)
    session.flush()
    audit.created(session, actor, flow, at=now)
    return flow


def update_draft(
    session: Session, *, actor: Actor, flow_id: int, definition: dict[str, Any], now: datetime
) -> BotFlow:
    flow = get(session, actor=actor, flow_id=flow_id)
    if flow.status != "draft":
        raise Conflict("a published version is never edited: make a new draft", field="status")
    before = audit.snapshot(flow)
    flow.definition = definition
    session.flush()
    audit.updated(session, actor, flow, before, at=now)
    return flow


def publish(session: Session, *, actor: Actor, flow_id: int, now: datetime) -> BotFlow:
    flow = get(session, actor=actor, flow_id=flow_id)
    if flow.status != "draft":
        raise Conflict(
            "version {version} is {status}, not a draft",
            field="status",
            version=flow.version,
            status=flow.status,
        )
    problems = chatbot.validate(flow.definition)
    if problems:
        raise FlowInvalid(problems)
    missing = _missing_queues(session, flow.definition)
    if missing:
        raise ValidationFailed("no queue named {missing!r}", field="definition", missing=missing[0])
    for old in repository.published_of_key(session, flow.key):
        before = audit.snapshot(old)
        old.status = "retired"
        audit.updated(session, actor, old, before, at=now)
    before = audit.snapshot(flow)
    flow.status = "published"
    flow.published_at = now
    session.flush()
    audit.updated(session, actor, flow, before, at=now)
    return flow


def _missing_queues(session: Session, definition: dict[str, Any]) -> list[str]:
    names = {definition.get("default_queue")}
    for node in (definition.get("nodes") or {}).values():
        names.add(node.get("queue"))
    for keyword in definition.get("keywords") or []:
        names.add(keyword.get("action", {}).get("route"))
    for action in (definition.get("commands") or {}).values():
        names.add(action.get("route"))
    for entry in definition.get("plan_routes") or []:
        names.add(entry.get("queue"))
    wanted = sorted(n for n in names if isinstance(n, str) and n)
    return [n for n in wanted if repository.queue_by_name(session, n) is None]


def get(session: Session, *, actor: Actor, flow_id: int) -> BotFlow:
    access.ensure_admin(actor)
    flow = repository.flow(session, flow_id)
    if flow is None:
        raise NotFound("bot flow {flow_id} not found", flow_id=flow_id)
    return flow


def published(session: Session, key: str) -> BotFlow | None:
    """The published version of flow ``key`` (None: none is)."""
    return repository.published_flow(session, key)


def published_flows(session: Session) -> list[BotFlow]:
    return [f for f in repository.flows(session) if f.status == "published"]


def list_flows(session: Session, *, actor: Actor) -> list[BotFlow]:
    access.ensure_admin(actor)
    return list(repository.flows(session))


def simulate(
    session: Session, *, actor: Actor, flow_id: int, inputs: list[str], plan: str | None
) -> dict[str, Any]:
    """What the bot would answer to ``inputs`` (a draft too, once it validates)."""
    flow = get(session, actor=actor, flow_id=flow_id)
    problems = chatbot.validate(flow.definition)
    if problems:
        raise FlowInvalid(problems)
    facts = chatbot.Facts(plan=plan)
    return {"transcript": chatbot.transcript(flow.definition, inputs, facts)}


def view(flow: BotFlow) -> dict[str, Any]:
    return {
        "id": flow.id,
        "key": flow.key,
        "version": flow.version,
        "status": flow.status,
        "definition": flow.definition,
        "created_by_id": flow.created_by_id,
        "created_at": flow.created_at,
        "published_at": flow.published_at,
    }
