"""A posted admin form checked by the API's own input model (the same limits and shapes as
``/api/v1``), its refusals said in the reader's language beside each field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from atende.api import messages
from atende.domain.errors import DomainError
from atende.web import i18n
from atende.web.i18n import _

M = TypeVar("M", bound=BaseModel)


async def posted_form(request: Request) -> FormData:
    """The form as sent (read once; the CSRF check read it already)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def form_text(data: FormData, key: str, limit: int = 200) -> str:
    """A posted field as text, stripped and cut to ``limit`` characters ("" when absent)."""
    value = data.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


class FormErrors(Exception):
    """Refusals of a form: field -> sentence, in the reader's language."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def checked(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` as ``model`` (the API's body model), or FormErrors naming each field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        locale = i18n.current().locale
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc") or ("form",)
            errors.setdefault(str(loc[0]), messages.input_error(locale, dict(err)))
        raise FormErrors(errors) from None


def refusal(exc: DomainError, fields: set[str] | frozenset[str]) -> dict[str, str]:
    """A service's refusal placed on its field, or on the form as a whole."""
    key = exc.field if exc.field is not None and exc.field in fields else "form"
    return {key: exc.text(_)}


def errors_of(exc: FormErrors | DomainError, fields: set[str] | frozenset[str]) -> dict[str, str]:
    """The refusals of a form, whether its shape (the model) or a service refused it."""
    return exc.errors if isinstance(exc, FormErrors) else refusal(exc, fields)


def optional_int(text: str) -> int | str | None:
    """A number typed in a form: blank is none; anything else is left to the model to judge."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 19 else text


def optional_text(text: str) -> str | None:
    return text.strip() or None
