"""Streaming ``multipart/form-data`` reader for uploads.

The body is parsed as it arrives: the file part goes chunk by chunk into a storage writer that
enforces the exact size limit (413, nothing left behind) and the small text fields are kept in
memory under a hard cap. Unlike FastAPI's ``UploadFile``, nothing is read before the route has
authenticated the caller and checked the ticket, and the bytes are written once, not spooled
to a temporary file first and copied afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from atende.attachments.storage import BlobWriter
from atende.domain.errors import DomainError, ValidationFailed

FILE_FIELD = "file"
MAX_FIELD_BYTES = 1024
MAX_PARTS = 16


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


@dataclass
class ParsedUpload:
    """The file (in a writer, not yet committed) and the other form fields."""

    writer: BlobWriter
    filename: str
    declared_type: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


def _decode(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary, or 415 when the body is not ``multipart/form-data``."""
    kind, params = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        raise UnsupportedMediaType(
            "send the file as multipart/form-data with a part named 'file'", field="file"
        )
    boundary = params.get(b"boundary", b"")
    if not boundary or len(boundary) > 200:
        raise ValidationFailed("the multipart body has no valid boundary", field="file")
    return boundary


class _Collector:
    """Parser callbacks: they only record; the async loop does the (threaded) file writes."""

    def __init__(self) -> None:
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.fields: dict[str, str] = {}
        self.parts = 0
        self.file_seen = False
        self.filename = ""
        self.declared_type: str | None = None
        self.pending: list[bytes] = []
        self.ended = False

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ValidationFailed(
                "at most {max_parts} form fields", field="file", max_parts=MAX_PARTS
            )
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise ValidationFailed("a form part has no name", field="file")
        self.part.name = _decode(options[b"name"])
        if b"filename" in options or self.part.name == FILE_FIELD:
            if self.part.name != FILE_FIELD:
                raise ValidationFailed(
                    "unexpected file in field {name!r}; use 'file'",
                    field="file",
                    name=self.part.name,
                )
            if self.file_seen:
                raise ValidationFailed("send exactly one file per request", field="file")
            self.file_seen = True
            self.part.is_file = True
            self.filename = _decode(options.get(b"filename", b""))
            declared = self.part.headers.get(b"content-type")
            self.declared_type = _decode(declared) if declared else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.is_file:
            self.pending.append(data[start:end])
            return
        self.part.data += data[start:end]
        if len(self.part.data) > MAX_FIELD_BYTES:
            raise ValidationFailed(
                "form field is longer than {max_field_bytes} bytes",
                field=self.part.name,
                max_field_bytes=MAX_FIELD_BYTES,
            )

    def on_part_end(self) -> None:
        if not self.part.is_file and self.part.name not in self.fields:
            self.fields[self.part.name] = _decode(bytes(self.part.data))

    def on_end(self) -> None:
        self.ended = True


async def read_upload(
    content_type: str | None,
    stream: AsyncIterator[bytes],
    *,
    new_writer: Callable[[], BlobWriter],
) -> ParsedUpload:
    """Parse the body into a `ParsedUpload`; on any error the partial file is discarded."""
    boundary = boundary_of(content_type)
    collector = _Collector()
    callbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_end": collector.on_end,
    }
    writer = await anyio.to_thread.run_sync(new_writer)
    try:
        try:
            parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        except FormParserError as exc:
            raise ValidationFailed("the multipart boundary is invalid", field="file") from exc
        async for chunk in stream:
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise ValidationFailed("malformed multipart body", field="file") from exc
            if collector.pending:
                data = b"".join(collector.pending)
                collector.pending.clear()
                await anyio.to_thread.run_sync(writer.write, data)
            if collector.ended:
                break
        if not collector.ended:
            raise ValidationFailed("the multipart body ended before its closing boundary")
        if not collector.file_seen:
            raise ValidationFailed("a part named 'file' with the file is required", field="file")
        return ParsedUpload(
            writer=writer,
            filename=collector.filename,
            declared_type=collector.declared_type,
            fields=collector.fields,
        )
    except BaseException:
        await anyio.to_thread.run_sync(writer.abort)
        raise
