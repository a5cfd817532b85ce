"""The API's words in the reader's language: which locale a request reads, and Pydantic's
input errors said in it.

The locale of an answer: the request's ``Accept-Language`` when it names a supported language
(a client may ask per request), else the caller's ``users.locale``, else the site's
``ATENDE_DEFAULT_LOCALE`` (Brazilian Portuguese). Codes (``code``, ``errors[].type``) never
change with the language; ``detail``, ``title`` and ``errors[].message`` do.

Pydantic's own messages are English; in another locale an input error is said from the error's
``type`` and its context (``min_length``, ``expected``...), through the same catalog as the rest.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from atende.i18n import DEFAULT_LOCALE, N_, SOURCE_LOCALE, from_accept_language, supported
from atende.i18n import translate as _translate

TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Content too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}

# Pydantic error types (pydantic_core's ErrorType) and how to say them; ``{name}`` fields come
# from the error's context.
INPUT_ERRORS = {
    "missing": N_("field required"),
    "extra_forbidden": N_("unknown field: it is not accepted here"),
    "json_invalid": N_("malformed JSON body"),
    "json_type": N_("expected JSON text"),
    "string_type": N_("expected text"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "string_too_long": N_("must have at most {max_length} characters"),
    "string_pattern_mismatch": N_("does not match the expected format"),
    "int_type": N_("expected a whole number"),
    "int_parsing": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number, without a fraction"),
    "float_type": N_("expected a number"),
    "float_parsing": N_("expected a number"),
    "decimal_parsing": N_("expected a number"),
    "bool_type": N_("expected true or false"),
    "bool_parsing": N_("expected true or false"),
    "dict_type": N_("expected an object"),
    "model_type": N_("expected an object"),
    "model_attributes_type": N_("expected an object"),
    "list_type": N_("expected a list"),
    "tuple_type": N_("expected a list"),
    "set_type": N_("expected a list"),
    "too_short": N_("must have at least {min_length} items"),
    "too_long": N_("must have at most {max_length} items"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "multiple_of": N_("must be a multiple of {multiple_of}"),
    "literal_error": N_("must be one of: {expected}"),
    "enum": N_("must be one of: {expected}"),
    "datetime_type": N_("expected a date-time"),
    "datetime_parsing": N_("expected an ISO 8601 date-time (e.g. 2026-03-02T09:00:00-03:00)"),
    "datetime_from_date_parsing": N_(
        "expected an ISO 8601 date-time (e.g. 2026-03-02T09:00:00-03:00)"
    ),
    "timezone_aware": N_("the date-time needs a UTC offset (e.g. -03:00 or Z)"),
    "date_type": N_("expected a date"),
    "date_parsing": N_("expected an ISO 8601 date (e.g. 2026-03-02)"),
    "date_from_datetime_parsing": N_("expected an ISO 8601 date (e.g. 2026-03-02)"),
    "time_parsing": N_("expected a time (e.g. 09:30)"),
    "time_delta_parsing": N_("expected a duration"),
    "url_parsing": N_("expected a URL"),
    "url_scheme": N_("the URL's scheme is not accepted"),
    "uuid_parsing": N_("expected a UUID"),
    "bytes_too_long": N_("must have at most {max_length} bytes"),
    "union_tag_invalid": N_("unknown kind {tag!r}: one of {expected_tags}"),
    "union_tag_not_found": N_("the kind field {discriminator} is missing"),
    "none_required": N_("must be null"),
    "frozen_field": N_("cannot be changed"),
}
INVALID = N_("invalid value")
OR = N_("or")


def request_locale(conn: HTTPConnection) -> str:
    """The locale this request's answer is said in (see the module's docstring)."""
    asked = from_accept_language(conn.headers.get("accept-language"))
    if asked is not None:
        return asked
    actor = getattr(conn.state, "actor", None)
    if actor is not None:
        known = supported(getattr(actor, "locale", None))
        if known is not None:
            return known
    settings = getattr(conn.app.state, "settings", None)
    return supported(getattr(settings, "default_locale", None)) or DEFAULT_LOCALE


def headers_locale(headers: list[tuple[bytes, bytes]], default: str | None) -> str:
    """The locale of a raw ASGI request (before anyone is known): its Accept-Language."""
    for name, value in headers:
        if name == b"accept-language":
            found = from_accept_language(value.decode("latin-1"))
            if found is not None:
                return found
    return supported(default) or DEFAULT_LOCALE


def say(locale: str, message: str, **params: Any) -> str:
    """A constant message (an English msgid) in ``locale``, its ``{name}`` fields filled."""
    text = _translate(locale, message)
    if not params:
        return text
    try:
        return text.format_map(params)
    except (KeyError, IndexError, ValueError):
        return message.format_map(params)


def title(locale: str, status: int) -> str:
    return _translate(locale, TITLES.get(status, N_("Error")))


def input_error(locale: str, err: dict[str, Any]) -> str:
    """One Pydantic error said in ``locale`` (English keeps Pydantic's own words)."""
    if locale == SOURCE_LOCALE:
        return str(err.get("msg", INVALID))
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        reason = ctx.get("error")
        text = str(reason) if reason is not None else ""
        if not text:
            return _translate(locale, INVALID)
        translated = _translate(locale, text)
        if translated == text:  # a library's own words (e-mail-validator...): say what it is
            return f"{_translate(locale, INVALID)}: {text}"
        return translated
    template = INPUT_ERRORS.get(kind)
    if template is None:
        return _translate(locale, INVALID)
    if "expected" in ctx:
        ctx["expected"] = _or_list(locale, str(ctx["expected"]))
    return say(locale, template, **ctx)


def _or_list(locale: str, expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` with the reader's word for "or"."""
    return expected.replace(" or ", " " + _translate(locale, OR) + " ")
