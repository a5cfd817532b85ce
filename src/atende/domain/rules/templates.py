"""Templates of canned replies, notes and notifications: ``{{variable}}`` placeholders
(``{{contact.first_name|cliente}}`` gives a fallback), checked when saved and rendered by one pass
of plain substitution from :data:`TEMPLATE_VARIABLES`, never evaluation."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias

from atende.domain.rules.vocabulary import (
    MAX_FALLBACK_LENGTH,
    MAX_PLACEHOLDERS,
    MAX_TEMPLATE_LENGTH,
    InvalidTemplate,
    _hint,
)

__all__ = [
    "TEMPLATE_VARIABLES",
    "Placeholder",
    "Segment",
    "Template",
    "parse_template",
    "render",
    "template_variables",
]

TEMPLATE_VARIABLES: Final[Mapping[str, str]] = {
    "ticket.number": "the ticket's number (1042)",
    "ticket.subject": "the ticket's subject",
    "ticket.status": "the ticket's status (open, pending_customer, ...)",
    "ticket.priority": "the ticket's priority",
    "ticket.type": "the ticket's type",
    "ticket.channel": "the ticket's channel",
    "ticket.queue": "the name of the ticket's queue",
    "contact.name": "the requester's full name",
    "contact.first_name": "the requester's first name",
    "contact.email": "the requester's e-mail address",
    "organization.name": "the requester's organization",
    "organization.plan": "the organization's plan",
    "assignee.name": "the assigned agent's full name",
    "assignee.first_name": "the assigned agent's first name",
}
"""Every variable a template may use. A missing value renders as the fallback, else empty."""

_PLACEHOLDER_BODY = re.compile(
    r"\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*"
    r"(?:\|(?P<fallback>[^{}|]*))?"
)


@dataclass(frozen=True)
class Placeholder:
    name: str
    fallback: str | None
    source: str
    """The exact text of the placeholder, braces included (so a template round-trips)."""


Segment: TypeAlias = str | Placeholder


@dataclass(frozen=True)
class Template:
    source: str
    segments: tuple[Segment, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.name for s in self.segments if isinstance(s, Placeholder)))


def parse_template(
    source: object,
    *,
    field: str,
    allowed: Collection[str] = tuple(TEMPLATE_VARIABLES),
    required: bool = True,
    max_length: int = MAX_TEMPLATE_LENGTH,
) -> Template:
    """Check a template: text, not too long, every ``{{...}}`` closed and naming a known
    variable. ``{{`` always opens a placeholder (a template cannot hold a literal ``{{``)."""
    if not isinstance(source, str):
        raise InvalidTemplate("a template must be text", field=field)
    if required and not source.strip():
        raise InvalidTemplate("the text is empty", field=field)
    if len(source) > max_length:
        raise InvalidTemplate(
            "text longer than {max_length} characters", field=field, max_length=max_length
        )
    segments: list[Segment] = []
    pos = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            if pos < len(source):
                segments.append(source[pos:])
            break
        if start > pos:
            segments.append(source[pos:start])
        end = source.find("}}", start + 2)
        if end < 0:
            raise InvalidTemplate(
                "'{{{{' at character {value} is never closed with '}}}}'",
                field=field,
                value=start + 1,
            )
        inner = source[start + 2 : end]
        match = _PLACEHOLDER_BODY.fullmatch(inner)
        if match is None or "{" in inner:
            shown = source[start : end + 2]
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise InvalidTemplate(
                "malformed placeholder {shown!r}: write e.g. "
                "{{{{ticket.number}}}} or {{{{contact.first_name|cliente}}}}",
                field=field,
                shown=shown,
            )
        name = match.group("name")
        if name not in allowed:
            raise InvalidTemplate(
                "unknown variable {name!r}{name2} (known: {allowed})",
                field=field,
                name=name,
                name2=_hint(name, allowed),
                allowed=", ".join(sorted(allowed)),
            )
        fallback = match.group("fallback")
        if fallback is not None:
            fallback = fallback.strip()
            if len(fallback) > MAX_FALLBACK_LENGTH:
                raise InvalidTemplate(
                    "the fallback of {name!r} is longer than {max_fallback_length} characters",
                    field=field,
                    name=name,
                    max_fallback_length=MAX_FALLBACK_LENGTH,
                )
        segments.append(Placeholder(name, fallback, source[start : end + 2]))
        if len(segments) > 2 * MAX_PLACEHOLDERS:
            raise InvalidTemplate(
                "more than {max_placeholders} placeholders",
                field=field,
                max_placeholders=MAX_PLACEHOLDERS,
            )
        pos = end + 2
    return Template(source, tuple(segments))


def template_variables(template: Template) -> tuple[str, ...]:
    return template.variables


def render(
    template: Template,
    values: Mapping[str, object],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """The text with each placeholder replaced by its value (``escape`` applied to values only).

    One pass: a value is inserted as it is, so a value that looks like a placeholder stays
    literal text. A missing or blank value gives the placeholder's fallback, else nothing.
    """
    out: list[str] = []
    for segment in template.segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        value = values.get(segment.name)
        text = "" if value is None else str(value)
        if not text.strip():
            out.append(segment.fallback or "")
            continue
        out.append(escape(text) if escape is not None else text)
    return "".join(out)
