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


@dataclass(frozen=True)
class LeafCheck:
    """One leaf judged on its own against some facts (the dry-run's per-condition view)."""

    leaf: Leaf
    holds: bool
    fact: Value
    """The fact the leaf looked at (``None`` when it is not set)."""
    depth: int
    """1 for a leaf of the root group, 2 inside a nested group, ..."""
    group: Literal["all", "any"]
    """The kind of the group the leaf sits in."""
