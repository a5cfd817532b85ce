"""/api/v1 routes of this area: parse -> service -> schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from atende.api import idempotency, messages
from atende.api.deps import Admitted, CurrentActor, DbSession, Now, ReadAuth, apply_touches
from atende.api.idempotency import IdempotencyKey
from atende.api.pagination import Page, decode_cursor, encode_cursor
from atende.api.types import PathId
from atende.auth.actor import Actor
from atende.db.base import MAX_ID, utcnow
from atende.db.engine import checkpoint, transaction
from atende.domain.errors import PermissionDenied, ValidationFailed
from atende.sla import views as sla_views
from atende.tickets import repository
from atende.tickets import service as ticket_service
from atende.tickets.models import Message, Ticket, TicketEvent
from atende.tickets.schemas import (
    AssignIn,
    Channel,
    FollowUpIn,
    ForwardedOut,
    ImportResult,
    MergeIn,
    MessageIn,
    MessageOut,
    NonClientIn,
    Priority,
    RetentionIn,
    SplitIn,
    Status,
    TicketIn,
    TicketOut,
    TicketPatch,
    TicketTypeIn,
    TicketTypeOut,
    TicketTypePatch,
    TimelineEntry,
    TransferIn,
)
from atende.web import i18n as web_i18n
from atende.web import timeline as web_timeline
from atende.workflows import importing
from atende.workflows import tickets as ticket_workflows
from atende.workflows.settle import Settled

router = APIRouter(tags=["tickets"])

Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at"]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 12, 31, tzinfo=UTC)


def ticket_out(session: Session, ticket: Ticket, actor: Actor) -> TicketOut:
    """One ticket with its SLA clocks (a contact sees them only when the policy is public)."""
    return settled_out(session, Settled(ticket), actor)


def settled_out(session: Session, settled: Settled, actor: Actor) -> TicketOut:
    """`ticket_out` of a use case's ticket: what its settle knows is not read again."""
    ticket = settled.ticket
    if settled.tags is not None:
        tags = list(settled.tags)
    else:
        tags = ticket_service.tags_of(session, [ticket])[ticket.id]
    sla = sla_views.sla_view(session, ticket, settled.clocks)
    return ticket_answer(ticket, tags, sla, actor)


def ticket_answer(
    ticket: Ticket, tags: list[str], sla: dict[str, Any] | None, actor: Actor
) -> TicketOut:
    if sla is not None and actor.is_contact:
        # a contact sees a public policy's promise, never the staff's private targets
        sla = {**sla, "private_targets": None} if sla["public"] else None
    return TicketOut(**ticket_service.ticket_view(ticket, tags, staff=actor.is_staff), sla=sla)


def message_out(
    message: Message, attachment_ids: list[int] | None = None, *, actor: Actor
) -> MessageOut:
    return MessageOut(
        id=message.id,
        ticket_id=message.ticket_id,
        author_kind=message.author_kind,
        author_user_id=message.author_user_id,
        author_contact_id=message.author_contact_id,
        public=message.public,
        body_html=message.body_html,
        body_text=message.body_text,
        created_at=message.created_at,
        attachment_ids=attachment_ids or [],
        reply_check=message.reply_check if actor.is_staff else None,
    )


def _in_range(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value < _EARLIEST or value > _LATEST:
        raise ValidationFailed("must lie between 1970 and 2100", field=field)
    return value.astimezone(UTC)


def _follower(actor: Actor, following: bool) -> int | None:
    if not following:
        return None
    if not actor.is_staff or actor.user_id is None:
        raise ValidationFailed("only staff follow tickets", field="following")
    return actor.user_id


def _after_cursor(cursor: str | None, sort: str) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    values = decode_cursor(cursor, size=3)
    if values[0] != sort or not isinstance(values[1], str) or type(values[2]) is not int:
        raise ValidationFailed("malformed cursor (or from another sort order)", field="cursor")
    try:
        moment = datetime.fromisoformat(values[1])
    except ValueError as exc:
        raise ValidationFailed("malformed cursor", field="cursor") from exc
    if moment.tzinfo is None or not 0 < values[2] < 2**63:
        raise ValidationFailed("malformed cursor", field="cursor")
    in_range = _in_range(moment, "cursor")
    assert in_range is not None
    return in_range, values[2]


# --- tickets ------------------------------------------------------------------------------


@router.post("/tickets", response_model=TicketOut, status_code=201)
def create_ticket(
    body: TicketIn,
    request: Request,
    auth: ReadAuth,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create a ticket. An admin may send its history (``created_at``, ``status``,
    ``resolved_at``, ``closed_at``, ``messages``) to import it. Honours ``Idempotency-Key``.
    The write runs in this thread from the first statement to the commit (see
    `api.deps.ReadAuth`)."""
    actor, touches = auth
    now = utcnow()
    with transaction(request.app.state.sessionmaker) as session:
        apply_touches(session, touches)

        def produce() -> Any:
            settled = ticket_workflows.create_ticket(session, actor=actor, data=body, now=now)
            return settled_out(session, settled, actor).model_dump(mode="json")

        return idempotency.run(
            session, request, actor=actor, key=idempotency_key, body=body, now=now, produce=produce
        )


@router.post("/tickets/non-client", response_model=TicketOut, status_code=201)
def non_client_intake(body: NonClientIn, request: Request, auth: ReadAuth) -> Any:
    """Seed 002 item 30: a non-client or non-partner's request, taken as fields (name, phone,
    e-mail, segment, request, purpose) and opened as a ticket tagged ``nao-cliente`` with
    those fields as custom fields, routed by the rules to the team that serves it (staff)."""
    actor, touches = auth
    if not actor.is_staff:
        raise PermissionDenied("only staff take a non-client's request")
    now = utcnow()
    with transaction(request.app.state.sessionmaker) as session:
        apply_touches(session, touches)
        settled = ticket_workflows.intake_non_client(session, actor=actor, data=body, now=now)
        return settled_out(session, settled, actor).model_dump(mode="json")


@router.get("/tickets", response_model=Page[TicketOut])
def list_tickets(
    session: DbSession,
    actor: CurrentActor,
    status: Annotated[list[Status] | None, Query(max_length=6)] = None,
    priority: Annotated[list[Priority] | None, Query(max_length=4)] = None,
    channel: Annotated[list[Channel] | None, Query(max_length=8)] = None,
    queue_id: QueryId | None = None,
    assignee_id: QueryId | None = None,
    organization_id: QueryId | None = None,
    requester_id: QueryId | None = None,
    following: Annotated[
        bool,
        Query(description="only the tickets the caller follows (e.g. sent to other departments)"),
    ] = False,
    type: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=60, pattern=r"^[^\s,]+$")] = None,
    created_from: AwareDatetime | None = None,
    created_to: AwareDatetime | None = None,
    on_call: Annotated[
        bool | None, Query(description="opened outside its queue's hours (or not)")
    ] = None,
    reviewed: Annotated[
        bool | None,
        Query(description="the on-call review mark: true, reviewed; false, not reviewed yet"),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in subject or body")] = None,
    sort: Sort = "-created_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[TicketOut]:
    """Tickets the caller may see, newest first by default (``sort``: ``created_at``,
    ``-created_at``, ``updated_at``, ``-updated_at``), in keyset pages: pass ``next_cursor``
    back as ``cursor``. Nothing is counted."""
    for name, value in (("type", type), ("tag", tag), ("q", q)):
        if value is not None and "\x00" in value:
            raise ValidationFailed("must not contain NUL characters", field=name)
    if tag is not None and not actor.is_staff:
        # tags are the staff's own classification: a contact may not probe for them
        raise ValidationFailed("only staff filter by tag", field="tag")
    filters = repository.TicketFilters(
        status=status or (),
        priority=priority or (),
        channel=channel or (),
        queue_id=queue_id,
        assignee_id=assignee_id,
        organization_id=organization_id,
        requester_id=requester_id,
        followed_by=_follower(actor, following),
        type=type,
        tag=tag,
        created_from=_in_range(created_from, "created_from"),
        created_to=_in_range(created_to, "created_to"),
        q=q.strip() if q and q.strip() else None,
        on_call=on_call,
        reviewed=reviewed,
    )
    field = sort.lstrip("-")
    rows = repository.ticket_page(
        session,
        actor,
        filters=filters,
        sort_field=field,
        descending=sort.startswith("-"),
        after=_after_cursor(cursor, sort),
        limit=limit + 1,
    )
    page = list(rows[:limit])
    tags = ticket_service.tags_of(session, page)
    staff = actor.is_staff
    items = [TicketOut(**ticket_service.ticket_view(t, tags[t.id], staff=staff)) for t in page]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        moment = last.updated_at if field == "updated_at" else last.created_at
        next_cursor = encode_cursor([sort, moment.isoformat(), last.id])
    return Page[TicketOut](items=items, next_cursor=next_cursor)


@router.get("/tickets/forwarded", response_model=Page[ForwardedOut])
def forwarded_tickets(
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ForwardedOut]:
    """The caller's tickets still open in other departments (seed 001: "monitorar os chamados
    encaminhados para os outros setores"): tickets they follow, not resolved or closed, in a
    queue that is not theirs and not assigned to them; oldest first, with their age. Staff
    only."""
    if not actor.is_staff or actor.user_id is None:
        raise PermissionDenied("only staff follow tickets")
    rows = repository.forwarded(
        session, actor, after=_after_cursor(cursor, "forwarded"), limit=limit + 1
    )
    page = list(rows[:limit])
    tags = ticket_service.tags_of(session, [t for t, _ in page])
    items = [
        ForwardedOut(
            ticket=TicketOut(**ticket_service.ticket_view(t, tags[t.id])),
            following_since=follow.created_at,
            reason=follow.reason,
            open_for_seconds=max(0, int((now - t.created_at).total_seconds())),
            away_for_seconds=max(0, int((now - follow.created_at).total_seconds())),
        )
        for t, follow in page
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(["forwarded", last.created_at.isoformat(), last.id])
    return Page[ForwardedOut](items=items, next_cursor=next_cursor)


@router.post("/tickets/import", response_model=ImportResult)
async def import_tickets(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    slot: Admitted,
    stop_on_error: bool = False,
) -> ImportResult:
    """Bulk import for admins: the body is JSON lines, one ticket (as ``POST /tickets`` takes it,
    with its history) per line. Bad lines are reported by line number and skipped; lines whose
    ``external_id`` was already imported are skipped. ``stop_on_error=true``: all or nothing."""
    # End the authentication's transaction before the body streams in: a slow upload holds no
    # pooled connection, SQLite write slot or admission slot (api/admission.py).
    await run_in_threadpool(session.commit)
    async with slot.paused(session):
        raw = await request.body()
    lines = raw.splitlines()

    def work() -> ImportResult:
        return importing.import_lines(
            session, actor=actor, lines=lines, now=now, stop_on_error=stop_on_error,
            checkpoint=lambda: checkpoint(session),
        )  # fmt: skip

    result = await run_in_threadpool(work)
    if stop_on_error and result.errors:
        first = result.errors[0]
        where = f"line {first.line}" + (f": {first.field}" if first.field else "")
        raise ValidationFailed(
            "{where}: {text}; nothing was imported", field=where, where=where, text=first.message
        )
    return result


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> TicketOut:
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return ticket_out(session, ticket, actor)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut)
def update_ticket(
    ticket_id: PathId, body: TicketPatch, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Change ``status``, ``priority``, ``type``, ``queue_id``, ``assignee_id``, ``tags`` (and
    ``subject``, ``organization_id``, ``custom_fields``, ``chat_ended_at``). An invalid status
    transition answers 409 with the reason."""
    settled = ticket_workflows.update_ticket(
        session,
        actor=actor,
        ticket_id=ticket_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/messages", response_model=MessageOut, status_code=201)
def add_message(
    ticket_id: PathId,
    body: MessageIn,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A public reply (``public: true``) or an internal note (``public: false``). Honours
    ``Idempotency-Key``. A contact's message on a closed ticket opens a follow-up ticket: the
    answer's ``ticket_id`` says where the message went."""

    def produce() -> Any:
        message = ticket_workflows.add_message(
            session,
            actor=actor,
            ticket_id=ticket_id,
            body=body.body,
            public=body.public,
            now=now,
            author=body.author if "author" in body.model_fields_set else None,
            attachment_ids=body.attachment_ids,
        )
        attached = repository.attachment_ids_by_message(session, [message.id])
        return message_out(message, attached.get(message.id), actor=actor).model_dump(mode="json")

    return idempotency.run(
        session, request, actor=actor, key=idempotency_key, body=body, now=now, produce=produce
    )


def _told(
    event: TicketEvent,
    names: web_timeline.Names,
    language: web_i18n.Language,
    *,
    now: datetime,
    staff: bool,
) -> str:
    with web_i18n.use(language):
        return web_timeline.said(event, names, now=now, staff=staff)


@router.get("/tickets/{ticket_id}/timeline", response_model=list[TimelineEntry])
def get_timeline(
    ticket_id: PathId, request: Request, session: DbSession, actor: CurrentActor, now: Now
) -> list[TimelineEntry]:
    """Every message and event of the ticket, oldest first (contacts see the public ones).
    Each event also comes told as a sentence (``text``) in the reader's language and zone."""
    entries = ticket_service.timeline(session, actor=actor, ticket_id=ticket_id)
    ticket = ticket_service.get_ticket(session, actor=actor, ticket_id=ticket_id)
    names = web_timeline.names_of(session, ticket, entries)
    language = web_i18n.Language(messages.request_locale(request), actor.timezone)
    out: list[TimelineEntry] = []
    for e in entries:
        if isinstance(e, TicketEvent):
            label, detail = e.actor_label, e.detail
            if not actor.is_staff and e.actor_user_id is None:
                # a contact sees what the system did, not which internal rule or job did it
                # (a rule's name may say "delinquent"), nor the internal reason
                label, detail = "Atende", ""
            out.append(
                TimelineEntry(
                    entry="event",
                    id=e.id,
                    position=e.position,
                    created_at=e.created_at,
                    kind=e.kind,
                    actor_user_id=e.actor_user_id,
                    actor=label,
                    before=e.before,
                    after=e.after,
                    detail=detail,
                    public=e.public,
                    text=_told(e, names, language, now=now, staff=actor.is_staff),
                )
            )
        else:
            out.append(
                TimelineEntry(
                    entry="message",
                    id=e.id,
                    position=e.position,
                    created_at=e.created_at,
                    author_kind=e.author_kind,
                    author_user_id=e.author_user_id,
                    author_contact_id=e.author_contact_id,
                    public=e.public,
                    body_html=e.body_html,
                    body_text=e.body_text,
                    reply_check=e.reply_check if actor.is_staff else None,
                )
            )
    return out


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketOut)
def transfer_ticket(
    ticket_id: PathId, body: TransferIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Move the ticket to another queue; the ``reason`` becomes an internal note. A person's
    transfer of a ``cancellation`` request needs a retention attempt (seed 004): recorded before
    (``POST /tickets/{id}/retention``) or given here as ``retention``; else 422 naming
    ``retention``."""
    attempt = (body.retention.offer, body.retention.outcome) if body.retention else None
    settled = ticket_workflows.transfer(
        session,
        actor=actor,
        ticket_id=ticket_id,
        queue_id=body.queue_id,
        reason=body.reason,
        assignee_id=body.assignee_id,
        retention_attempt=attempt,
        now=now,
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/retention", response_model=TicketOut)
def record_retention(
    ticket_id: PathId, body: RetentionIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Seed 004: record the attempt to keep a customer who asks to cancel — what was offered
    (``offer``) and the answer (``outcome``: ``accepted`` or ``declined``) — on the ticket's
    timeline (staff; internal)."""
    settled = ticket_workflows.record_retention(
        session, actor=actor, ticket_id=ticket_id, offer=body.offer, outcome=body.outcome, now=now
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketOut)
def assign_ticket(
    ticket_id: PathId, body: AssignIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    settled = ticket_workflows.assign(
        session, actor=actor, ticket_id=ticket_id, assignee_id=body.assignee_id, now=now
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/split", response_model=TicketOut, status_code=201)
def split_ticket(
    ticket_id: PathId, body: SplitIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Move the selected messages to a new ticket (returned) about ``subject``."""
    settled = ticket_workflows.split_ticket(
        session,
        actor=actor,
        ticket_id=ticket_id,
        message_ids=body.message_ids,
        subject=body.subject,
        now=now,
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/merge", response_model=TicketOut)
def merge_ticket(
    ticket_id: PathId, body: MergeIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Merge this duplicate into ``into_ticket_id`` (returned): its messages move there, and
    this ticket is closed and linked (``merged_into_id``)."""
    settled = ticket_workflows.merge_ticket(
        session, actor=actor, ticket_id=ticket_id, into_ticket_id=body.into_ticket_id, now=now
    )
    return settled_out(session, settled, actor)


@router.post("/tickets/{ticket_id}/follow-up", response_model=TicketOut, status_code=201)
def follow_up_ticket(
    ticket_id: PathId, body: FollowUpIn, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Open a follow-up ticket (returned) for a closed ticket."""
    settled = ticket_workflows.follow_up(
        session, actor=actor, ticket_id=ticket_id, body=body.body, subject=body.subject, now=now
    )
    return settled_out(session, settled, actor)


@router.put("/tickets/{ticket_id}/on-call-review", response_model=TicketOut)
def mark_on_call_reviewed(
    ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Mark a ticket opened on call reviewed (supervisors, admins): who and when go on the
    ticket (``on_call_reviewed_at``, ``on_call_reviewed_by_id``) and on its timeline. Marking
    it again keeps the first mark. 409 for a ticket not opened on call."""
    settled = ticket_workflows.review_on_call(
        session, actor=actor, ticket_id=ticket_id, reviewed=True, now=now
    )
    return settled_out(session, settled, actor)


@router.delete("/tickets/{ticket_id}/on-call-review", response_model=TicketOut)
def unmark_on_call_reviewed(
    ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> TicketOut:
    """Take the review mark back (it goes on the timeline too)."""
    settled = ticket_workflows.review_on_call(
        session, actor=actor, ticket_id=ticket_id, reviewed=False, now=now
    )
    return settled_out(session, settled, actor)


# --- ticket types -------------------------------------------------------------------------


@router.get("/ticket-types", response_model=list[TicketTypeOut])
def list_ticket_types(session: DbSession, actor: CurrentActor) -> list[TicketTypeOut]:
    """Every ticket type: the built-in ones (``builtin``; Portuguese labels an admin may
    change) and those admins added."""
    rows = ticket_service.list_ticket_types(session, actor=actor)
    return [_type_out(t) for t in rows]


def _type_out(row: Any) -> TicketTypeOut:
    out = TicketTypeOut.model_validate(row)
    return out.model_copy(update={"builtin": row.name in ticket_service.BUILTIN_TYPES})


@router.post("/ticket-types", response_model=TicketTypeOut, status_code=201)
def create_ticket_type(body: TicketTypeIn, session: DbSession, actor: CurrentActor) -> Any:
    row = ticket_service.create_ticket_type(session, actor=actor, data=body.model_dump())
    return _type_out(row)


@router.patch("/ticket-types/{type_id}", response_model=TicketTypeOut)
def update_ticket_type(
    type_id: PathId, body: TicketTypePatch, session: DbSession, actor: CurrentActor
) -> Any:
    row = ticket_service.update_ticket_type(
        session, actor=actor, type_id=type_id, changes=body.model_dump(exclude_unset=True)
    )
    return _type_out(row)
