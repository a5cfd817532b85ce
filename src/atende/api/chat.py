"""/api/v1 routes of live chat (docs/chat.md): widgets and bot flows (admins), the chats
staff work (waiting, take, transfer, end). The visitor's side is ``web/chat.py``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from atende.api import problems
from atende.api.deps import CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.auth import access
from atende.chat import flows, service
from atende.chat import repository as chat_repository
from atende.chat.models import ChatWidget
from atende.chat.schemas import (
    ChatOut,
    EndIn,
    FlowIn,
    FlowOut,
    FlowPut,
    ReadIn,
    SimulateIn,
    TransferIn,
    WidgetIn,
    WidgetOut,
    WidgetPatch,
)
from atende.domain.errors import NotFound
from atende.tickets import repository as ticket_repository
from atende.workflows import chat as chat_workflows

router = APIRouter(tags=["chat"])


def _widget_out(request: Request, widget: ChatWidget) -> WidgetOut:
    base = str(request.base_url).rstrip("/")
    embed = f'<script src="{base}/chat/widget.js" data-widget="{widget.key}" async></script>'
    return WidgetOut(**service.widget_view(widget), embed=embed)


@router.post("/chat/widgets", response_model=WidgetOut, status_code=201)
def create_widget(
    request: Request, body: WidgetIn, session: DbSession, actor: CurrentActor, now: Now
) -> WidgetOut:
    """A chat widget for a website (admins; audited). ``embed`` is the tag to paste."""
    widget = service.create_widget(session, actor=actor, data=body.model_dump(), now=now)
    return _widget_out(request, widget)


@router.get("/chat/widgets", response_model=list[WidgetOut])
def list_widgets(request: Request, session: DbSession, actor: CurrentActor) -> list[WidgetOut]:
    return [_widget_out(request, w) for w in service.list_widgets(session, actor=actor)]


@router.get("/chat/widgets/{widget_id}", response_model=WidgetOut)
def get_widget(
    request: Request, widget_id: PathId, session: DbSession, actor: CurrentActor
) -> WidgetOut:
    return _widget_out(request, service.get_widget(session, actor=actor, widget_id=widget_id))


@router.patch("/chat/widgets/{widget_id}", response_model=WidgetOut)
def update_widget(
    request: Request,
    widget_id: PathId,
    body: WidgetPatch,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> WidgetOut:
    widget = service.update_widget(
        session,
        actor=actor,
        widget_id=widget_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return _widget_out(request, widget)


# --- chats (staff) ------------------------------------------------------------------------


@router.get("/chats", response_model=list[ChatOut])
def list_chats(
    session: DbSession,
    actor: CurrentActor,
    state: Annotated[
        list[Literal["bot", "waiting", "active", "ended"]] | None,
        Query(description="default: waiting and active"),
    ] = None,
) -> list[ChatOut]:
    """The chats of the tickets the caller may read, oldest first (staff): by default those
    waiting for an agent and those going on."""
    access.ensure_staff(actor)
    states = state or ["waiting", "active"]
    found = chat_repository.chats_in(session, states, ticket_repository.readable_tickets(actor))
    return [ChatOut(**service.view(c, t)) for c, t in found]


@router.get("/tickets/{ticket_id}/chat", response_model=ChatOut)
def get_chat(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> ChatOut:
    """The chat of a ticket the caller may read (staff)."""
    access.ensure_staff(actor)
    ticket = ticket_repository.get_readable(session, actor, ticket_id)
    chat = chat_repository.chat_of_ticket(session, ticket_id) if ticket is not None else None
    if chat is None:
        raise NotFound("ticket {ticket_id} has no chat", ticket_id=ticket_id)
    return ChatOut(**service.view(chat, ticket))


@router.post("/tickets/{ticket_id}/chat/take", response_model=ChatOut)
def take_chat(ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> ChatOut:
    """Take a waiting chat: it is assigned to the caller (an agent), and the bot stops."""
    chat = chat_workflows.take(session, actor=actor, ticket_id=ticket_id, now=now)
    return ChatOut(**service.view(chat))


@router.post("/tickets/{ticket_id}/chat/transfer", response_model=ChatOut)
def transfer_chat(
    ticket_id: PathId, body: TransferIn, session: DbSession, actor: CurrentActor, now: Now
) -> ChatOut:
    """Pass the chat to another queue with the reason (an internal note); it waits there."""
    chat = chat_workflows.transfer(
        session,
        actor=actor,
        ticket_id=ticket_id,
        queue_id=body.queue_id,
        reason=body.reason,
        now=now,
    )
    return ChatOut(**service.view(chat))


@router.post("/tickets/{ticket_id}/chat/end", response_model=ChatOut)
def end_chat(
    ticket_id: PathId, body: EndIn, session: DbSession, actor: CurrentActor, now: Now
) -> ChatOut:
    """End the chat: the ticket's ``chat_ended_at`` is now (its resolution clock may start);
    ``send_transcript`` e-mails the transcript to the visitor after commit."""
    chat = chat_workflows.end_by_agent(
        session, actor=actor, ticket_id=ticket_id, send_transcript=body.send_transcript, now=now
    )
    return ChatOut(**service.view(chat))


@router.post("/tickets/{ticket_id}/chat/typing", status_code=204)
def agent_typing(ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    """The agent is typing: the visitor sees it (sent at most every few seconds)."""
    chat = chat_workflows.staff_chat(session, actor, ticket_id)
    chat_workflows.typing(session, chat=chat, side="agent", name=actor.label, now=now)
    return Response(status_code=204)


@router.post("/tickets/{ticket_id}/chat/read", status_code=204)
def agent_read(
    ticket_id: PathId, body: ReadIn, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    """The agents read the chat up to ``message_id``: the visitor sees a read receipt."""
    chat = chat_workflows.staff_chat(session, actor, ticket_id)
    chat_workflows.read(session, chat=chat, side="agent", message_id=body.message_id, now=now)
    return Response(status_code=204)


# --- bot flows (admins) -------------------------------------------------------------------


@router.post("/chat/flows", response_model=FlowOut, status_code=201)
def create_flow(body: FlowIn, session: DbSession, actor: CurrentActor, now: Now) -> FlowOut:
    """A new draft version of the flow ``key`` (checked when published)."""
    flow = flows.create_draft(
        session, actor=actor, key=body.key, definition=body.definition, now=now
    )
    return FlowOut(**flows.view(flow))


@router.get("/chat/flows", response_model=list[FlowOut])
def list_flows(session: DbSession, actor: CurrentActor) -> list[FlowOut]:
    return [FlowOut(**flows.view(f)) for f in flows.list_flows(session, actor=actor)]


@router.get("/chat/flows/{flow_id}", response_model=FlowOut)
def get_flow(flow_id: PathId, session: DbSession, actor: CurrentActor) -> FlowOut:
    return FlowOut(**flows.view(flows.get(session, actor=actor, flow_id=flow_id)))


@router.put("/chat/flows/{flow_id}", response_model=FlowOut)
def put_flow(
    flow_id: PathId, body: FlowPut, session: DbSession, actor: CurrentActor, now: Now
) -> FlowOut:
    """Replace a draft's definition (a published version is never edited)."""
    flow = flows.update_draft(
        session, actor=actor, flow_id=flow_id, definition=body.definition, now=now
    )
    return FlowOut(**flows.view(flow))


@router.post("/chat/flows/{flow_id}/publish", response_model=FlowOut)
def publish_flow(
    request: Request, flow_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    """Validate and publish (every step reachable, no loop without input, unique options,
    the queues exist); the version published before retires. An invalid flow answers 422 with
    every problem in ``errors`` (``field``: a JSON pointer into the definition)."""
    try:
        flow = flows.publish(session, actor=actor, flow_id=flow_id, now=now)
    except flows.FlowInvalid as exc:
        return _invalid(request, exc)
    return JSONResponse(jsonable_encoder(FlowOut(**flows.view(flow))))


def _invalid(request: Request, exc: flows.FlowInvalid) -> Response:
    errors = [{"field": p.path or "/", "message": p.detail} for p in exc.problems]
    return problems.problem(
        422, exc.message, code="flow_invalid", errors=errors, instance=request.url.path
    )


@router.post("/chat/flows/{flow_id}/simulate")
def simulate_flow(
    request: Request, flow_id: PathId, body: SimulateIn, session: DbSession, actor: CurrentActor
) -> Response:
    """What the bot would answer to ``inputs``, in order, until it routes."""
    try:
        out = flows.simulate(
            session, actor=actor, flow_id=flow_id, inputs=body.inputs, plan=body.plan
        )
    except flows.FlowInvalid as exc:
        return _invalid(request, exc)
    return JSONResponse(out)
