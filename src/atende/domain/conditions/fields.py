"""The vocabulary of conditions: limits, the error, field types and their ops, the field
registry and the standard ticket fields."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from atende.domain.errors import ValidationFailed

MAX_DEPTH: Final = 5
"""At most this many nested groups (the root group is level 1)."""
MAX_LEAVES: Final = 50
"""At most this many leaves in one condition tree."""
MAX_LIST_VALUES: Final = 200
MAX_TEXT_VALUE: Final = 1_000
CUSTOM_FIELD_PREFIX: Final = "custom_fields."
_CUSTOM_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}")


class InvalidCondition(ValidationFailed):
    """The condition JSON is malformed; ``field`` names the offending path."""


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    LIST = "list"
    """A list of strings (e.g. tags)."""
    ENUM = "enum"
    ANY = "any"
    """Type unknown (dynamic ``custom_fields.*``): ops work on whatever value is present."""


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    MATCHES = "matches"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"
    CONTAINS_ANY = "contains_any"


_PRESENCE = frozenset({Op.IS_SET, Op.IS_NOT_SET})
_ORDER = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
_EQUALITY = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})

OPS_BY_TYPE: Final[Mapping[FieldType, frozenset[Op]]] = {
    FieldType.STRING: _EQUALITY
    | _PRESENCE
    | {Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.MATCHES},
    FieldType.ENUM: _EQUALITY | _PRESENCE,
    FieldType.NUMBER: _EQUALITY | _PRESENCE | _ORDER,
    FieldType.BOOLEAN: _PRESENCE | {Op.EQ, Op.NE},
    FieldType.DATETIME: _PRESENCE | _ORDER | {Op.EQ, Op.NE},
    FieldType.LIST: _PRESENCE | {Op.CONTAINS, Op.NOT_CONTAINS, Op.CONTAINS_ANY},
    FieldType.ANY: _EQUALITY | _PRESENCE | _ORDER | {Op.CONTAINS, Op.NOT_CONTAINS},
}
"""Which ops each field type accepts."""


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: FieldType
    choices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a field needs a name")
        if self.type is FieldType.ENUM and not self.choices:
            raise ValueError(f"enum field {self.name!r} needs choices")
        if self.type is not FieldType.ENUM and self.choices is not None:
            raise ValueError(f"only enum fields have choices ({self.name!r})")


class FieldRegistry:
    """The fields a condition may name.

    ``custom_fields.<key>`` (key: letters, digits, ``_``, ``-``; up to 64 characters) is accepted
    with type ANY unless ``allow_custom_fields`` is false; declaring a ``custom_fields.x`` field
    explicitly gives it a type.
    """

    def __init__(self, defs: Iterable[FieldDef], *, allow_custom_fields: bool = True) -> None:
        self._defs: dict[str, FieldDef] = {}
        for d in defs:
            if d.name in self._defs:
                raise ValueError(f"field {d.name!r} declared twice")
            self._defs[d.name] = d
        self.allow_custom_fields = allow_custom_fields

    def get(self, name: str) -> FieldDef | None:
        found = self._defs.get(name)
        if found is not None:
            return found
        if self.allow_custom_fields and name.startswith(CUSTOM_FIELD_PREFIX):
            key = name[len(CUSTOM_FIELD_PREFIX) :]
            if _CUSTOM_KEY.fullmatch(key):
                return FieldDef(name, FieldType.ANY)
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[FieldDef]:
        return iter(self._defs.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._defs)

    def suggest(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, self._defs, n=3, cutoff=0.6)


TICKET_FIELDS: Final[tuple[FieldDef, ...]] = (
    FieldDef(
        "ticket.status",
        FieldType.ENUM,
        ("new", "open", "pending_customer", "pending_internal", "scheduled", "resolved", "closed"),
    ),
    FieldDef("ticket.priority", FieldType.ENUM, ("low", "normal", "high", "urgent")),
    FieldDef("ticket.type", FieldType.STRING),
    FieldDef(
        "ticket.channel",
        FieldType.ENUM,
        ("chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api"),
    ),
    FieldDef("ticket.queue", FieldType.STRING),
    FieldDef("ticket.queue_id", FieldType.NUMBER),
    FieldDef("ticket.tags", FieldType.LIST),
    FieldDef("ticket.subject", FieldType.STRING),
    FieldDef("ticket.assignee_id", FieldType.NUMBER),
    FieldDef("ticket.created_at", FieldType.DATETIME),
    FieldDef("organization.name", FieldType.STRING),
    FieldDef("organization.plan", FieldType.STRING),
    FieldDef("organization.key_account", FieldType.BOOLEAN),
    FieldDef("organization.stores", FieldType.NUMBER),
    FieldDef("organization.delinquent", FieldType.BOOLEAN),
    FieldDef("organization.system_blocked", FieldType.BOOLEAN),
    FieldDef("contact.email", FieldType.STRING),
    FieldDef(
        "contact.role",
        FieldType.ENUM,
        ("owner", "focal_point", "manager", "director", "user"),
    ),
    FieldDef("contact.name", FieldType.STRING),
    FieldDef("message.text", FieldType.STRING),
)
"""The standard ticket facts (plus dynamic ``custom_fields.*``), for ``FieldRegistry``.

Facts are passed to :func:`evaluate` as a flat mapping with these names as keys, e.g.
``{"ticket.priority": "urgent", "ticket.tags": ["vip"], "organization.plan": "Prime"}``.
"""
