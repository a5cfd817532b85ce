"""The condition language shared by SLA policies and automation rules.

A condition is JSON: a group ``{"all": [...]}`` / ``{"any": [...]}`` (nestable) or a leaf
``{"field": "organization.plan", "op": "in", "value": ["Prime"]}``. An empty object, or an empty
group, places no restriction: it always matches.

Fields are declared in a :class:`FieldRegistry` handed in by the caller, so SLA policies and rules
can share one vocabulary. ``custom_fields.<key>`` is always accepted (unless the registry says
otherwise) with type ``ANY``: its type is unknown, so the ops work on whatever value is present.

Comparison rules, in brief (``docs/sla.md`` and the tests show examples):

* ``eq``/``ne``/``in``/``not_in``/``contains``/``not_contains``/``starts_with`` on text are
  case-insensitive (``casefold``), for STRING, ENUM and ANY fields alike, and so is ``matches``
  (a regular expression, searched anywhere in the text; write ``^...$`` to anchor it). Its
  patterns run on RE2, whose time is linear in the text whatever the pattern (no pattern can
  backtrack for ever); RE2 has no lookarounds or backreferences, and its ``\\b``, ``\\w``,
  ``\\d`` and ``\\s`` are ASCII-only (``\\pL`` is a letter of any alphabet): see docs/rules.md.
* ENUM values are checked against the declared choices at validation and stored canonically.
* ``gt``/``gte``/``lt``/``lte`` compare numbers as numbers and DATETIME values as instants. A
  value with only a date (``"2026-01-31"``) is compared with the calendar date of the fact.
* A missing fact (absent from the facts mapping, or ``None``) never satisfies a positive op; the
  negative ops (``ne``, ``not_in``, ``not_contains``) are satisfied by it.
* ``is_set`` is false for ``None``, blank text and an empty list; ``is_not_set`` is its negation.

The modules, by use case (none imports a later one): :mod:`.fields` (limits, errors, field types,
ops, the field registry, the ticket fields), :mod:`.tree` (a parsed condition), :mod:`.rendering`
(readable text and JSON), :mod:`.evaluation` (does a condition hold for some facts; the regular
expression guard) and :mod:`.validation` (condition JSON parsed and checked). This package
re-exports their public names.
"""

from __future__ import annotations

from atende.domain.conditions.evaluation import MAX_PATTERN_LENGTH, evaluate, leaf_checks
from atende.domain.conditions.fields import (
    CUSTOM_FIELD_PREFIX,
    MAX_DEPTH,
    MAX_LEAVES,
    OPS_BY_TYPE,
    TICKET_FIELDS,
    FieldDef,
    FieldRegistry,
    FieldType,
    InvalidCondition,
    Op,
)
from atende.domain.conditions.rendering import describe, to_json
from atende.domain.conditions.tree import ALWAYS, Condition, Group, Leaf, LeafCheck, Match, Pattern
from atende.domain.conditions.validation import validate

__all__ = [
    "ALWAYS",
    "CUSTOM_FIELD_PREFIX",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "MAX_PATTERN_LENGTH",
    "OPS_BY_TYPE",
    "TICKET_FIELDS",
    "Condition",
    "FieldDef",
    "FieldRegistry",
    "FieldType",
    "Group",
    "InvalidCondition",
    "Leaf",
    "LeafCheck",
    "Match",
    "Op",
    "Pattern",
    "describe",
    "evaluate",
    "leaf_checks",
    "to_json",
    "validate",
]
