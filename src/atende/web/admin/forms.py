"""What every admin form shares: what was posted, checked by the API's own schemas (the same
limits and shapes as ``/api/v1``), and every refusal said next to the field it names, in the
reader's language.

A form's field names are the API's (``name``, ``queue_ids``, ``max_open_tickets``...), so a
Pydantic error's location and a `DomainError`'s ``field`` point at the input to mark. What names
no field of the form is said at the top of the form (key ``GENERAL``).

Two ways to use it, one set of rules:

- ``submit(session, schema, data, use_case)``: check, then run the use case under a savepoint;
  its result or the errors (``(result, {})`` or ``(None, errors)``);
- ``checked(schema, data)`` inside ``try: ... except (FormErrors, DomainError) as exc`` with
  ``errors_of(exc, FIELDS)``, for a page that builds its body in several steps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api import messages
from atende.domain.errors import DomainError
from atende.web import i18n
from atende.web.i18n import _

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Errors = dict[str, str]

GENERAL = "form"
"""The key of a refusal that names no field of the form (said at its top)."""

TEXT_LIMIT = 10_000
"""The longest value any admin form field accepts before the schema's own limits are checked
(a crude guard against absurd bodies; the schema names the real limit in Portuguese)."""


async def posted_form(request: Request) -> FormData:
    """The form as sent (read once; the CSRF check read it already)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def form_text(data: FormData, key: str, limit: int = 200) -> str:
    """A posted field as text, stripped and cut to ``limit`` characters ("" when absent)."""
    value = data.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def optional_text(raw: str) -> str | None:
    """An optional field: empty means none (the schema parses the rest)."""
    return raw.strip() or None


def optional_int(text: str) -> int | str | None:
    """A number typed in a form: blank is none; anything else is left to the model to judge."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 19 else text


def field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("weekly_hours", "monday", 1, 0)`` -> ``weekly_hours.monday.1.0``."""
    return ".".join(str(part) for part in loc) or GENERAL


def sentence(text: str) -> str:
    """A message as a sentence of its own (the API's start in lower case: "já existe...")."""
    return text[:1].upper() + text[1:]


class FormErrors(Exception):
    """Refusals of a form: field -> sentence, in the reader's language."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def check(schema: type[M], data: Mapping[str, Any]) -> tuple[M | None, Errors]:
    """``data`` validated by an API schema, or the errors by field (the first per field; a
    field's parts keep their path: ``weekly_hours.monday.1.0``)."""
    try:
        return schema.model_validate(dict(data)), {}
    except ValidationError as exc:
        locale = i18n.current().locale
        errors: Errors = {}
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            errors.setdefault(field_of(loc), sentence(messages.input_error(locale, dict(err))))
        return None, errors


def checked(schema: type[M], data: Mapping[str, Any]) -> M:
    """``data`` as ``schema``, or FormErrors on the form's fields (an error on a part of a
    field, ``allowed_origins.0``, is said on the field)."""
    body, errors = check(schema, data)
    if body is None:
        raise FormErrors(at(errors, *{key.split(".")[0] for key in errors}))
    return body


def refusal(exc: DomainError, fields: Collection[str] | None = None) -> Errors:
    """A use case's refusal as a form error on the field it names; with ``fields``, one the
    form does not show is said at the top."""
    key = exc.field or GENERAL
    if fields is not None and key not in fields:
        key = GENERAL
    return {key: sentence(exc.text(_))}


def errors_of(exc: FormErrors | DomainError, fields: Collection[str]) -> Errors:
    """The refusals of a form, whether its shape (the schema) or a service refused it."""
    return exc.errors if isinstance(exc, FormErrors) else refusal(exc, fields)


def at(errors: Errors, *fields: str) -> Errors:
    """The errors under ``fields`` (a field or any of its parts: ``queue_ids`` holds
    ``queue_ids.0``), keyed by the field given; the rest stays as it is."""
    out: Errors = {}
    for key, text in errors.items():
        owner = next((f for f in fields if key == f or key.startswith(f + ".")), key)
        out.setdefault(owner, text)
    return out


def unplaced(errors: Errors, shown: Collection[str]) -> list[str]:
    """The sentences of errors whose field the form does not show (said at its top)."""
    return [text for key, text in errors.items() if key not in shown]


def placed(errors: Errors, fields: Collection[str]) -> Errors:
    """The errors on the form's ``fields`` (a part's error on its field: ``allowed_origins.0``
    on ``allowed_origins``); one on a field the form does not show, at its top."""
    out: Errors = {}
    for key, text in errors.items():
        top = key.split(".")[0]
        out.setdefault(top if top in fields else GENERAL, text)
    return out


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
    data: Mapping[str, Any],
    use_case: Callable[[dict[str, Any]], T],
    *,
    partial: bool = False,
    fields: Collection[str] | None = None,
) -> tuple[T | None, Errors]:
    """Check ``data`` with the API's schema, then run the use case with what the API would
    pass it (``partial``: only the fields sent, as a PATCH): its result, or the errors (with
    ``fields``, `placed` on them)."""
    body, errors = check(schema, data)
    if body is not None:
        values = body.model_dump(exclude_unset=partial)
        result, errors = attempt(session, lambda: use_case(values))
        if result is not None:
            return result, {}
    return None, errors if fields is None else placed(errors, fields)
