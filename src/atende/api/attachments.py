"""/api/v1 routes of this area."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from atende.api.deps import Admitted, AppSettings, CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.types import PathId
from atende.attachments import service as attachment_service
from atende.attachments.schemas import AttachmentOut, UploadFields
from atende.attachments.storage import CHUNK_BYTES, AttachmentStorage, LocalStorage
from atende.attachments.upload import read_upload

router = APIRouter(tags=["attachments"])
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _storage(request: Request, settings: AppSettings) -> AttachmentStorage:
    """The app's storage: ``app.state.attachment_storage`` if set, else the local folder."""
    storage: AttachmentStorage | None = getattr(request.app.state, "attachment_storage", None)
    if storage is None:
        storage = LocalStorage(settings.attachments_dir)
        request.app.state.attachment_storage = storage
    return storage


Storage = Annotated[AttachmentStorage, Depends(_storage)]

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "public": {
                            "type": "boolean",
                            "description": "visible to the customer (default: the message's "
                            "visibility, else true)",
                        },
                        "message_id": {"type": "integer", "minimum": 1},
                    },
                }
            }
        },
    }
}


def _fields(raw: dict[str, str]) -> UploadFields:
    try:
        return UploadFields.model_validate({k: v for k, v in raw.items() if v != ""})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


@router.post(
    "/tickets/{ticket_id}/attachments",
    response_model=AttachmentOut,
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    responses={404: _PROBLEM, 409: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM},
)
async def upload_attachment(
    ticket_id: PathId,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    storage: Storage,
    now: Now,
    slot: Admitted,
) -> AttachmentOut:
    """Upload one file (`multipart/form-data`, part `file`); its type is read from its bytes."""
    await run_in_threadpool(
        partial(attachment_service.check_can_upload, session, actor=actor, ticket_id=ticket_id)
    )
    # End the short transaction of the token and access checks before the body streams: no
    # ticket lock, SQLite write lock or pooled connection is held while a slow client uploads.
    await run_in_threadpool(session.commit)
    session.expire_all()  # the write below reloads the ticket under its lock
    parsed = None
    try:
        async with slot.paused(session):  # a slow upload keeps no database slot (api/admission)
            parsed = await read_upload(
                request.headers.get("content-type"),
                request.stream(),
                new_writer=partial(storage.writer, max_bytes=settings.max_attachment_bytes),
            )
        fields = _fields(parsed.fields)
        attachment = await run_in_threadpool(
            partial(
                attachment_service.add_attachment,
                session,
                actor=actor,
                ticket_id=ticket_id,
                upload=parsed.writer,
                filename=parsed.filename,
                declared_type=parsed.declared_type,
                public=fields.public,
                message_id=fields.message_id,
                now=now,
            )
        )
    finally:  # the temporary file goes whatever happened (the slot not had back, too)
        if parsed is not None:
            await run_in_threadpool(parsed.writer.abort)
    return AttachmentOut.of(attachment)


@router.get(
    "/tickets/{ticket_id}/attachments",
    response_model=Page[AttachmentOut],
    responses={404: _PROBLEM},
)
def list_attachments(
    ticket_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AttachmentOut]:
    after = decode_id_cursor(cursor)
    rows = attachment_service.list_attachments(
        session, actor=actor, ticket_id=ticket_id, after_id=after, limit=limit + 1
    )
    items = [AttachmentOut.of(a) for a in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[AttachmentOut](items=items, next_cursor=nxt)


@router.get("/attachments/{attachment_id}", response_model=AttachmentOut, responses={404: _PROBLEM})
def get_attachment(attachment_id: PathId, session: DbSession, actor: CurrentActor) -> AttachmentOut:
    return AttachmentOut.of(
        attachment_service.get_attachment(session, actor=actor, attachment_id=attachment_id)
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name as RFC 8187 UTF-8."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


@router.get(
    "/attachments/{attachment_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the file"},
        404: _PROBLEM,
    },
)
def download_attachment(
    attachment_id: PathId, session: DbSession, actor: CurrentActor, storage: Storage
) -> StreamingResponse:
    """The file, always as a download (never rendered inline), with its detected type."""
    attachment = attachment_service.get_attachment(
        session, actor=actor, attachment_id=attachment_id
    )
    stream = attachment_service.open_content(storage, attachment=attachment)
    return StreamingResponse(
        _chunks(stream),
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-cache",
            "ETag": f'"{attachment.sha256}"',
        },
    )
