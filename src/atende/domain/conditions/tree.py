"""A parsed condition: groups and leaves (built by :func:`~.validation.validate`)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Final, Literal, Protocol, TypeAlias

from atende.domain.conditions.fields import FieldType, Op

Scalar: TypeAlias = str | int | float | bool
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None


class Pattern(Protocol):
    """A compiled ``matches`` pattern (RE2's, case-insensitive)."""

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True)
class Leaf:
    field: str
    op: Op
    value: Value = None
    pattern: Pattern | None = dataclass_field(default=None, compare=False, repr=False)
    field_type: FieldType = FieldType.ANY


@dataclass(frozen=True)
class Group:
    kind: Literal["all", "any"]
    children: tuple[Condition, ...] = ()


Condition: TypeAlias = Group | Leaf

ALWAYS: Final = Group("all", ())
"""The condition that always matches (``{}``)."""


@dataclass(frozen=True)
class Match:
    matched: bool
    explanation: str
