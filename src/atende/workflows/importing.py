"""Bulk import: JSON lines, one ticket (``TicketIn`` with its history) per line.

Policy: a bad line is reported (its number, the field, the reason) and skipped; the good lines
are imported. Each line runs in its own savepoint, so a ticket is written whole or not at all.
A line whose ``external_id`` was already imported is skipped and counted as ``skipped``, so a
file can be sent again after fixing its bad lines. With ``stop_on_error=True`` the first bad
line stops the run and the caller rolls the whole batch back (the API answers 422 then).
Blank lines are ignored; lines are numbered from 1 as in the file.

Unless all or nothing is asked for, the imported tickets are committed as the import goes, a
chunk every `CHUNK_SECONDS` (the edge's ``checkpoint`` commits: a use case never does): on
SQLite one writer works at a time, and an import of thousands
of lines in one transaction held every other write of the helpdesk up for its whole length
(2,000 lines: 5.7 s, docs/performance.md). An import cut short (the client gone, a
500, the process stopped) keeps its committed chunks and says nothing of them: sending the file
again skips the lines whose ``external_id`` is already imported, and imports the others again;
so give every line an ``external_id`` (or ask for all or nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import DomainError, PermissionDenied
from atende.domain.json_depth import MAX_JSON_DEPTH, too_deep
from atende.tickets import repository
from atende.tickets.commands import create
from atende.tickets.schemas import ImportLineError, ImportResult, TicketIn
from atende.workflows.settle import settle

MAX_LINE_ERRORS = 1000  # errors listed in the answer; the counts stay exact past it
CHUNK_SECONDS = 0.1  # an import commits what it has imported at least this often


def import_lines(
    session: Session,
    *,
    actor: Actor,
    lines: Iterable[str | bytes],
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
    stop_on_error: bool = False,
    checkpoint: Callable[[], None] | None = None,
) -> ImportResult:
    """Import every line; ``on_progress(n)`` is called after each line with the number of lines
    read so far (blank ones included), so a progress bar can follow the file. Unless
    ``stop_on_error``, ``checkpoint()`` (the edge's commit) is called at least every
    `CHUNK_SECONDS` between lines (see the module's notes); the caller commits the last."""
    if not actor.is_admin:
        raise PermissionDenied("only an admin may import tickets")
    result = ImportResult()
    chunk_started = time.monotonic()
    for number, raw in enumerate(lines, start=1):
        if (
            checkpoint is not None
            and not stop_on_error
            and time.monotonic() - chunk_started >= CHUNK_SECONDS
        ):
            checkpoint()
            chunk_started = time.monotonic()
        result.lines = number
        error = _import_one(session, actor=actor, raw=raw, number=number, now=now, result=result)
        if error is not None:
            result.failed += 1
            if len(result.errors) < MAX_LINE_ERRORS:
                result.errors.append(error)
        if on_progress is not None:
            on_progress(number)
        if error is not None and stop_on_error:
            break
    return result


def _import_one(
    session: Session,
    *,
    actor: Actor,
    raw: str | bytes,
    number: int,
    now: datetime,
    result: ImportResult,
) -> ImportLineError | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ImportLineError(line=number, message="the line is not valid UTF-8")
    raw = raw.strip().lstrip("\ufeff")
    if not raw:
        return None
    depth = too_deep(raw)
    if depth is not None:
        return ImportLineError(
            line=number,
            message=f"the line is nested {depth} levels deep; at most {MAX_JSON_DEPTH} "
            "levels are accepted",
        )
    try:
        data = TicketIn.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return ImportLineError(line=number, message="malformed JSON")
        field = _field(first.get("loc", ()))
        return ImportLineError(line=number, field=field or None, message=first.get("msg", ""))
    if data.external_id is not None and repository.ticket_id_by_external_id(
        session, data.external_id
    ):
        result.skipped += 1
        return None
    try:
        with session.begin_nested():
            ticket, changes = create.create_ticket(session, actor=actor, data=data, now=now)
            settle(session, changes, now=now)
    except DomainError as exc:
        return ImportLineError(line=number, field=exc.field, message=exc.message)
    except SQLAlchemyError as exc:  # a constraint the checks above did not foresee
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        return ImportLineError(line=number, message=f"the database refused the ticket: {reason}")
    result.created += 1
    result.ticket_ids.append(ticket.id)
    return None


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
