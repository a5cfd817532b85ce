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
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Final, Literal, Protocol, TypeAlias

import re2

from atende.domain.errors import ValidationFailed

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
    "Match",
    "Op",
    "Pattern",
    "describe",
    "evaluate",
    "to_json",
    "validate",
]

MAX_DEPTH: Final = 5
"""At most this many nested groups (the root group is level 1)."""
MAX_LEAVES: Final = 50
"""At most this many leaves in one condition tree."""
MAX_PATTERN_LENGTH: Final = 200
"""Longest accepted regular expression for ``matches``."""
MAX_MATCH_TEXT: Final = 20_000
"""``matches`` only looks at the first this-many characters of a fact."""
MAX_LIST_VALUES: Final = 200
MAX_TEXT_VALUE: Final = 1_000
CUSTOM_FIELD_PREFIX: Final = "custom_fields."
_RE2_OPTIONS: Final = re2.Options()
_RE2_OPTIONS.case_sensitive = False
_RE2_OPTIONS.log_errors = False  # a refused pattern is the caller's error, not a log line
_CUSTOM_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}")
_ROOT: Final = "conditions"


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
        ("new", "open", "pending_customer", "pending_internal", "resolved", "closed"),
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


# --------------------------------------------------------------------------------- validation


def validate(conditions: Mapping[str, Any], registry: FieldRegistry) -> Condition:
    """Parse and check condition JSON; raises :class:`InvalidCondition` naming the path."""
    if not isinstance(conditions, Mapping):
        raise InvalidCondition("conditions must be an object", field=_ROOT)
    return _Parser(registry).node(conditions, _ROOT, 1)


class _Parser:
    def __init__(self, registry: FieldRegistry) -> None:
        self.registry = registry
        self.leaves = 0

    def node(self, node: object, path: str, depth: int) -> Condition:
        if not isinstance(node, Mapping):
            raise InvalidCondition("expected an object with 'all', 'any' or 'field'", field=path)
        if not node:
            return ALWAYS
        kinds = [k for k in ("all", "any") if k in node]
        if kinds:
            if len(node) != 1:
                extra = sorted(str(k) for k in node if k not in kinds)
                msg = (
                    "a group has exactly one key, 'all' or 'any'"
                    if len(kinds) > 1
                    else f"unexpected key {extra[0]!r} next to {kinds[0]!r}"
                )
                raise InvalidCondition(msg, field=path)
            kind: Literal["all", "any"] = "all" if kinds[0] == "all" else "any"
            if depth > MAX_DEPTH:
                raise InvalidCondition(
                    f"conditions are nested more than {MAX_DEPTH} levels deep", field=path
                )
            items = node[kind]
            if not _is_list(items):
                raise InvalidCondition(f"'{kind}' must be a list", field=f"{path}.{kind}")
            children = tuple(
                self.node(child, f"{path}.{kind}[{i}]", depth + 1) for i, child in enumerate(items)
            )
            return Group(kind, children)
        return self.leaf(node, path)

    def leaf(self, node: Mapping[Any, Any], path: str) -> Leaf:
        for key in node:
            if key not in ("field", "op", "value"):
                hint = _hint(str(key), ["field", "op", "value", "all", "any"])
                raise InvalidCondition(f"unknown key {key!r}{hint}", field=f"{path}.{key}")
        self.leaves += 1
        if self.leaves > MAX_LEAVES:
            raise InvalidCondition(f"more than {MAX_LEAVES} conditions", field=path)
        name = node.get("field")
        if not isinstance(name, str) or not name:
            raise InvalidCondition("a condition needs a 'field' (text)", field=f"{path}.field")
        fdef = self.registry.get(name)
        if fdef is None:
            hint = _hint(name, self.registry.names)
            raise InvalidCondition(f"unknown field {name!r}{hint}", field=f"{path}.field")
        raw_op = node.get("op")
        if not isinstance(raw_op, str) or raw_op not in Op.__members__.values():
            hint = _hint(str(raw_op), [o.value for o in Op]) if isinstance(raw_op, str) else ""
            raise InvalidCondition(f"unknown op {raw_op!r}{hint}", field=f"{path}.op")
        op = Op(raw_op)
        if op not in OPS_BY_TYPE[fdef.type]:
            allowed = ", ".join(sorted(o.value for o in OPS_BY_TYPE[fdef.type]))
            raise InvalidCondition(
                f"op '{op}' is not valid for {fdef.type} field {name!r} (valid: {allowed})",
                field=f"{path}.op",
            )
        vpath = f"{path}.value"
        value = _check_value(fdef, op, node.get("value"), vpath)
        pattern = None
        if op is Op.MATCHES:
            assert isinstance(value, str)
            pattern = _compile(value, vpath)
        return Leaf(name, op, value, pattern, fdef.type)


def _hint(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compile(source: str, path: str) -> Pattern:
    """The pattern compiled by RE2, which runs in time linear in the text (docs/rules.md)."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise InvalidCondition(
            f"regular expression longer than {MAX_PATTERN_LENGTH} characters", field=path
        )
    try:
        compiled: Pattern = re2.compile(source, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot be compiled"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidCondition(
            f"invalid regular expression {source!r}: {reason} (patterns run on RE2: no "
            "lookarounds such as (?=...) or backreferences such as \\1)",
            field=path,
        ) from exc
    return compiled


def _check_value(fdef: FieldDef, op: Op, raw: object, path: str) -> Value:
    if op in _PRESENCE:
        if raw is not None:
            raise InvalidCondition(f"'{op}' takes no value", field=path)
        return None
    if raw is None:
        raise InvalidCondition(f"'{op}' needs a value", field=path)
    if op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY):
        if not _is_list(raw):
            raise InvalidCondition(f"'{op}' needs a list of values", field=path)
        assert isinstance(raw, Sequence)
        if not raw:
            raise InvalidCondition(f"'{op}' needs at least one value", field=path)
        if len(raw) > MAX_LIST_VALUES:
            raise InvalidCondition(f"'{op}' takes at most {MAX_LIST_VALUES} values", field=path)
        element_type = FieldType.STRING if op is Op.CONTAINS_ANY else fdef.type
        return tuple(
            _check_scalar(fdef, element_type, op, item, f"{path}[{i}]")
            for i, item in enumerate(raw)
        )
    if _is_list(raw):
        raise InvalidCondition(f"'{op}' needs a single value, not a list", field=path)
    if fdef.type is FieldType.LIST or op in (Op.STARTS_WITH, Op.MATCHES):
        return _check_scalar(fdef, FieldType.STRING, op, raw, path)
    if fdef.type is FieldType.ANY and op in _ORDER:
        if _is_number(raw):
            return _check_scalar(fdef, FieldType.NUMBER, op, raw, path)
        if isinstance(raw, str) and _parse_temporal(raw) is not None:
            return _check_scalar(fdef, FieldType.DATETIME, op, raw, path)
        raise InvalidCondition(f"'{op}' needs a number or an ISO date", field=path)
    return _check_scalar(fdef, fdef.type, op, raw, path)


def _check_scalar(fdef: FieldDef, ftype: FieldType, op: Op, raw: object, path: str) -> Scalar:
    if ftype in (FieldType.STRING, FieldType.LIST):
        if not isinstance(raw, str):
            raise InvalidCondition(f"'{op}' on {fdef.name!r} needs text", field=path)
        if len(raw) > MAX_TEXT_VALUE:
            raise InvalidCondition(f"text longer than {MAX_TEXT_VALUE} characters", field=path)
        return raw
    if ftype is FieldType.ENUM:
        choices = fdef.choices or ()
        if isinstance(raw, str):
            for choice in choices:
                if choice.casefold() == raw.casefold():
                    return choice
        raise InvalidCondition(
            f"{raw!r} is not a valid {fdef.name} (choose from: {', '.join(choices)})", field=path
        )
    if ftype is FieldType.NUMBER:
        if not _is_number(raw) or not math.isfinite(raw):  # type: ignore[arg-type]
            raise InvalidCondition(f"'{op}' on {fdef.name!r} needs a number", field=path)
        assert isinstance(raw, int | float)
        return raw
    if ftype is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise InvalidCondition(f"'{op}' on {fdef.name!r} needs true or false", field=path)
        return raw
    if ftype is FieldType.DATETIME:
        if not isinstance(raw, str):
            raise InvalidCondition(f"'{op}' on {fdef.name!r} needs an ISO date", field=path)
        parsed = _parse_temporal(raw)
        if parsed is None:
            raise InvalidCondition(
                f"{raw!r} is not an ISO date or date-time (e.g. 2026-01-31 or "
                "2026-01-31T09:00:00-03:00)",
                field=path,
            )
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise InvalidCondition(f"{raw!r} has no UTC offset (add e.g. -03:00 or Z)", field=path)
        return raw
    # ANY
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT_VALUE:
            raise InvalidCondition(f"text longer than {MAX_TEXT_VALUE} characters", field=path)
        return raw
    if isinstance(raw, bool) or (_is_number(raw) and math.isfinite(raw)):  # type: ignore[arg-type]
        assert isinstance(raw, int | float)
        return raw
    raise InvalidCondition("the value must be text, a number or true/false", field=path)


# --------------------------------------------------------------------------------- evaluation


def evaluate(cond: Condition, facts: Mapping[str, Any]) -> Match:
    """Does ``cond`` hold for ``facts``? The explanation says which leaves decided it."""
    ok, text, _ = _evaluate(cond, facts)
    return Match(ok, text)


def _evaluate(cond: Condition, facts: Mapping[str, Any]) -> tuple[bool, str, int]:
    """(matched, explanation, number of parts in the explanation)."""
    if isinstance(cond, Leaf):
        fact = facts.get(cond.field)
        if _leaf_holds(cond, fact):
            return True, _describe_leaf(cond), 1
        return False, f"{_describe_leaf(cond)} is false ({_show_fact(cond.field, fact)})", 1
    if not cond.children:
        return True, "always", 1
    if cond.kind == "all":
        parts: list[str] = []
        for child in cond.children:
            ok, text, n = _evaluate(child, facts)
            if not ok:
                return False, text, n
            if text != "always":
                parts.append(_paren(text, n))
        return True, " and ".join(parts) or "always", max(len(parts), 1)
    matched: list[str] = []
    failed: list[str] = []
    for child in cond.children:
        ok, text, n = _evaluate(child, facts)
        (matched if ok else failed).append(_paren(text, n))
    if matched:
        return True, " or ".join(matched), len(matched)
    return False, "none matched: " + "; ".join(failed), len(failed)


def _paren(text: str, parts: int) -> str:
    return f"({text})" if parts > 1 else text


def _show_fact(name: str, fact: object) -> str:
    if not _is_set(fact):
        return f"{name} is not set"
    shown = _show_value(_as_value(fact))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} is {shown}"


def _as_value(fact: object) -> Value:
    if isinstance(fact, (list, tuple, set, frozenset)):
        return tuple(x for x in fact if isinstance(x, (str, int, float, bool)))
    if fact is None or isinstance(fact, (str, int, float, bool)):
        return fact
    return str(fact)


def _is_collection(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _is_set(fact: object) -> bool:
    if fact is None:
        return False
    if isinstance(fact, str):
        return bool(fact.strip())
    if _is_collection(fact):
        return len(fact) > 0  # type: ignore[arg-type]
    return True


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _leaf_holds(leaf: Leaf, fact: object) -> bool:
    op, value, ftype = leaf.op, leaf.value, leaf.field_type
    if op is Op.IS_SET:
        return _is_set(fact)
    if op is Op.IS_NOT_SET:
        return not _is_set(fact)
    if op is Op.NE:
        return not _equals(ftype, fact, value)
    if op is Op.NOT_IN:
        return not _one_of(ftype, fact, value)
    if op is Op.NOT_CONTAINS:
        return not _contains(fact, value)
    if fact is None:
        return False
    if op is Op.EQ:
        return _equals(ftype, fact, value)
    if op is Op.IN:
        return _one_of(ftype, fact, value)
    if op is Op.CONTAINS:
        return _contains(fact, value)
    if op is Op.CONTAINS_ANY:
        if not _is_collection(fact) or not isinstance(value, tuple):
            return False
        wanted = {_fold(v) for v in value}
        return any(_fold(item) in wanted for item in fact)  # type: ignore[attr-defined]
    if op is Op.STARTS_WITH:
        return (
            isinstance(fact, str)
            and isinstance(value, str)
            and fact.casefold().startswith(value.casefold())
        )
    if op is Op.MATCHES:
        if not isinstance(fact, str) or not isinstance(value, str):
            return False
        pattern = leaf.pattern if leaf.pattern is not None else _compile(value, leaf.field)
        return pattern.search(fact[:MAX_MATCH_TEXT]) is not None
    order = _compare(ftype, fact, value)
    if order is None:
        return False
    if op is Op.GT:
        return order > 0
    if op is Op.GTE:
        return order >= 0
    if op is Op.LT:
        return order < 0
    return order <= 0  # LTE


def _one_of(ftype: FieldType, fact: object, value: Value) -> bool:
    return isinstance(value, tuple) and any(_equals(ftype, fact, v) for v in value)


def _contains(fact: object, value: Value) -> bool:
    if fact is None or value is None:
        return False
    if isinstance(fact, str):
        return str(value).casefold() in fact.casefold()
    if _is_collection(fact):
        return any(_loose_equals(item, value) for item in fact)  # type: ignore[attr-defined]
    return False


def _equals(ftype: FieldType, fact: object, value: Value) -> bool:
    if fact is None or value is None:
        return False
    if ftype in (FieldType.STRING, FieldType.ENUM):
        text = fact if isinstance(fact, str) else str(fact)
        return isinstance(value, str) and text.casefold() == value.casefold()
    if ftype is FieldType.NUMBER:
        number = _as_number(fact)
        return number is not None and number == value
    if ftype is FieldType.BOOLEAN:
        return isinstance(fact, bool) and fact is value
    if ftype is FieldType.DATETIME:
        return _compare(ftype, fact, value) == 0
    return _loose_equals(fact, value)


def _loose_equals(fact: object, value: object) -> bool:
    """Equality for values of unknown type: text case-insensitively, numbers as numbers."""
    if isinstance(fact, bool) or isinstance(value, bool):
        return fact is value
    if isinstance(fact, str) and isinstance(value, str):
        return fact.casefold() == value.casefold()
    if _is_number(fact) or _is_number(value):
        a, b = _as_number(fact), _as_number(value)
        return a is not None and a == b
    return fact == value


def _as_number(value: object) -> float | int | None:
    if _is_number(value):
        assert isinstance(value, int | float)
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ".")) if value.strip() else None
        except ValueError:
            return None
        return number if number is not None and math.isfinite(number) else None
    return None


def _parse_temporal(value: object) -> datetime | date | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _compare(ftype: FieldType, fact: object, value: Value) -> int | None:
    """-1/0/1 for fact versus value, or None when they cannot be compared."""
    if ftype is FieldType.NUMBER or (ftype is FieldType.ANY and _is_number(value)):
        a, b = _as_number(fact), _as_number(value)
        if a is None or b is None:
            return None
        return (a > b) - (a < b)
    if ftype in (FieldType.DATETIME, FieldType.ANY):
        wanted = _parse_temporal(value)
        got = _parse_temporal(fact)
        if wanted is None or got is None:
            return None
        if isinstance(wanted, datetime):
            got_dt = got if isinstance(got, datetime) else datetime.combine(got, time(), UTC)
            if got_dt.tzinfo is None:
                got_dt = got_dt.replace(tzinfo=UTC)
            if wanted.tzinfo is None:
                wanted = wanted.replace(tzinfo=UTC)
            return (got_dt > wanted) - (got_dt < wanted)
        got_day = got.date() if isinstance(got, datetime) else got
        return (got_day > wanted) - (got_day < wanted)
    return None


# --------------------------------------------------------------------------------- rendering

_OP_TEXT: Final[Mapping[Op, str]] = {
    Op.EQ: "=",
    Op.NE: "!=",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LT: "<",
    Op.LTE: "<=",
}


def describe(cond: Condition) -> str:
    """Readable text, e.g. ``ticket.priority = urgent and organization.plan in [Prime]``."""
    text, _ = _describe(cond)
    return text


def _describe(cond: Condition) -> tuple[str, int]:
    if isinstance(cond, Leaf):
        return _describe_leaf(cond), 1
    if not cond.children:
        return "always", 1
    parts = [_paren(*_describe(child)) for child in cond.children]
    joiner = " and " if cond.kind == "all" else " or "
    return joiner.join(parts), len(parts)


def _describe_leaf(leaf: Leaf) -> str:
    op_text = _OP_TEXT.get(leaf.op, leaf.op.value.replace("_", " "))
    if leaf.op in _PRESENCE:
        return f"{leaf.field} {op_text}"
    return f"{leaf.field} {op_text} {_show_value(leaf.value)}"


def _show_value(value: Value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_json(cond: Condition) -> dict[str, Any]:
    """The JSON form; ``validate(to_json(c), registry) == c``."""
    if isinstance(cond, Group):
        return {cond.kind: [to_json(child) for child in cond.children]}
    out: dict[str, Any] = {"field": cond.field, "op": cond.op.value}
    if cond.op not in _PRESENCE:
        out["value"] = list(cond.value) if isinstance(cond.value, tuple) else cond.value
    return out
