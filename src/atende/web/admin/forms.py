"""What the admin forms share: the API's own schemas check what a form sent, and every refusal
is said next to the field it names, in the reader's language.

A form's field names are the API's (``name``, ``queue_ids``, ``max_open_tickets``...), so a
Pydantic error's location and a `DomainError`'s ``field`` point at the input to mark. What names
no field of the form is said at the top of the form (key ``""``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from atende.api import messages
from atende.domain.errors import DomainError
from atende.web import i18n
from atende.web.i18n import _

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Errors = dict[str, str]

TEXT_LIMIT = 10_000
"""The longest value any admin form field accepts before the schema's own limits are checked
(a crude guard against absurd bodies; the schema names the real limit in Portuguese)."""


def field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("weekly_hours", "monday", 1, 0)`` -> ``weekly_hours.monday.1.0``."""
    return ".".join(str(part) for part in loc)


def check(schema: type[M], data: dict[str, Any]) -> tuple[M | None, Errors]:
    """``data`` validated by an API schema, or the errors by field (the first per field)."""
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        locale = i18n.current().locale
        errors: Errors = {}
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            errors.setdefault(field_of(loc), sentence(messages.input_error(locale, dict(err))))
        return None, errors


def refusal(exc: DomainError) -> Errors:
    """A use case's refusal as a form error on the field it names."""
    return {exc.field or "": sentence(exc.text(_))}


def sentence(text: str) -> str:
    """A message as a sentence of its own (the API's start in lower case: "já existe...")."""
    return text[:1].upper() + text[1:]


def nullable(raw: str) -> str | None:
    """An optional number field: empty means none (the schema parses the rest)."""
    text = raw.strip()
    return text or None


def at(errors: Errors, *fields: str) -> Errors:
    """The errors under ``fields`` (a field or any of its parts: ``queue_ids`` holds
    ``queue_ids.0``), keyed by the field given; the rest stays as it is."""
    out: Errors = {}
    for key, text in errors.items():
        owner = next((f for f in fields if key == f or key.startswith(f + ".")), key)
        out.setdefault(owner, text)
    return out


def unplaced(errors: Errors, shown: set[str]) -> list[str]:
    """The sentences of errors whose field the form does not show (said at its top)."""
    return [text for key, text in errors.items() if key not in shown]


def attempt(session: Session, use_case: Callable[[], T]) -> tuple[T | None, Errors]:
    """Run a use case under a savepoint: its result, or its refusal as form errors (and
    nothing of it kept)."""
    try:
        with session.begin_nested():
            return use_case(), {}
    except DomainError as exc:
        return None, refusal(exc)


def submit(
    session: Session,
    schema: type[BaseModel],
    data: dict[str, Any],
    use_case: Callable[[dict[str, Any]], T],
    *,
    partial: bool = False,
) -> tuple[T | None, Errors]:
    """Check ``data`` with the API's schema, then run the use case with what the API would
    pass it (``partial``: only the fields sent, as a PATCH): its result, or the errors."""
    body, errors = check(schema, data)
    if body is None:
        return None, errors
    values = body.model_dump(exclude_unset=partial)
    return attempt(session, lambda: use_case(values))
